//! The backend that sends every call for a session to its home region.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Failover, HomeRoutedBuilder, KeySlots, RegionsError};
use crate::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Operation, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

/// One region: its name, the slots it is home to, its backend, and
/// whether it is marked down.
pub(super) struct Region<B> {
    pub(super) name: String,
    pub(super) slots: KeySlots,
    pub(super) backend: B,
    /// Set by `mark_down`. It guards no other memory, so relaxed loads
    /// and stores are enough: a call sees the flag as of a moment ago.
    pub(super) down: AtomicBool,
}

/// A backend over one backend per region that sends every call for a key
/// to the key's home region: the region whose [`KeySlots`] hold it (see
/// the [module documentation](super) for why this keeps every promise on
/// a global table).
///
/// Build it with [`HomeRouted::builder`]. A key in a slot no region
/// holds is out of this backend's reach (nothing it writes lands there;
/// only a session drawn before home routing, or by another program, can
/// be stored under it), so for it the key holds no session: loading it
/// finds nothing (the manager never adopts an unknown ID), a logout of it
/// ends nothing ([`EndOutcome::Missing`]), a replace or touch is a
/// conflict, and only a create is refused ([`BackendError::Rejected`]
/// whose source is [`RegionsError::NoHomeRegion`]: the manager's
/// `key_slots` hold slots no region does). A new session homed outside the
/// local region is said once at warn level: the manager's `key_slots` are
/// not the backend's [`local_slots`](Self::local_slots). Keys of a region
/// [marked down](Self::mark_down) are handled as the [`Failover`] says.
///
/// It does not offer [`UserSessions`](crate::users::UserSessions): a
/// user's generation item has no session ID, so no home yet, and listing
/// or ending a user's sessions would have to visit every region. Logging
/// users in and out of all their sessions across regions is future work.
///
/// ```
/// use dynamodb_sessions_core::regions::{Failover, HomeRouted, KeySlots};
/// use dynamodb_sessions_core::store::{Backend, Token};
///
/// fn regional<B: Backend>(eu: B, us: B) -> Result<HomeRouted<B>, Box<dyn std::error::Error>> {
///     let backend = HomeRouted::builder()
///         .region("eu-west-1", KeySlots::range(0..8)?, eu)
///         .region("us-east-1", KeySlots::range(8..16)?, us)
///         .local("eu-west-1")
///         .failover(Failover::Wait)
///         .build()?;
///     // What this process draws is homed here.
///     let key = Token::generate_in(backend.local_slots())?.storage_key();
///     assert_eq!(backend.home_of(&key), Some("eu-west-1"));
///     Ok(backend)
/// }
/// # let memory = dynamodb_sessions::MemoryBackend::new;
/// # regional(memory(), memory()).unwrap();
/// ```
pub struct HomeRouted<B> {
    pub(super) regions: Vec<Region<B>>,
    /// For each slot, the index of the region that holds it.
    pub(super) homes: [Option<usize>; KeySlots::COUNT as usize],
    /// The index of the region this process runs in.
    pub(super) local: usize,
    pub(super) failover: Failover,
    /// Whether a new session homed outside the local region was said at
    /// warn level already (once per backend).
    pub(super) warned_away: AtomicBool,
}

/// Where a call for a key goes.
enum Route<'a, B> {
    /// To the home region's backend.
    Home(&'a B),
    /// Nowhere: the home region is marked down.
    Down,
    /// Nowhere: no region holds the key's slot.
    NoHome,
}

impl<B> HomeRouted<B> {
    /// Starts building a backend over one backend per region.
    pub fn builder() -> HomeRoutedBuilder<B> {
        HomeRoutedBuilder::new()
    }

    /// The slots of the local region: what the application passes to
    /// [`SessionConfigBuilder::key_slots`](crate::SessionConfigBuilder::key_slots),
    /// so that the sessions this process creates are homed in its region.
    pub fn local_slots(&self) -> KeySlots {
        self.regions[self.local].slots
    }

    /// The local region's name.
    pub fn local(&self) -> &str {
        &self.regions[self.local].name
    }

    /// What happens to the sessions of a region marked down.
    pub fn failover(&self) -> Failover {
        self.failover
    }

    /// Marks `region` down: from now on no call for its keys is sent, and
    /// they are handled as the [`Failover`] says. Call it when the region
    /// is known to be out (an operator's decision, a health check), not on
    /// one failed call.
    ///
    /// # Errors
    ///
    /// [`RegionsError::UnknownRegion`] when no region has that name.
    pub fn mark_down(&self, region: &str) -> Result<(), RegionsError> {
        self.set_down(region, true)
    }

    /// Marks `region` up again: calls for its keys go to it again, and its
    /// sessions, untouched while it was down, are found again.
    ///
    /// # Errors
    ///
    /// [`RegionsError::UnknownRegion`] when no region has that name.
    pub fn mark_up(&self, region: &str) -> Result<(), RegionsError> {
        self.set_down(region, false)
    }

    /// Whether `region` is marked down; `None` when no region has that
    /// name.
    pub fn is_down(&self, region: &str) -> Option<bool> {
        self.find(region).map(|r| r.down.load(Ordering::Relaxed))
    }

    /// The backend of the region named `region`, if there is one.
    pub fn region(&self, region: &str) -> Option<&B> {
        self.find(region).map(|r| &r.backend)
    }

    /// The name of `key`'s home region; `None` when no region holds its
    /// slot.
    pub fn home_of(&self, key: &StorageKey) -> Option<&str> {
        self.home(key).map(|r| r.name.as_str())
    }

    fn find(&self, name: &str) -> Option<&Region<B>> {
        self.regions.iter().find(|r| r.name == name)
    }

    fn set_down(&self, region: &str, down: bool) -> Result<(), RegionsError> {
        let region = self.find(region).ok_or(RegionsError::UnknownRegion)?;
        region.down.store(down, Ordering::Relaxed);
        Ok(())
    }

    fn home(&self, key: &StorageKey) -> Option<&Region<B>> {
        let index = self.homes[usize::from(KeySlots::slot_of(key))]?;
        self.regions.get(index)
    }

    fn route(&self, key: &StorageKey) -> Route<'_, B> {
        match self.home(key) {
            None => Route::NoHome,
            Some(region) if region.down.load(Ordering::Relaxed) => Route::Down,
            Some(region) => Route::Home(&region.backend),
        }
    }
}

impl<B> HomeRouted<B> {
    /// The backend a write for `key` goes to; `None` when no region holds
    /// its slot (out of reach: for this backend it holds no session); an
    /// error when its home is marked down.
    fn write_to(&self, key: &StorageKey, operation: Operation) -> Result<Option<&B>, BackendError> {
        match self.route(key) {
            Route::Home(backend) => Ok(Some(backend)),
            Route::Down => Err(home_down(operation)),
            Route::NoHome => Ok(None),
        }
    }
}

/// The error of a call not sent because its home region is marked down:
/// temporary, like any outage, so the server glue answers 503.
fn home_down(operation: Operation) -> BackendError {
    BackendError::Unavailable {
        operation,
        attempts: 0,
        source: Box::new(RegionsError::HomeRegionDown),
    }
}

impl<B: Backend> Backend for HomeRouted<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        match (self.route(key), self.failover) {
            (Route::Home(backend), _) => backend.load(key, consistency),
            // A hand-made ID: no session, and the manager never adopts it.
            (Route::NoHome, _) | (Route::Down, Failover::Abandon) => Ok(LoadOutcome::Missing),
            (Route::Down, Failover::Wait) => Err(home_down(Operation::Load)),
        }
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        let local = &self.regions[self.local];
        let away = !local.slots.holds(key) && self.home(key).is_some();
        if away && !self.warned_away.swap(true, Ordering::Relaxed) {
            // The ID was drawn outside the local slots: the session's
            // calls will cross regions.
            log::warn!(
                "a new session is homed outside the local region {}: build the \
                 SessionConfig with key_slots(backend.local_slots())",
                local.name
            );
        }
        match self.write_to(key, Operation::Create)? {
            Some(backend) => backend.create(key, record),
            // Drawn in slots no region holds: the manager's key_slots.
            None => Err(BackendError::Rejected {
                operation: Operation::Create,
                source: Box::new(RegionsError::NoHomeRegion),
            }),
        }
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        match self.write_to(key, Operation::Replace)? {
            Some(backend) => backend.replace(key, expected_version, record),
            None => Ok(ReplaceOutcome::Conflict),
        }
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        match self.write_to(key, Operation::Touch)? {
            Some(backend) => backend.touch(key, expected_version, issued_at, expires_at),
            None => Ok(TouchOutcome::Conflict),
        }
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        match self.write_to(key, Operation::End)? {
            Some(backend) => backend.end(key, tombstone),
            // A logout with a cookie out of reach: no session here to end.
            None => Ok(EndOutcome::Missing),
        }
    }
}

/// Names the regions, their slots, which is local and which are down,
/// and the failover; not the backends.
impl<B> fmt::Debug for HomeRouted<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a, B>(&'a Region<B>);
        impl<B> fmt::Debug for Shown<'_, B> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Region")
                    .field("name", &self.0.name)
                    .field("slots", &self.0.slots)
                    .field("down", &self.0.down.load(Ordering::Relaxed))
                    .finish()
            }
        }
        f.debug_struct("HomeRouted")
            .field(
                "regions",
                &self.regions.iter().map(Shown).collect::<Vec<_>>(),
            )
            .field("local", &self.local())
            .field("failover", &self.failover)
            .finish()
    }
}

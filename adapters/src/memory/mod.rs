//! An in-memory backend with DynamoDB's semantics, for tests and small
//! deployments: bounded, and expired records go away by themselves.

use std::sync::Arc;

use dynamodb_sessions_core::{
    store::Operation,
    store::{
        ensure_item_fits, ensure_version_grows, item_size, Backend, Consistency, CreateOutcome,
        EndOutcome, LoadOutcome, Record, ReplaceOutcome, StorageKey, TouchOutcome,
    },
    BackendError,
};
use parking_lot::RwLock;

mod items;
mod limits;
mod slot;
mod testing;
mod users;

use items::Items;
pub use limits::{MemoryLimits, WhenFull};
use slot::Slot;
pub use testing::MemoryBackendTesting;

/// How many expired records a write removes on its way, at most: enough to
/// keep up with any rate of new sessions (each write removes up to this many
/// for the one it may add), few enough that no single write stalls.
const SWEEP_PER_WRITE: usize = 16;

/// How long after its `exp` a record is removed in passing. Like DynamoDB's
/// TTL, which deletes items some time after they expire and never before:
/// sessions already treat an expired record as gone, so the delay costs
/// only memory, and a store that is full removes every expired record at
/// once.
const SWEEP_AFTER_SECS: i64 = 3600;

/// When the store is full, records that expired more than this long before
/// a write are removed at once: room for other threads' clocks to be a
/// little behind the writer's, so that a session alive by theirs is kept.
const FULL_SWEEP_SLACK_SECS: i64 = 60;

#[derive(Debug, Default)]
struct Inner {
    items: RwLock<Items>,
    limits: MemoryLimits,
}

/// Session records in a map, under exactly DynamoDB's conditions: create only
/// if absent, replace and touch only at the expected version, end only a
/// live record, and the same 400 KB item limit on every write, counted the
/// same way. What passes on it passes on DynamoDB.
///
/// Fit for a small deployment on one server:
///
/// * **Expired records go away by themselves**, like DynamoDB's TTL: every
///   write first removes a few records whose `exp` passed over an hour ago,
///   so nothing needs to call [`purge_expired`](Self::purge_expired). The
///   time is the write's own (the application's clock).
/// * **It is bounded** by [`MemoryLimits`] (by default 100,000 sessions and
///   256 MiB of items): when full, expired records are removed first; then,
///   by default, a new session is refused with [`BackendError::Full`] once
///   sessions not ended use 90% of either limit, the rest being kept for
///   the sessions already there to grow and log in, for which ended records
///   (tombstones) make room, oldest first ([`WhenFull::RefuseNew`]); with
///   [`WhenFull::EvictSoonestExpiring`], ended records and then the least
///   recently active sessions make room for any write. A write that does
///   not grow the store, and the end of a session (logout), is never
///   refused. Users' generations ([`users`](crate::users)) are kept
///   outside the limits and never removed (removing one would revive the
///   sessions it ended): one small entry (about 80 bytes) per user whose
///   sessions were ever ended, so their number is bounded by the app's
///   users, not by its traffic.
///
/// Sessions live only as long as the process, and each process has its own:
/// behind a load balancer with several servers, use DynamoDB.
///
/// The handle is cheap to clone; clones share the same map, so one backend
/// can serve many threads and a test can keep a handle to inspect it.
/// Its test knob (corrupt items) is in
/// [`testing::MemoryBackendTesting`](crate::testing::MemoryBackendTesting);
/// lagging replicas and call counts come from the wrappers
/// [`testing::LaggingReads`](crate::testing::LaggingReads) and
/// [`testing::CountingBackend`](crate::testing::CountingBackend).
///
/// ```
/// use dynamodb_sessions::Scheme;
/// use dynamodb_sessions::{SessionConfig, SessionManager};
/// use dynamodb_sessions::MemoryBackend;
///
/// let backend = MemoryBackend::new();
/// let manager = SessionManager::new(backend.clone(), SessionConfig::default());
/// let mut session = manager.load(None);
/// session.insert("user", "ada")?;
/// manager.commit(session, Scheme::Http)?;
/// assert_eq!(backend.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    inner: Arc<Inner>,
}

impl MemoryBackend {
    /// An empty store with the [default limits](MemoryLimits::DEFAULT).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store with these limits.
    pub fn with_limits(limits: MemoryLimits) -> Self {
        MemoryBackend {
            inner: Arc::new(Inner {
                limits,
                ..Inner::default()
            }),
        }
    }

    /// The store's limits.
    pub fn limits(&self) -> MemoryLimits {
        self.inner.limits
    }

    /// Number of sessions held that have not ended (by a logout, or under
    /// the ID a login left): what a cookie may still load. An expired one
    /// counts until it is removed (see the type's docs). Ended records are
    /// counted apart, by [`ended_len`](Self::ended_len).
    pub fn len(&self) -> usize {
        self.inner.items.read().live_len()
    }

    /// Number of ended records (tombstones) held: each logout and each
    /// login leaves one under the ID it ends, kept for an hour (or until
    /// the users already there need its room; see [`WhenFull::RefuseNew`]).
    /// They count towards [`MemoryLimits::max_sessions`] with
    /// [`len`](Self::len).
    pub fn ended_len(&self) -> usize {
        self.inner.items.read().ended_len()
    }

    /// Whether the store holds no session that has not ended
    /// ([`len`](Self::len) is 0); ended records may remain.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of every item held, ended records included, counted as
    /// DynamoDB counts item sizes; compare with [`MemoryLimits::max_bytes`].
    pub fn bytes(&self) -> usize {
        self.inner.items.read().bytes()
    }

    /// Removes every record whose `exp` is before `now` (unix seconds) at
    /// once; returns how many it removed. Writes already remove expired
    /// records a few at a time, so this is only for reclaiming memory in one
    /// go, e.g. from a timer in a process that has gone quiet.
    pub fn purge_expired(&self, now: i64) -> usize {
        self.inner.items.write().sweep(now, usize::MAX, None)
    }
}

impl MemoryBackend {
    /// Removes a few records that expired long enough before a write's
    /// time, never the record being written.
    ///
    /// The time is the write's own (`iss`, the application's clock), not the
    /// latest ever seen, so a clock that was once ahead (a VM resumed, NTP
    /// stepping back) sweeps once, not for good.
    fn sweep_in_passing(items: &mut Items, time: i64, key: &StorageKey) {
        items.sweep(
            time.saturating_sub(SWEEP_AFTER_SECS),
            SWEEP_PER_WRITE,
            Some(key),
        );
    }

    /// Makes room for `key`'s item to become `new_size` bytes (from
    /// `old_size`, 0 for a new key) at `time`, within the limits: first by
    /// removing every record expired a minute before `time`, then as
    /// [`WhenFull`] says.
    ///
    /// Under [`WhenFull::RefuseNew`], new sessions may fill only 90% of
    /// either limit with live records, and never remove anything: the rest
    /// is kept for the sessions already there, so that they can still grow
    /// and log in (a login's new record carries its session's earlier
    /// creation time) when a flood has filled the store. Their writes may
    /// remove ended records, oldest first, for room: otherwise one account
    /// logging in over and over could fill that room with the tombstones it
    /// leaves and keep every other user from logging in.
    #[allow(clippy::too_many_arguments)]
    fn make_room(
        &self,
        items: &mut Items,
        operation: Operation,
        key: &StorageKey,
        time: i64,
        old_size: usize,
        new_size: usize,
        claim: Claim,
    ) -> Result<(), BackendError> {
        let limits = &self.inner.limits;
        let spare = match claim {
            Claim::Login { created_at } => Some(created_at),
            Claim::NewSession | Claim::Existing => None,
        };
        let capped = limits.when_full == WhenFull::RefuseNew && claim == Claim::NewSession;
        let adds = usize::from(old_size == 0);
        let bytes_after = |held: usize| held.saturating_sub(old_size) + new_size;
        // The first limit the write would exceed in `items`. Named, not
        // formatted: this runs under the store's lock for every new session.
        let exceeded = |items: &Items| {
            if capped {
                let (max_sessions, max_bytes) = limits.new_sessions_share();
                if items.live_len() + adds > max_sessions {
                    return Some(Limit::Sessions(max_sessions));
                }
                if bytes_after(items.live_bytes()) > max_bytes {
                    return Some(Limit::Bytes(max_bytes));
                }
            }
            if items.len() + adds > limits.max_sessions {
                return Some(Limit::Sessions(limits.max_sessions));
            }
            if bytes_after(items.bytes()) > limits.max_bytes {
                return Some(Limit::Bytes(limits.max_bytes));
            }
            None
        };
        // What would not fit even in an empty store is refused before
        // anything is removed for it.
        if let Some(limit) = exceeded(&Items::default()) {
            return Err(limit.full(operation));
        }
        let mut swept = false;
        while let Some(limit) = exceeded(items) {
            // Every expired record first, a minute's slack for clocks of
            // other threads a little behind this one.
            if !swept {
                swept = true;
                let before = time.saturating_sub(FULL_SWEEP_SLACK_SECS);
                if items.sweep(before, usize::MAX, Some(key)) > 0 {
                    continue;
                }
            }
            let evicted = match (limits.when_full, claim) {
                (WhenFull::RefuseNew, Claim::NewSession) => false,
                (WhenFull::RefuseNew, Claim::Existing | Claim::Login { .. }) => {
                    items.evict_ended(key)
                }
                (WhenFull::EvictSoonestExpiring, _) => items.evict_soonest(key, spare),
            };
            if !evicted {
                return Err(limit.full(operation));
            }
        }
        Ok(())
    }

    /// Puts `slot` in place of the item under `key` (whose size is
    /// `old_size`), after making room for it if it grows the store.
    ///
    /// Ending a session is never refused: its tombstone's large version can
    /// make it a few bytes larger than the record it replaces, and a logout
    /// must work in a full store.
    fn write(
        &self,
        items: &mut Items,
        operation: Operation,
        key: &StorageKey,
        time: i64,
        old_size: usize,
        slot: Slot,
    ) -> Result<(), BackendError> {
        let new_size = slot.size(key);
        if new_size > old_size && !slot.is_ended() {
            let claim = Claim::Existing;
            self.make_room(items, operation, key, time, old_size, new_size, claim)?;
        }
        items.put(*key, slot);
        Ok(())
    }
}

/// A limit that a write would exceed, for the error that names it.
#[derive(Debug, Clone, Copy)]
enum Limit {
    Sessions(usize),
    Bytes(usize),
}

impl Limit {
    fn full(self, operation: Operation) -> BackendError {
        let limit = match self {
            Limit::Sessions(max) => format!("{max} sessions"),
            Limit::Bytes(max) => format!("{max} bytes"),
        };
        BackendError::Full { operation, limit }
    }
}

/// Whose room a write takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// A session that did not exist before: under [`WhenFull::RefuseNew`],
    /// only within [`MemoryLimits::new_sessions_share`].
    NewSession,
    /// A session already there, growing.
    Existing,
    /// A session already there moving to a new ID (a login), which keeps
    /// the session's creation time.
    Login { created_at: i64 },
}

impl Backend for MemoryBackend {
    fn load(
        &self,
        key: &StorageKey,
        // Every read is current: a lagging replica is a test's choice, made
        // with `testing::LaggingReads`.
        _consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        match self.inner.items.read().get(key) {
            None => Ok(LoadOutcome::Missing),
            Some(Slot::Corrupt { reason }) => Err(BackendError::Corrupt {
                reason: reason.clone(),
            }),
            Some(Slot::Record { current }) => Ok(LoadOutcome::from_stored(Some(current.clone()))),
        }
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        ensure_item_fits(Operation::Create, key, record)?;
        let mut items = self.inner.items.write();
        let time = record.issued_at;
        Self::sweep_in_passing(&mut items, time, key);
        if items.get(key).is_some() {
            return Ok(CreateOutcome::AlreadyExists);
        }
        let size = item_size(key, record);
        // A login's new record keeps its session's creation time.
        let claim = match record.created_at {
            Some(created_at) if created_at < time => Claim::Login { created_at },
            _ => Claim::NewSession,
        };
        self.make_room(&mut items, Operation::Create, key, time, 0, size, claim)?;
        let current = record.clone();
        items.put(*key, Slot::Record { current });
        Ok(CreateOutcome::Created)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        ensure_version_grows(expected_version, record)?;
        ensure_item_fits(Operation::Replace, key, record)?;
        let mut items = self.inner.items.write();
        Self::sweep_in_passing(&mut items, record.issued_at, key);
        let old_size = match items.get(key) {
            Some(slot @ Slot::Record { current }) if current.version == expected_version => {
                slot.size(key)
            }
            _ => return Ok(ReplaceOutcome::Conflict),
        };
        let slot = Slot::Record {
            current: record.clone(),
        };
        let time = record.issued_at;
        self.write(&mut items, Operation::Replace, key, time, old_size, slot)?;
        Ok(ReplaceOutcome::Replaced)
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let mut items = self.inner.items.write();
        Self::sweep_in_passing(&mut items, issued_at, key);
        let (old, old_size) = match items.get(key) {
            Some(slot @ Slot::Record { current, .. })
                if current.version == expected_version && current.issued_at < issued_at =>
            {
                (current.clone(), slot.size(key))
            }
            // A corrupt item has no version to match, as on DynamoDB.
            _ => return Ok(TouchOutcome::Conflict),
        };
        let mut touched = old;
        touched.issued_at = issued_at;
        touched.expires_at = expires_at;
        // DynamoDB refuses an update that makes the item too large.
        ensure_item_fits(Operation::Touch, key, &touched)?;
        let slot = Slot::Record { current: touched };
        self.write(&mut items, Operation::Touch, key, issued_at, old_size, slot)?;
        Ok(TouchOutcome::Touched)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        ensure_item_fits(Operation::End, key, tombstone)?;
        let mut items = self.inner.items.write();
        let time = tombstone.issued_at;
        Self::sweep_in_passing(&mut items, time, key);
        let old_size = match items.get(key) {
            Some(Slot::Record { current }) if current.is_ended() => {
                return Ok(EndOutcome::AlreadyEnded {
                    successor: current.successor,
                });
            }
            Some(slot) => slot.size(key),
            // A logout never creates an item.
            None => return Ok(EndOutcome::Missing),
        };
        let slot = Slot::Record {
            current: tombstone.clone(),
        };
        self.write(&mut items, Operation::End, key, time, old_size, slot)?;
        Ok(EndOutcome::Ended)
    }
}

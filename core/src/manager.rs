//! The entry point: turns a request's cookie into a [`Session`] and a
//! finished session into a `Set-Cookie` header.

use std::sync::Arc;

use crate::sequencer::{Sequencer, Sequencing};
use crate::session_cookie;
use crate::stats::{Counters, SessionStats};
use crate::users::Users;
use crate::{Backend, Clock, CommitError, Scheme, Session, SessionConfig, SystemClock};

/// What every session of one manager shares.
pub(crate) struct Shared {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) config: SessionConfig,
    pub(crate) clock: Arc<dyn Clock>,
    /// The turns of this process's requests, per session.
    pub(crate) sequencer: Arc<Sequencer>,
    pub(crate) counters: Counters,
    /// Users' sessions, for a manager built with them.
    pub(crate) users: Option<Users>,
}

impl Shared {
    /// Unix seconds now.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Loads and commits sessions. Cheap to clone; share one across all threads.
///
/// A request makes exactly two calls:
///
/// 1. [`load`](Self::load) with the request's `Cookie` header, which only
///    parses the cookie (the record is fetched when the session is first used);
/// 2. [`commit`](Self::commit), which writes what the request changed and
///    returns the `Set-Cookie` header value to send, if any.
///
/// ```
/// use dynamodb_sessions_core::{Scheme, SessionConfig, SessionManager};
/// use dynamodb_sessions::MemoryBackend;
///
/// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
///
/// // First request: no cookie yet.
/// let mut session = manager.load(None);
/// session.insert("visits", &1)?;
/// let set_cookie = manager.commit(session, Scheme::Http)?.expect("a new session sets a cookie");
///
/// // Second request: the browser sends the cookie back.
/// let cookie = set_cookie.split(';').next().unwrap();
/// let mut session = manager.load(Some(cookie));
/// assert_eq!(session.get::<u32>("visits")?, Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # What commit writes
///
/// [`load`](Self::load) makes no store call. The record is read when the
/// session is first used: an eventually consistent read (half the price),
/// followed by a strongly consistent one only when the record is missing,
/// older than the cookie's version, or looks expired (read-your-writes; and
/// only a strong read ends a session). A record that is ended, expired
/// (idle past `timeout` or past the absolute lifetime), undecodable or of
/// version 0 loads as a new session; the record is left alone.
///
/// [`commit`](Self::commit) then does exactly one row of this table.
/// *Loaded* means the cookie named a live record and the session read it;
/// *new* means no cookie, or one whose record was missing, ended, expired
/// or corrupt. A session that was never read, changed, invalidated or
/// regenerated is *never used*, whatever its cookie said.
///
/// | session at commit | what commit writes | `Set-Cookie` |
/// | --- | --- | --- |
/// | never used | nothing | none |
/// | new, no data | nothing: an empty session is not worth a record | none |
/// | new, data set | create, only if the key does not exist yet; again under a newly drawn ID on a collision or when a lost answer leaves the create's outcome unknown (3 IDs in all, then [`CommitError::IdCollision`] or the store's error) | new `token/1` |
/// | loaded, unchanged, written within `reissue_time` | nothing | none |
/// | loaded, unchanged, older than `reissue_time` | touch: `iss` and `exp` only, only if the stored version is still the loaded one | with `max_age`: the same value with a fresh `Max-Age`. None without `max_age` (the default: nothing in the cookie changes); none if the touch found the session changed or ended elsewhere (the browser may hold a newer cookie); none if the touch failed, which is logged and counted in [`SessionStats::failed_reissues`] (what the request read stands) |
/// | loaded, changed | replace at the loaded version + 1, only if the stored version is still the loaded one; `crt` kept | `token/version+1` |
/// | invalidated (logout) | end: a tombstone replaces the record whatever its version, without reading it; if a login had already moved the session on, the records it moved to are ended too (up to 8) | expired (`Max-Age=0`) |
/// | invalidated, then data set | end as above, then create under a new ID | new `token/1`; if the new data cannot be stored (too large, not encodable, a full store, a failed create) the logout stands: expired, the data dropped, logged and counted in [`SessionStats::dropped_after_logout`] |
/// | ID regenerated (login) | create under a new ID (`crt` carried over), then end the old record with a tombstone naming the new one, only if it is still the loaded version | new `token/1`; with no data left, only the end: none |
/// | loaded, idle or absolute limit passed since, unchanged | nothing | none |
/// | loaded, idle or absolute limit passed since, changed or regenerated | nothing: [`CommitError::Expired`] | none |
///
/// Every write is conditional and names a state that never comes back
/// once left, so a retried or delayed write can never apply late; `Ok`
/// means applied. What can go wrong, and what is left in the store:
///
/// - A replace whose version check fails is [`CommitError::Conflict`]:
///   nothing is written and the stored record is untouched; load again
///   and redo the change to retry. So is a change of a session whose
///   version has reached the tombstone's (`u64::MAX`).
/// - A login that finds the old record changed, ended or moved on by
///   another request is a conflict too: its new record is ended again, so
///   a logged-out session never comes back and a concurrent change is
///   never forked. When the answer to its end is lost, it reads the old
///   record (twice at most): its own tombstone there means done, another
///   tombstone or a newer version a lost race, the loaded version that
///   the end was not applied, so it is sent again. If the store cannot
///   say, the new record stays (the data is in at least one record) and
///   no cookie is sent for it.
/// - An item over 400 KB (counted as DynamoDB counts, with room for any
///   later reissue's `iss` and `exp`) is [`CommitError::TooLarge`] before
///   anything is written.
/// - A store error from a write means it may or may not have been applied.
///
/// A session past its idle timeout or absolute lifetime is never written
/// again, not even under a new ID, and `crt` never moves, so no sequence of
/// requests extends the absolute lifetime.
#[derive(Clone)]
pub struct SessionManager {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager storing sessions in `backend`, on the system clock.
    pub fn new(backend: impl Backend + 'static, config: SessionConfig) -> Self {
        Self::with_clock(backend, config, SystemClock)
    }

    /// A manager on a clock of your choice, e.g. a
    /// [`ManualClock`](crate::testing::ManualClock) in tests.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager, testing::ManualClock};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let clock = Arc::new(ManualClock::new(1_700_000_000));
    /// let manager = SessionManager::with_clock(MemoryBackend::new(), SessionConfig::default(), clock.clone());
    /// clock.advance(60);
    /// ```
    pub fn with_clock(
        backend: impl Backend + 'static,
        config: SessionConfig,
        clock: impl Clock + 'static,
    ) -> Self {
        Self::build(Arc::new(backend), config, Arc::new(clock), None)
    }

    pub(crate) fn build(
        backend: Arc<dyn Backend>,
        config: SessionConfig,
        clock: Arc<dyn Clock>,
        users: Option<Users>,
    ) -> Self {
        SessionManager {
            shared: Arc::new(Shared {
                backend,
                config,
                clock,
                sequencer: Arc::default(),
                counters: Counters::default(),
                users,
            }),
        }
    }

    pub(crate) fn users(&self) -> Option<&Users> {
        self.shared.users.as_ref()
    }

    /// The settings in use.
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// Starts a request's session from its `Cookie` header (join several
    /// `Cookie` headers with `"; "`).
    ///
    /// This makes no store call and cannot fail: a missing or malformed
    /// cookie simply means a new session. The record is fetched when the
    /// session is first used.
    pub fn load(&self, cookie_header: Option<&str>) -> Session {
        self.load_with(cookie_header, Sequencing::Off)
    }

    /// [`load`](Self::load), waiting for the other requests of the same
    /// session in this process as `sequencing` says, so that they do not
    /// conflict with each other (see [`Sequencing`]). The server glue
    /// (`dynamodb_sessions::http`) does this for every request.
    ///
    /// ```
    /// use dynamodb_sessions_core::{Scheme, SessionConfig, SessionManager, Sequencing};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// let mut session = manager.load(None);
    /// session.insert("visits", &1)?;
    /// let cookie = manager.commit(session, Scheme::Http)?.unwrap();
    /// let cookie = cookie.split(';').next();
    ///
    /// // A POST: it will write, so it waits for its turn before it reads.
    /// let mut session = manager.load_with(cookie, Sequencing::FromLoad);
    /// let visits: u32 = session.get("visits")?.unwrap_or(0);
    /// session.insert("visits", &(visits + 1))?;
    /// manager.commit(session, Scheme::Http)?; // the turn passes on
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_with(&self, cookie_header: Option<&str>, sequencing: Sequencing) -> Session {
        let name = self.shared.config.cookie_name();
        let incoming = cookie_header.and_then(|header| session_cookie::find(header, name));
        Session::new(Arc::clone(&self.shared), incoming, sequencing)
    }

    /// What went wrong in this manager's commits without failing them:
    /// failed reissues and logouts whose new data was dropped (see
    /// [`SessionStats`]). Cheap; read it from a health check or a metrics
    /// endpoint.
    ///
    /// ```
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// assert_eq!(manager.stats().failed_reissues, 0);
    /// ```
    pub fn stats(&self) -> SessionStats {
        self.shared.counters.snapshot()
    }

    /// Writes what the request did to its session and returns the
    /// `Set-Cookie` header value to send, if any. `scheme` says whether the
    /// request came over HTTPS ([`Scheme::Https`]); it sets the cookie's
    /// `Secure` flag unless the configuration forces it.
    ///
    /// Exactly one row of [the state table](Self#what-commit-writes) says
    /// what it writes and which cookie it returns.
    ///
    /// The session is used up either way; to retry after
    /// [`CommitError::Conflict`], load it again and redo the change. A
    /// session belongs to the manager that loaded it (or a clone of it):
    /// its store and settings decide the writes.
    ///
    /// # Errors
    ///
    /// [`CommitError::Conflict`] when another request changed or ended the
    /// session since it was loaded, [`CommitError::Expired`] when it expired
    /// meanwhile, [`CommitError::TooLarge`] over 400 KB; nothing is written
    /// in each case (a conflicting login ends the record it had just
    /// created). Otherwise store, encoding or random-source failures; a
    /// store failure means the write may or may not have been applied.
    /// [`CommitError::OtherManager`] for a session another manager loaded.
    pub fn commit(&self, session: Session, scheme: Scheme) -> Result<Option<String>, CommitError> {
        if !Arc::ptr_eq(&self.shared, &session.shared) {
            return Err(CommitError::OtherManager);
        }
        session.commit(scheme)
    }
}

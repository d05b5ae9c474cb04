//! The entry point: turns a request's cookie into a [`Session`] and a
//! finished session into a `Set-Cookie` header.

use std::sync::Arc;

use crate::sequencer::{Sequencer, Sequencing};
use crate::session_cookie;
use crate::stats::{Counters, SessionStats};
use crate::{Backend, Clock, CommitError, Scheme, Session, SessionConfig, SystemClock};

/// What every session of one manager shares.
pub(crate) struct Shared {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) config: SessionConfig,
    pub(crate) clock: Arc<dyn Clock>,
    /// The turns of this process's requests, per session.
    pub(crate) sequencer: Arc<Sequencer>,
    pub(crate) counters: Counters,
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
        SessionManager {
            shared: Arc::new(Shared {
                backend: Arc::new(backend),
                config,
                clock: Arc::new(clock),
                sequencer: Arc::default(),
                counters: Counters::default(),
            }),
        }
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
    /// | session at commit | store calls | `Set-Cookie` |
    /// | --- | --- | --- |
    /// | never used | none | none |
    /// | new, untouched | none | none |
    /// | new, data set | create (a new ID on collision) | new `token/1` |
    /// | loaded, unchanged, written within `reissue_time` | none | none |
    /// | loaded, unchanged, older than `reissue_time` | touch if the version is unchanged | same value, fresh `Max-Age`; none if changed or ended elsewhere |
    /// | loaded, changed | replace if the version is unchanged | `token/version+1` |
    /// | invalidated | end (a tombstone) | expired |
    /// | invalidated, then data set | end, then create under a new ID | new `token/1`; expired if the new data cannot be stored (it is dropped and counted in [`stats`](Self::stats)) |
    /// | ID regenerated | create under a new ID, then end the old if its version is unchanged | new `token/1` |
    /// | expired since it was loaded, changed or regenerated | none | none ([`CommitError::Expired`]) |
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

//! A manager on a manual clock over a counted backend: the scene of every
//! session-level case.

use dynamodb_sessions_core::Scheme;
use std::sync::Arc;

use dynamodb_sessions_core::{
    cache::CacheSettings,
    cache::ReadCache,
    store::{Backend, Consistency, Record, StorageKey, Token},
    testing::{CallCounts, CountingBackend, ManualClock, ManualMonotonicClock},
    users::{UserSessions, UserSettings},
    CommitError, Session, SessionConfig, SessionManager,
};

use crate::Harness;

/// The current unix time, in whole seconds. Records carry real-looking
/// times because DynamoDB's TTL deletes items whose `exp` has passed.
pub fn now() -> i64 {
    use dynamodb_sessions_core::testing::Clock as _;
    dynamodb_sessions_core::testing::SystemClock.now()
}

/// A manager, its counted backend and its clock.
pub struct Fixture<B> {
    /// The backend under test, counting its calls (below the read cache,
    /// if there is one: the calls that reach the store).
    pub backend: Arc<CountingBackend<B>>,
    /// The read cache between the manager and the backend, if any.
    pub cache: Option<Arc<ReadCache<Arc<CountingBackend<B>>>>>,
    /// The manager's clock.
    pub clock: Arc<ManualClock>,
    /// The manager under test.
    pub manager: SessionManager,
    /// Where the clock started: the real time when the fixture was made.
    pub start: i64,
}

impl<B: UserSessions + 'static> Fixture<B> {
    /// A fixture around `backend` whose manager has `users`, with the
    /// default settings.
    pub fn with_users(backend: B, users: UserSettings) -> Self {
        let backend = Arc::new(CountingBackend::new(backend));
        let start = now();
        let clock = Arc::new(ManualClock::new(start));
        let manager = SessionManager::with_users_and_clock(
            Arc::clone(&backend),
            SessionConfig::default(),
            users,
            Arc::clone(&clock),
        );
        Fixture {
            backend,
            cache: None,
            clock,
            manager,
            start,
        }
    }
}

impl<B: Backend + 'static> Fixture<B> {
    /// A fixture on a fresh backend with the default settings.
    pub fn new<H: Harness<Backend = B>>(harness: &H) -> Self {
        Self::with_config(harness, SessionConfig::default())
    }

    /// A fixture on a fresh backend with `config`.
    pub fn with_config<H: Harness<Backend = B>>(harness: &H, config: SessionConfig) -> Self {
        Self::around(harness.fresh_backend(), config)
    }

    /// A fixture around an existing backend.
    pub fn around(backend: B, config: SessionConfig) -> Self {
        let backend = Arc::new(CountingBackend::new(backend));
        let start = now();
        let clock = Arc::new(ManualClock::new(start));
        let manager = SessionManager::with_clock(Arc::clone(&backend), config, Arc::clone(&clock));
        Fixture {
            backend,
            cache: None,
            clock,
            manager,
            start,
        }
    }

    /// A fixture whose manager reads through a [`ReadCache`] with
    /// `settings`, timing staleness on `time`, its sessions on `clock`.
    /// Fixtures over one shared store (an `Arc`) and the same clocks are
    /// processes serving the same users.
    pub fn cached(
        backend: B,
        config: SessionConfig,
        settings: CacheSettings,
        clock: Arc<ManualClock>,
        time: Arc<ManualMonotonicClock>,
    ) -> Self {
        use dynamodb_sessions_core::testing::Clock as _;
        let backend = Arc::new(CountingBackend::new(backend));
        let cache = Arc::new(ReadCache::with_clock(Arc::clone(&backend), settings, time));
        let manager = SessionManager::with_clock(Arc::clone(&cache), config, Arc::clone(&clock));
        Fixture {
            start: clock.now(),
            backend,
            cache: Some(cache),
            clock,
            manager,
        }
    }

    /// Runs one request: load with `cookie` (a `name=value` pair), let `work`
    /// use the session, commit over HTTPS. Returns what `work` returned and
    /// the commit's result.
    pub fn try_request<R>(
        &self,
        cookie: Option<&str>,
        work: impl FnOnce(&mut Session) -> R,
    ) -> (R, Result<Option<String>, CommitError>) {
        let mut session = self.manager.load(cookie);
        let result = work(&mut session);
        (result, self.manager.commit(session, Scheme::Https))
    }

    /// Like [`try_request`](Self::try_request), panicking if the commit fails.
    pub fn request<R>(
        &self,
        cookie: Option<&str>,
        work: impl FnOnce(&mut Session) -> R,
    ) -> (R, Option<String>) {
        let (result, committed) = self.try_request(cookie, work);
        (result, committed.expect("commit failed"))
    }

    /// Starts a session holding `key = value`; returns its cookie pair.
    pub fn start_session(&self, key: &str, value: i64) -> String {
        let (_, set_cookie) = self.request(None, |s| s.insert(key, &value).unwrap());
        cookie_pair(&set_cookie.expect("a new session with data sets a cookie"))
    }

    /// Counts calls made by `work`.
    pub fn counting<R>(&self, work: impl FnOnce() -> R) -> (R, CallCounts) {
        self.backend.reset_counts();
        let result = work();
        (result, self.backend.counts())
    }

    /// The record stored for a cookie pair, read strongly.
    pub fn stored(&self, cookie: &str) -> Option<Record> {
        self.backend
            .inner()
            .load(&key_of(cookie), Consistency::Strong)
            .expect("load failed")
            .into_record()
    }

    /// Whether the record behind `cookie` has ended (logout or login): a
    /// tombstone is stored under its key.
    pub fn is_ended(&self, cookie: &str) -> bool {
        self.stored(cookie).is_some_and(|record| record.is_ended())
    }
}

/// The `name=value` pair of a `Set-Cookie` value, as a browser sends it back.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The storage key a cookie pair (`name=token/version`) points at.
pub fn key_of(cookie: &str) -> StorageKey {
    let value = cookie.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let token = value.split('/').next().unwrap_or_default();
    Token::parse(token)
        .expect("not a session cookie")
        .storage_key()
}

/// The version a cookie pair carries.
pub fn version_of(cookie: &str) -> u64 {
    cookie
        .rsplit('/')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("not a session cookie")
}

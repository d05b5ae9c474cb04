//! Call counters, so that tests, benchmarks and metrics can see what a request cost.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};
use crate::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

/// A relaxed atomic counter: exact totals, no ordering between counters.
#[derive(Debug, Default)]
struct Counter(AtomicU64);

impl Counter {
    fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

/// Thread-safe counters of backend calls by kind.
#[derive(Debug, Default)]
struct CallCounter {
    eventual_loads: Counter,
    strong_loads: Counter,
    creates: Counter,
    replaces: Counter,
    touches: Counter,
    ends: Counter,
    checked_loads: Counter,
    generation_reads: Counter,
    advances: Counter,
    lists: Counter,
}

impl CallCounter {
    /// Counts a load.
    fn count_load(&self, consistency: Consistency) {
        match consistency {
            Consistency::Eventual => self.eventual_loads.increment(),
            Consistency::Strong => self.strong_loads.increment(),
        }
    }

    /// Counts a create.
    fn count_create(&self) {
        self.creates.increment();
    }

    /// Counts a replace.
    fn count_replace(&self) {
        self.replaces.increment();
    }

    /// Counts a touch.
    fn count_touch(&self) {
        self.touches.increment();
    }

    /// Counts an end (logout).
    fn count_end(&self) {
        self.ends.increment();
    }

    /// The counts so far.
    fn snapshot(&self) -> CallCounts {
        CallCounts {
            eventual_loads: self.eventual_loads.get(),
            strong_loads: self.strong_loads.get(),
            creates: self.creates.get(),
            replaces: self.replaces.get(),
            touches: self.touches.get(),
            ends: self.ends.get(),
            checked_loads: self.checked_loads.get(),
            generation_reads: self.generation_reads.get(),
            advances: self.advances.get(),
            lists: self.lists.get(),
        }
    }

    /// Sets every count back to zero.
    fn reset(&self) {
        for counter in [
            &self.eventual_loads,
            &self.strong_loads,
            &self.creates,
            &self.replaces,
            &self.touches,
            &self.ends,
            &self.checked_loads,
            &self.generation_reads,
            &self.advances,
            &self.lists,
        ] {
            counter.reset();
        }
    }
}

/// How many backend calls of each kind were made, failed ones included.
///
/// ```
/// use dynamodb_sessions_core::testing::CallCounts;
///
/// let counts = CallCounts { eventual_loads: 1, creates: 1, ..CallCounts::default() };
/// assert_eq!(counts.loads(), 1);
/// assert_eq!(counts.writes(), 1);
/// assert_eq!(counts.total(), 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Eventually consistent loads.
    pub eventual_loads: u64,
    /// Strongly consistent loads.
    pub strong_loads: u64,
    /// Creates.
    pub creates: u64,
    /// Replaces.
    pub replaces: u64,
    /// Touches.
    pub touches: u64,
    /// Ends (logouts; a login ends its old ID with a replace).
    pub ends: u64,
    /// Loads of a session with a user, with its user's generation
    /// ([`UserSessions::load_checked`]: two strong reads on DynamoDB).
    pub checked_loads: u64,
    /// Strong reads of a user's generation (a login, ending sessions, a
    /// listing).
    pub generation_reads: u64,
    /// Advances of a user's generation (ending a user's sessions).
    pub advances: u64,
    /// Listings of a user's sessions.
    pub lists: u64,
}

impl CallCounts {
    /// Loads of either consistency.
    pub fn loads(&self) -> u64 {
        self.eventual_loads + self.strong_loads
    }

    /// Creates, replaces, touches and ends.
    pub fn writes(&self) -> u64 {
        self.creates + self.replaces + self.touches + self.ends
    }

    /// Calls about users ([`UserSessions`]): 0 while no session has a user.
    pub fn user_calls(&self) -> u64 {
        self.checked_loads + self.generation_reads + self.advances + self.lists
    }

    /// Every call.
    pub fn total(&self) -> u64 {
        self.loads() + self.writes() + self.user_calls()
    }
}

/// Wraps any backend and counts its calls by kind, e.g. to check what each
/// kind of request costs, or to feed metrics.
///
/// ```
/// use dynamodb_sessions_core::Scheme;
/// use dynamodb_sessions_core::{SessionConfig, SessionManager, testing::CountingBackend};
/// use dynamodb_sessions::MemoryBackend;
///
/// let backend = std::sync::Arc::new(CountingBackend::new(MemoryBackend::new()));
/// let manager = SessionManager::new(backend.clone(), SessionConfig::default());
/// let session = manager.load(None);
/// manager.commit(session, Scheme::Http)?;
/// assert_eq!(backend.counts().total(), 0, "an untouched session costs nothing");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct CountingBackend<B> {
    inner: B,
    counter: CallCounter,
}

impl<B: Backend> CountingBackend<B> {
    /// Counts the calls made to `inner`.
    pub fn new(inner: B) -> Self {
        CountingBackend {
            inner,
            counter: CallCounter::default(),
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The counts so far.
    pub fn counts(&self) -> CallCounts {
        self.counter.snapshot()
    }

    /// Sets every count back to zero.
    pub fn reset_counts(&self) {
        self.counter.reset();
    }
}

impl<B: Backend> Backend for CountingBackend<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.counter.count_load(consistency);
        self.inner.load(key, consistency)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.counter.count_create();
        self.inner.create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.counter.count_replace();
        self.inner.replace(key, expected_version, record)
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.counter.count_touch();
        self.inner
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.counter.count_end();
        self.inner.end(key, tombstone)
    }
}

/// Counts the user calls too, when the wrapped backend offers them.
impl<B: UserSessions> UserSessions for CountingBackend<B> {
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        self.counter.checked_loads.increment();
        self.inner.load_checked(key, user)
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        self.counter.generation_reads.increment();
        self.inner.generation(user)
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        self.counter.advances.increment();
        self.inner.advance(user, expected, keep)
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        self.counter.lists.increment();
        self.inner.list(user)
    }
}

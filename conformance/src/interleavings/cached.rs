//! The read cache in a schedule: it sits between the manager and the fault
//! layer (the network), times staleness on the schedule's own clock, and
//! tells the checker which loads it answered itself.

use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions_core::{
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, Record, ReplaceOutcome, StorageKey,
        TouchOutcome,
    },
    testing::ManualClock,
    BackendError, CacheSettings, Clock, MonotonicClock, ReadCache,
};

use super::faulty;
use super::scheduler;
use super::shared::{Env, Event};
use super::store::{self, Stored};

/// The schedule's clock as the cache's monotonic time: whole seconds since
/// the start. The schedule only moves its clock forward.
pub(crate) struct ScheduleTime {
    clock: Arc<ManualClock>,
    start: i64,
}

impl ScheduleTime {
    pub(crate) fn new(clock: Arc<ManualClock>, start: i64) -> Self {
        ScheduleTime { clock, start }
    }
}

impl MonotonicClock for ScheduleTime {
    fn elapsed(&self) -> Duration {
        let since = self.clock.now().saturating_sub(self.start);
        Duration::from_secs(u64::try_from(since).unwrap_or(0))
    }
}

/// The cache, with every load it answers without a store call of its
/// request's own (from memory, or another request's call) logged for the
/// checker; loads it sends on are logged by the fault layer.
pub(crate) struct Observed<B: Backend> {
    cache: ReadCache<B>,
    env: Arc<Env>,
}

impl<B: Backend> Observed<B> {
    pub(crate) fn new(
        inner: B,
        settings: CacheSettings,
        time: ScheduleTime,
        env: Arc<Env>,
    ) -> Self {
        Observed {
            cache: ReadCache::with_clock(inner, settings, time),
            env,
        }
    }
}

impl<B: Backend> Backend for Observed<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        let sent = faulty::loads_sent();
        let result = self.cache.load(key, consistency);
        if faulty::loads_sent() == sent {
            let request = scheduler::current().unwrap_or(usize::MAX);
            let found = match &result {
                Ok(Some(record)) => store::decode(record),
                _ => Stored::Missing,
            };
            self.env.trace(
                Some(request),
                format!(
                    "load K{} {consistency:?} from the cache -> {}",
                    self.env.key_id(key),
                    found.describe(self.env.start)
                ),
            );
            if let Stored::Record(record) = found {
                self.env.push(Event::Loaded {
                    request,
                    key: self.env.key_id(key),
                    record,
                    strong: false,
                    cached: true,
                });
            }
        }
        result
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.cache.create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.cache.replace(key, expected_version, record)
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.cache
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.cache.end(key, tombstone)
    }
}

//! The read cache in a schedule: it sits between the manager and the fault
//! layer (the network), times staleness on the schedule's own clock, and
//! tells the checker which loads it answered itself.
//!
//! A load that finds another load of its key at the store waits for that
//! call's answer (single flight). That wait is not a yield point of the
//! schedule, so [`Observed`] keeps the loads under way, to tell the main
//! thread whose call a blocked load waits for, and to have the request
//! making that call lend the baton to each load it woke, in turn.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynamodb_sessions_core::{
    cache::CacheSettings,
    cache::ReadCache,
    store::{Backend, Consistency, Forward, LoadOutcome, StorageKey},
    testing::Clock,
    testing::ManualClock,
    testing::MonotonicClock,
    BackendError,
};

use super::faulty;
use super::scheduler;
use super::shared::{lock, Cached, Env, Event, RequestId};
use super::store::{self, Stored};

/// How long a request whose call woke blocked loads waits for each to
/// take the baton it lends: they take it at once, unless one waits for
/// another call (the checker's guess of whose call it waits for is wrong).
const HAND_OVER_LIMIT: Duration = Duration::from_secs(10);

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

/// A load under way in the cache.
#[derive(Debug, Clone, Copy)]
struct Underway {
    key: StorageKey,
    /// Counts loads in the order they started.
    seq: u64,
    strong: bool,
    /// The request whose store call it was found waiting for.
    waits_for: Option<RequestId>,
}

/// The loads under way in one cache, by request.
#[derive(Debug, Default)]
struct Loads {
    underway: BTreeMap<RequestId, Underway>,
    started: u64,
}

impl Loads {
    /// Whose store call `waiter`, found blocked, waits for: the latest
    /// eventually consistent load of its key that has not waited itself. A
    /// load that misses the cache and joins no call makes one that later
    /// loads join, in the same turn; a strong load shares nothing; a load
    /// that waited and then makes its own call (its leader failed, or
    /// answered from before a write here) shares it with nobody.
    fn block(&mut self, waiter: RequestId) -> Option<RequestId> {
        let key = self.underway.get(&waiter)?.key;
        let leader = self
            .underway
            .iter()
            .filter(|(id, load)| {
                **id != waiter && load.key == key && !load.strong && load.waits_for.is_none()
            })
            .max_by_key(|(_, load)| load.seq)
            .map(|(id, _)| *id)?;
        self.underway.get_mut(&waiter)?.waits_for = Some(leader);
        Some(leader)
    }

    fn waiters_of(&self, leader: RequestId) -> Vec<RequestId> {
        self.underway
            .iter()
            .filter(|(_, load)| load.waits_for == Some(leader))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// The cache, with every load it answers without a store call of its
/// request's own (from memory, or another request's call) logged for the
/// checker; loads it sends on are logged by the fault layer.
pub(crate) struct Observed<B: Backend> {
    cache: ReadCache<B>,
    env: Arc<Env>,
    clock: Arc<ManualClock>,
    loads: Mutex<Loads>,
}

impl<B: Backend> Observed<B> {
    pub(crate) fn new(
        inner: B,
        settings: CacheSettings,
        clock: Arc<ManualClock>,
        env: Arc<Env>,
    ) -> Self {
        let time = ScheduleTime::new(Arc::clone(&clock), env.start);
        Observed {
            cache: ReadCache::with_clock(inner, settings, time),
            env,
            clock,
            loads: Mutex::new(Loads::default()),
        }
    }

    /// Loads waiting for another load's store call right now.
    pub(crate) fn waiting(&self) -> u64 {
        self.cache.stats().waiting
    }

    /// Notes that `request`'s load was found waiting; returns whose call
    /// it waits for.
    pub(crate) fn blocked(&self, request: RequestId) -> Option<RequestId> {
        lock(&self.loads).block(request)
    }
}

impl<B: Backend> Forward for Observed<B> {
    type Inner = ReadCache<B>;

    fn forward_to(&self) -> &ReadCache<B> {
        &self.cache
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let request = scheduler::current().unwrap_or(usize::MAX);
        let started = self.clock.now();
        {
            let mut loads = lock(&self.loads);
            loads.started += 1;
            let seq = loads.started;
            loads.underway.insert(
                request,
                Underway {
                    key: *key,
                    seq,
                    strong: consistency == Consistency::Strong,
                    waits_for: None,
                },
            );
        }
        let sent = faulty::loads_sent();
        let result = self.cache.load(key, consistency);
        // A load that was found waiting goes on when the request whose
        // call woke it lends it the baton, in that request's turn: when the
        // cache handed out the answer.
        let resumed = self.env.scheduler.resume();
        let (waited_for, waiters) = {
            let mut loads = lock(&self.loads);
            let waited_for = loads.underway.remove(&request).and_then(|l| l.waits_for);
            (waited_for, loads.waiters_of(request))
        };
        // A load whose call woke loads waiting for it lets them run now,
        // one at a time.
        if !self.env.scheduler.hand_over(&waiters, HAND_OVER_LIMIT) {
            self.env.trace(
                Some(request),
                "a load found waiting for this call did not wake".to_owned(),
            );
        }
        let key_id = self.env.key_id(key);
        if faulty::loads_sent() == sent {
            let found = match &result {
                Ok(LoadOutcome::Live(record) | LoadOutcome::Ended(record)) => store::decode(record),
                _ => Stored::Missing,
            };
            let from = match waited_for {
                Some(leader) => format!("r{leader}'s call"),
                None => "the cache".to_owned(),
            };
            self.env.trace(
                Some(request),
                format!(
                    "load K{key_id} {consistency:?} from {from} -> {}",
                    found.describe(self.env.start)
                ),
            );
            if let Stored::Record(record) = found {
                self.env.push(Event::Loaded {
                    request,
                    key: key_id,
                    record,
                    strong: false,
                    cached: Some(Cached {
                        started,
                        shared: waited_for.is_some(),
                    }),
                });
            }
        }
        if resumed {
            self.env
                .scheduler
                .yield_now(|| format!("answer to load K{key_id} in hand"), 0);
        }
        result
    }
}

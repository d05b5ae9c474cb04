//! One schedule: a few browsers whose requests (tabs) overlap, each request
//! drawing a random action, all through the fault layer, on a manual clock
//! that the schedule moves too; every promise checked after every step.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use dynamodb_sessions_core::{
    cache::CacheSettings,
    cache::Coalescing,
    regions::{HomeRouted, KeySlots},
    store::Backend,
    testing::Clock,
    testing::ManualClock,
    users::{UserSessions, UserSettings},
    DataProtection, SessionConfig, SessionManager,
};

use super::browser::{parse_set_cookie, Browser, Parsed};
use super::cached::Observed;
use super::faulty::{FaultRates, FaultyBackend, WireFaults};
use super::invariants::{
    self, CachedLoad, Delivery, Fate, Invariant, Scene, Seen, SetCookie, UserLoad,
};
use super::oracle::{Ack, Ended, Login, LogoutAck, Oracle, UserAck, Written};
use super::regions::{Outages, Regions, Routing, Setup, TtlDeletes};
use super::replicas::{RegionStore, Replicas};
use super::request::{self, Action, Request};
use super::runner::{Stats, Violation, TRACE_ENV};
use super::shared::{Done, Env, Event, Outcome, RequestId};
use super::store::{self, KeyId, RecordView, StoreView, Stored, Tag};
use super::users::{self, EndKind, UserIndex, Users};
use dynamodb_sessions_core::store::{Operation, StorageKey};

/// Where the clock starts: far from today, and in the future, so that
/// DynamoDB's TTL (which compares `exp` with the real time) never removes
/// a record the checker still looks at.
pub const START: i64 = 2_000_000_000;
/// The idle timeout of the schedules' sessions, in seconds.
pub const TIMEOUT: i64 = 60;
/// Their reissue time, in seconds.
pub const REISSUE: i64 = 10;
/// Their absolute lifetime, in seconds.
pub const ABSOLUTE: i64 = 150;

/// The read cache's settings for schedules: a bound of 3 s of the
/// schedule's clock (which moves 1 to 4 s at a time, so records outlive
/// some moves and not others), and a wait for another load's call longer
/// than any schedule takes: a load that joins a call waits, off the
/// schedule, for as many steps as that call stays in flight (while the
/// clock moves, and other requests write and log out), and gets its
/// answer, or makes its own call if that one failed.
pub const CACHE_SETTINGS: CacheSettings = CacheSettings::DEFAULT
    .max_staleness(Duration::from_secs(3))
    .coalescing(Coalescing::WaitUpTo(Duration::from_secs(20)));

/// What a schedule may do.
#[derive(Clone)]
pub struct Options {
    /// Requests per schedule, drawn between these bounds (inclusive).
    pub requests: (usize, usize),
    /// Browsers per schedule, drawn between these bounds (inclusive).
    pub browsers: (usize, usize),
    /// At most this many requests in flight at once (across browsers).
    pub max_in_flight: usize,
    /// How often each fault is injected.
    pub faults: FaultRates,
    /// Faults below the backend (the DynamoDB test's proxy), if any.
    pub wire: Option<Arc<dyn WireFaults>>,
    /// The longest a single store call may take (invariant e).
    pub call_bound: Duration,
    /// How long a request's turn may take before it counts as hung.
    pub turn_timeout: Duration,
    /// A schedule that has not finished after this many steps is reported.
    pub max_steps: u64,
    /// Whether eventually consistent reads may lag behind writes (as on
    /// DynamoDB, or any backend behind `testing::LaggingReads`). Then an eventual
    /// read that returns after a logout may still show the logged-out data;
    /// otherwise no read may.
    pub lagging_reads: bool,
    /// A [`ReadCache`](dynamodb_sessions_core::cache::ReadCache) with these
    /// settings between the manager and the fault layer, its staleness
    /// timed on the schedule's clock (whole seconds); `None` for none.
    pub cache: Option<CacheSettings>,
    /// Whether sessions carry users (needs [`run_with_users`]).
    pub users: Users,
    /// Schedules across regions (needs [`run_regions`]); `None` for one
    /// store.
    pub regions: Option<Regions>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("requests", &self.requests)
            .field("browsers", &self.browsers)
            .field("max_in_flight", &self.max_in_flight)
            .field("faults", &self.faults)
            .field("wire", &self.wire.is_some())
            .field("call_bound", &self.call_bound)
            .field("turn_timeout", &self.turn_timeout)
            .field("max_steps", &self.max_steps)
            .field("lagging_reads", &self.lagging_reads)
            .field("cache", &self.cache)
            .field("users", &self.users)
            .field("regions", &self.regions)
            .finish()
    }
}

impl Default for Options {
    /// For an in-memory store: every call within 1 s.
    fn default() -> Self {
        Options {
            requests: (6, 14),
            browsers: (2, 3),
            max_in_flight: 4,
            faults: FaultRates::default(),
            wire: None,
            call_bound: Duration::from_secs(1),
            turn_timeout: Duration::from_secs(30),
            max_steps: 5_000,
            lagging_reads: false,
            cache: None,
            users: Users::Off,
            regions: None,
        }
    }
}

/// The sessions' settings: short times, so that a schedule of a few dozen
/// clock moves crosses the reissue time, the timeout and the absolute
/// lifetime. With a `max_age` a reissue sends the cookie again; without,
/// it sends none.
pub fn session_config(max_age: Option<Duration>) -> SessionConfig {
    config_in(max_age, KeySlots::ALL, Duration::ZERO)
}

/// [`session_config`], drawing session IDs in `slots`, with this expiry
/// margin.
fn config_in(max_age: Option<Duration>, slots: KeySlots, margin: Duration) -> SessionConfig {
    SessionConfig::builder()
        .key_slots(slots)
        .expiry_margin(margin)
        .max_age(max_age)
        .timeout(Duration::from_secs(TIMEOUT as u64))
        .reissue_time(Duration::from_secs(REISSUE as u64))
        .absolute_lifetime(Some(Duration::from_secs(ABSOLUTE as u64)))
        // The checker reads the records it observes by key, without the
        // tokens that would open sealed data; sealing has its own cases.
        .data_protection(DataProtection::Plain)
        .build()
        .expect("valid settings")
}

/// Runs the schedule of `seed`: the manager on `backend` (through the fault
/// layer), the checker reading `observer` (the same store, reached
/// directly; for an in-memory store, the same handle). Without users: for
/// [`Users::On`], see [`run_with_users`].
///
/// # Errors
///
/// The first [`Violation`] found, with the seed and the trace; a
/// [`Invariant::Harness`] one for [`Users::On`], which needs a store
/// with `UserSessions`.
pub fn run<B, O>(
    seed: u64,
    options: &Options,
    backend: Arc<B>,
    observer: Arc<O>,
) -> Result<Stats, Violation>
where
    B: Backend + 'static,
    O: Backend + 'static,
{
    if options.users != Users::Off {
        return Err(Violation {
            seed,
            invariant: Invariant::Harness,
            message: "users in schedules need a store with UserSessions: run_with_users".into(),
            trace: Vec::new(),
        });
    }
    if options.regions.is_some() {
        return Err(harness_error(
            seed,
            "schedules across regions run with run_regions",
        ));
    }
    let stores = Stores::one(backend, observer);
    schedule(seed, options, stores, None, &plain_manager)
}

fn harness_error(seed: u64, message: &str) -> Violation {
    Violation {
        seed,
        invariant: Invariant::Harness,
        message: message.into(),
        trace: Vec::new(),
    }
}

/// [`run`] across regions: the schedule's own replicated store
/// ([`Options::regions`]), one process per region.
///
/// # Errors
///
/// The first [`Violation`] found, with the seed and the trace; a
/// [`Invariant::Harness`] one without [`Options::regions`], or with users
/// or a read cache, which schedules across regions do not combine with.
pub fn run_regions(seed: u64, options: &Options) -> Result<Stats, Violation> {
    let Some(regions) = options.regions else {
        return Err(harness_error(seed, "run_regions needs Options::regions"));
    };
    if options.users != Users::Off || options.cache.is_some() {
        return Err(harness_error(
            seed,
            "schedules across regions run without users and without a read cache",
        ));
    }
    let clock = Arc::new(ManualClock::new(START));
    let delay = i64::try_from(regions.delay.as_secs()).unwrap_or(i64::MAX);
    let replicas = Replicas::new(regions.model, regions.count, delay, Arc::clone(&clock));
    let mut routed = Vec::new();
    let mut key_slots = Vec::new();
    let mut backends: Vec<Arc<Box<dyn Backend>>> = Vec::new();
    for local in 0..regions.count {
        let backend: Box<dyn Backend> = match regions.setup {
            Setup::PerRegion => {
                key_slots.push(KeySlots::ALL);
                Box::new(replicas.region(local))
            }
            Setup::HomeRouted(failover) => {
                let mut builder = HomeRouted::builder()
                    .local(Regions::name(local))
                    .failover(failover);
                for region in 0..regions.count {
                    builder = builder.region(
                        Regions::name(region),
                        regions.slots(region),
                        replicas.region(region),
                    );
                }
                let home_routed = Arc::new(builder.build().map_err(|error| {
                    harness_error(seed, &format!("the regions do not build: {error}"))
                })?);
                key_slots.push(home_routed.local_slots());
                routed.push(Arc::clone(&home_routed));
                Box::new(home_routed)
            }
        };
        backends.push(Arc::new(backend));
    }
    let stores = Stores {
        backends,
        observer: Arc::new(replicas.settled()),
        clock,
        key_slots,
        replicas: Some(Across { replicas, routed }),
    };
    schedule(seed, options, stores, None, &plain_manager)
}

/// Across regions: the replicas, and the home-routed backends to mark
/// regions down and up on.
struct Across {
    replicas: Arc<Replicas>,
    routed: Vec<Arc<HomeRouted<RegionStore>>>,
}

/// What a schedule runs on: one backend per process (or one for all), the
/// checker's direct view, and the clock.
struct Stores<B> {
    backends: Vec<Arc<B>>,
    observer: Arc<dyn Backend>,
    clock: Arc<ManualClock>,
    /// Per process, where it draws session IDs (empty: anywhere).
    key_slots: Vec<KeySlots>,
    /// The replicas, across regions.
    replicas: Option<Across>,
}

impl<B> Stores<B> {
    fn one<O: Backend + 'static>(backend: Arc<B>, observer: Arc<O>) -> Self {
        Stores {
            backends: vec![backend],
            observer,
            clock: Arc::new(ManualClock::new(START)),
            key_slots: Vec::new(),
            replicas: None,
        }
    }
}

/// [`run`] on a store that offers `UserSessions`: with [`Options::users`]
/// on, the managers are built with users, and the calls about users go
/// through the fault layer too.
///
/// # Errors
///
/// The first [`Violation`] found, with the seed and the trace.
pub fn run_with_users<B, O>(
    seed: u64,
    options: &Options,
    backend: Arc<B>,
    observer: Arc<O>,
) -> Result<Stats, Violation>
where
    B: UserSessions + 'static,
    O: Backend + 'static,
{
    if options.regions.is_some() {
        return Err(harness_error(
            seed,
            "schedules across regions run with run_regions",
        ));
    }
    let users: Arc<dyn UserSessions> = backend.clone();
    let stores = Stores::one(backend, observer);
    schedule(seed, options, stores, Some(users), &user_manager)
}

/// What a process's manager is built on: the network, or its read cache
/// over the network.
enum Network<B: Backend> {
    Direct(FaultyBackend<B>),
    Cached(Arc<Observed<FaultyBackend<B>>>),
}

/// Builds a process's manager, with these user settings if any.
type Build<B> =
    dyn Fn(Network<B>, SessionConfig, Arc<ManualClock>, Option<UserSettings>) -> SessionManager;

/// A manager without users.
fn plain_manager<B: Backend + 'static>(
    network: Network<B>,
    config: SessionConfig,
    clock: Arc<ManualClock>,
    _: Option<UserSettings>,
) -> SessionManager {
    match network {
        Network::Direct(faulty) => SessionManager::with_clock(faulty, config, clock),
        Network::Cached(cache) => SessionManager::with_clock(cache, config, clock),
    }
}

/// A manager with users when there are user settings.
fn user_manager<B: UserSessions + 'static>(
    network: Network<B>,
    config: SessionConfig,
    clock: Arc<ManualClock>,
    users: Option<UserSettings>,
) -> SessionManager {
    match (network, users) {
        (Network::Direct(faulty), Some(users)) => {
            SessionManager::with_users_and_clock(faulty, config, users, clock)
        }
        (Network::Cached(cache), Some(users)) => {
            SessionManager::with_users_and_clock(cache, config, users, clock)
        }
        (network, None) => plain_manager(network, config, clock, None),
    }
}

fn schedule<B>(
    seed: u64,
    options: &Options,
    stores: Stores<B>,
    users: Option<Arc<dyn UserSessions>>,
    build: &Build<B>,
) -> Result<Stats, Violation>
where
    B: Backend + 'static,
{
    let mut world = World::new(seed, options, stores, users, build);
    let result = world.drive();
    world.shutdown();
    if std::env::var_os(TRACE_ENV).is_some() {
        eprintln!("seed {seed}:\n  {}", world.trace.join("\n  "));
    }
    match result {
        Ok(()) => {
            world.finish();
            Ok(world.stats)
        }
        Err((invariant, message)) => Err(Violation {
            seed,
            invariant,
            message,
            trace: world.trace,
        }),
    }
}

type Failure = (Invariant, String);

/// The main thread's choice for the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Start,
    Run(RequestId),
    Deliver(usize),
    Clock,
    Late(usize),
    /// Across regions: a queued write reaches another region.
    Replicate(usize),
    /// Across regions: a region goes down, or comes back.
    Outage(usize),
    Recover(usize),
    /// Across regions: a region's TTL deletes what its replica holds past
    /// `exp`.
    Expire(usize),
}

/// Across regions, the most outages a schedule draws: enough to fail over
/// and back, and not so many that most requests meet a region down.
const MAX_OUTAGES: u32 = 2;

/// Processes serving the schedule's requests when the read cache is on.
const PROCESSES: usize = 2;

/// With users, how many requests per thousand are an admin's ending all
/// sessions of a user.
const ADMIN_REQUESTS: u32 = 25;

/// What the main thread keeps about one request.
#[derive(Debug, Clone)]
struct RequestState {
    /// `None` for an admin's request.
    browser: Option<usize>,
    /// The process (manager) serving it.
    process: usize,
    action: Action,
    tag: Tag,
    /// The key its cookie named when it started.
    cookie_key: Option<KeyId>,
    /// The tag it loaded.
    parent: Option<Tag>,
    /// The records loads handed it, in order.
    loaded: Vec<Load>,
    /// Keys its writes were told succeeded.
    own_writes: BTreeSet<KeyId>,
    /// Whether it committed a tagged write.
    wrote: bool,
    /// The tags of the records its logout's `end`s found (several when
    /// it follows logins that moved the session on).
    ended: Vec<Tag>,
    /// With users: the step at which its load started.
    load_started: Option<u64>,
    /// Whether it listed its user's sessions: its `end`s after that end
    /// them (by handle, or past the cap after a login).
    listed: bool,
    /// Keys those `end`s were told they ended.
    ended_keys: Vec<KeyId>,
    /// The step at which its latest call ending users' sessions started.
    end_started: u64,
    /// With users: its browser's user (an admin's: the user it ends).
    user: Option<UserIndex>,
}

/// A record a load handed a request.
#[derive(Debug, Clone, Copy)]
struct Load {
    record: RecordView,
    /// The step at which it was handed out.
    step: u64,
    /// Whether the store read it strongly.
    strong: bool,
    /// Whether the read cache answered.
    cached: bool,
}

/// A response waiting to reach its browser.
#[derive(Debug, Clone)]
struct Response {
    request: RequestId,
    set_cookie: Option<String>,
}

struct World<B: Backend> {
    options: Options,
    env: Arc<Env>,
    /// One per process, or one for all.
    backends: Vec<Arc<B>>,
    /// Across regions: the replicas, and each browser's home region.
    replicas: Option<Arc<Replicas>>,
    /// Across regions, home-routed: each process's backend.
    routed: Vec<Arc<HomeRouted<RegionStore>>>,
    homes: Vec<usize>,
    /// Outages so far.
    outages: u32,
    /// The store under test, seen with its `UserSessions` (for held-back
    /// advances, and to read the users' generations).
    users: Option<Arc<dyn UserSessions>>,
    clock: Arc<ManualClock>,
    /// One per process: several only with the read cache.
    managers: Vec<SessionManager>,
    /// Each process's read cache, if they have one.
    caches: Vec<Arc<Observed<FaultyBackend<B>>>>,
    cookie_name: String,
    browsers: Vec<Browser>,
    /// Per browser: requests started whose response has not arrived.
    open: Vec<usize>,
    requests: BTreeMap<RequestId, RequestState>,
    to_start: usize,
    pending: Vec<Response>,
    oracle: Oracle,
    store: StoreView,
    /// Each key's last version and `exp`, to notice `exp` moving back.
    exps: BTreeMap<KeyId, (u64, i64)>,
    /// Each key's records that were replaced, with the time they were:
    /// what the read cache may still hand out within its bound.
    past: BTreeMap<KeyId, Vec<(RecordView, i64)>>,
    trace: Vec<String>,
    stats: Stats,
    threads: Vec<JoinHandle<()>>,
    step: u64,
}

impl<B: Backend + 'static> World<B> {
    fn new(
        seed: u64,
        options: &Options,
        stores: Stores<B>,
        users: Option<Arc<dyn UserSessions>>,
        build: &Build<B>,
    ) -> Self {
        let Stores {
            backends,
            observer,
            clock,
            key_slots,
            replicas,
        } = stores;
        let (replicas, routed) = match replicas {
            Some(across) => (Some(across.replicas), across.routed),
            None => (None, Vec::new()),
        };
        let env = Arc::new(Env::new(
            seed,
            options.faults,
            options.wire.clone(),
            observer,
            START,
        ));
        // Half the schedules give the cookie a Max-Age, so that reissues
        // send it again.
        let max_age = env
            .roll(|rng| rng.chance(500))
            .then_some(Duration::from_secs(3600));
        let config = session_config(max_age);
        // A third of the schedules with users cap them at two sessions.
        let user_settings = match options.users {
            Users::Off => None,
            Users::On => Some(users::settings(seed, env.roll(|rng| rng.chance(333)))),
        };
        let cookie_name = config.cookie_name().to_owned();
        let network = || FaultyBackend::new(Arc::clone(&backends[0]), Arc::clone(&env));
        // Two processes, each with its own cache: what one writes, the
        // other's cache holds stale, within the bound.
        let caches: Vec<_> = options
            .cache
            .map(|settings| {
                (0..PROCESSES)
                    .map(|_| {
                        Arc::new(Observed::new(
                            network(),
                            settings,
                            Arc::clone(&clock),
                            Arc::clone(&env),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let managers = if caches.is_empty() {
            // One process per backend: one per region, else one.
            backends
                .iter()
                .enumerate()
                .map(|(process, backend)| {
                    let network = FaultyBackend::new(Arc::clone(backend), Arc::clone(&env));
                    let margin = options.regions.map_or(Duration::ZERO, |r| r.expiry_margin);
                    let config = match key_slots.get(process) {
                        Some(slots) => config_in(max_age, *slots, margin),
                        None => config.clone(),
                    };
                    build(
                        Network::Direct(network),
                        config,
                        Arc::clone(&clock),
                        user_settings.clone(),
                    )
                })
                .collect()
        } else {
            caches
                .iter()
                .map(|cache| {
                    build(
                        Network::Cached(Arc::clone(cache)),
                        config.clone(),
                        Arc::clone(&clock),
                        user_settings.clone(),
                    )
                })
                .collect()
        };
        let draw = |(low, high): (usize, usize)| {
            env.roll(|rng| rng.range(low as u64, high.max(low) as u64) as usize)
        };
        // With users, two browsers of u0 (one can end the other's session)
        // and one of u1.
        let fewest = match options.users {
            Users::Off => 1,
            Users::On => 3,
        };
        let browsers = vec![Browser::default(); draw(options.browsers).max(fewest)];
        let open = vec![0; browsers.len()];
        let to_start = draw(options.requests);
        // Across regions, each browser lives nearest one region.
        let homes = match &replicas {
            Some(replicas) => browsers
                .iter()
                .map(|_| env.roll(|rng| rng.below(replicas.regions() as u64) as usize))
                .collect(),
            None => Vec::new(),
        };
        World {
            options: options.clone(),
            env,
            backends,
            replicas,
            routed,
            homes,
            outages: 0,
            users,
            clock,
            managers,
            caches,
            cookie_name,
            browsers,
            open,
            requests: BTreeMap::new(),
            to_start,
            pending: Vec::new(),
            oracle: Oracle::default(),
            store: StoreView::default(),
            exps: BTreeMap::new(),
            past: BTreeMap::new(),
            trace: Vec::new(),
            stats: Stats {
                schedules: 1,
                ..Stats::default()
            },
            threads: Vec::new(),
            step: 0,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Moves the clock; across regions, delivers the replicated writes due
    /// by then (a write reaches every region within the delay). Returns
    /// how many arrived.
    fn advance_clock(&mut self, seconds: i64) -> usize {
        self.clock.advance(seconds);
        self.replicas
            .as_ref()
            .map_or(0, |replicas| replicas.deliver_due())
    }

    fn scene(&self) -> Scene<'_> {
        Scene {
            oracle: &self.oracle,
            store: &self.store,
            now: self.now(),
            absolute: ABSOLUTE,
            start: START,
        }
    }

    fn drive(&mut self) -> Result<(), Failure> {
        while let Some(choice) = self.choose() {
            self.step = self.env.scheduler.next_step();
            self.stats.steps += 1;
            if self.step > self.options.max_steps {
                return Err((
                    Invariant::Harness,
                    format!(
                        "the schedule did not finish in {} steps",
                        self.options.max_steps
                    ),
                ));
            }
            let line = self.perform(choice)?;
            self.settle(line)?;
        }
        match self.env.scheduler.waiting().first() {
            // Blocked, with no call in flight to wake it.
            Some(stuck) => Err((
                Invariant::Harness,
                format!("r{} waits for a call that no request is making", stuck.id),
            )),
            None => Ok(()),
        }
    }

    fn choose(&mut self) -> Option<Choice> {
        let waiting = self.env.scheduler.waiting();
        let late = self.env.late_due();
        let step = self.env.scheduler.step();
        let mut choices = Vec::new();
        if self.to_start > 0
            && waiting.len() < self.options.max_in_flight
            && !self.may_start().is_empty()
        {
            choices.push((Choice::Start, 3));
        }
        for request in waiting.iter().filter(|w| w.eligible) {
            choices.push((Choice::Run(request.id), 4));
        }
        for index in 0..self.pending.len() {
            choices.push((Choice::Deliver(index), 2));
        }
        for (index, _) in late.iter().enumerate().filter(|(_, due)| **due <= step) {
            choices.push((Choice::Late(index), 1));
        }
        if choices.is_empty() {
            // Only delayed calls and held-back writes are left: let them go.
            for request in waiting.iter().filter(|w| !w.blocked) {
                choices.push((Choice::Run(request.id), 4));
            }
            for index in 0..late.len() {
                choices.push((Choice::Late(index), 1));
            }
        }
        if choices.is_empty() {
            return None;
        }
        if self.to_start > 0 || !waiting.is_empty() {
            choices.push((Choice::Clock, 2));
        }
        if let Some(replicas) = &self.replicas {
            for index in replicas.deliverable() {
                choices.push((Choice::Replicate(index), 1));
            }
            let outages = self.options.regions.map(|r| r.outages);
            let down: Vec<usize> = (0..replicas.regions())
                .filter(|r| replicas.is_down(*r))
                .collect();
            match (outages, down.first()) {
                (Some(Outages::Drawn), None) if self.outages < MAX_OUTAGES => {
                    for region in 0..replicas.regions() {
                        choices.push((Choice::Outage(region), 1));
                    }
                }
                (_, Some(region)) => choices.push((Choice::Recover(*region), 2)),
                _ => {}
            }
            if self.options.regions.map(|r| r.ttl) == Some(TtlDeletes::Drawn) {
                for region in 0..replicas.regions() {
                    if !replicas.expired_in(region).is_empty() {
                        choices.push((Choice::Expire(region), 1));
                    }
                }
            }
        }
        let weights: Vec<u32> = choices.iter().map(|(_, weight)| *weight).collect();
        let index = self.env.roll(|rng| rng.weighted(&weights))?;
        Some(choices[index].0)
    }

    /// Takes one step; returns the trace line to show if the step logs none.
    fn perform(&mut self, choice: Choice) -> Result<Option<String>, Failure> {
        match choice {
            Choice::Start => {
                self.start_request();
                Ok(None)
            }
            Choice::Run(id) => self.run_request(id),
            Choice::Deliver(index) => {
                self.deliver(index)?;
                Ok(None)
            }
            Choice::Clock => {
                let seconds = self.env.roll(|rng| match rng.weighted(&[40, 6, 3, 1]) {
                    Some(1) => REISSUE + 1,
                    Some(2) => TIMEOUT + 1,
                    Some(3) => ABSOLUTE + 1,
                    _ => rng.range(1, 5) as i64,
                });
                let replicated = match self.advance_clock(seconds) {
                    0 => String::new(),
                    n => format!("; {n} replicated writes arrive"),
                };
                Ok(Some(format!(
                    "#{} clock +{seconds} s -> {}{replicated}",
                    self.step,
                    self.now() - START
                )))
            }
            Choice::Replicate(index) => {
                let replicas = self.replicas.as_ref().expect("only across regions");
                Ok(Some(format!("#{} {}", self.step, replicas.deliver(index))))
            }
            Choice::Expire(region) => self.expire(region),
            Choice::Outage(region) | Choice::Recover(region) => {
                let down = matches!(choice, Choice::Outage(_));
                let replicas = self.replicas.as_ref().expect("only across regions");
                replicas.set_down(region, down);
                // The operators see it and mark the region in every process.
                for routed in &self.routed {
                    let name = Regions::name(region);
                    let marked = match down {
                        true => routed.mark_down(&name),
                        false => routed.mark_up(&name),
                    };
                    marked.map_err(|error| (Invariant::Harness, error.to_string()))?;
                }
                if down {
                    self.outages += 1;
                    *self.stats.notes.entry("region outages").or_default() += 1;
                }
                Ok(Some(format!(
                    "#{} region {region} {}",
                    self.step,
                    if down { "goes down" } else { "is back" }
                )))
            }
            Choice::Late(index) => {
                let late = self.env.take_late(index);
                self.env.trace(
                    Some(late.request),
                    "a held-back copy reaches the store:".to_owned(),
                );
                let process = self.process_of(late.request).unwrap_or(0);
                let backend = &self.backends[process.min(self.backends.len() - 1)];
                let _ = self.env.apply(
                    &**backend,
                    self.users.as_deref(),
                    &late.call,
                    late.request,
                    false,
                );
                Ok(None)
            }
        }
    }

    /// The browsers that may send a request now: those with a cookie, and
    /// those waiting for no response. A browser without a session sends
    /// one request (the first page) and waits, as browsers do; only then do
    /// its tabs share, and race on, one session.
    fn may_start(&self) -> Vec<usize> {
        (0..self.browsers.len())
            .filter(|b| self.browsers[*b].key().is_some() || self.open[*b] == 0)
            .collect()
    }

    fn start_request(&mut self) {
        // Browser 0, when it may, sends most requests: its tabs overlap
        // often, which is where sessions race.
        let candidates = self.may_start();
        let users = self.options.users;
        // With users, some requests are an admin's, ending all sessions of
        // a user.
        let admin = match users {
            Users::Off => None,
            Users::On => self.env.roll(|rng| {
                rng.chance(ADMIN_REQUESTS)
                    .then(|| rng.below(users::USER_IDS.len() as u64) as UserIndex)
            }),
        };
        let (browser, action, user) = match admin {
            Some(user) => (None, Action::EndAll, Some(user)),
            None => self.env.roll(|rng| {
                let browser = if candidates.contains(&0) && rng.chance(600) {
                    0
                } else {
                    candidates[rng.below(candidates.len() as u64) as usize]
                };
                let user = (users == Users::On).then(|| users::user_of_browser(browser));
                (Some(browser), Action::draw(rng, users), user)
            }),
        };
        // Only a logged-in user is offered to end sessions: a browser whose
        // session has no user (as far as the checker knows) logs in.
        let action = match (action, browser) {
            (Action::EndOthers | Action::EndByHandle, Some(browser))
                if !self.has_user_session(browser) =>
            {
                Action::LoginAs
            }
            _ => action,
        };
        let process = match (self.options.regions, &self.replicas, browser) {
            (Some(regions), Some(replicas), Some(browser)) => {
                let down: Vec<bool> = (0..regions.count).map(|r| replicas.is_down(r)).collect();
                let draw = match regions.routing {
                    Routing::Any => self
                        .env
                        .roll(|rng| rng.below(regions.count as u64) as usize),
                    _ => 0,
                };
                let region = regions.route(self.homes[browser], &down, draw);
                let away = self.browsers[browser]
                    .key()
                    .and_then(|key| self.env.key(key))
                    .is_some_and(|key| !regions.slots(region).holds(&key));
                if away && regions.setup != Setup::PerRegion {
                    *self
                        .stats
                        .notes
                        .entry("requests served away from their session's home")
                        .or_default() += 1;
                }
                region
            }
            _ => match self.managers.len() {
                1 => 0,
                n => self.env.roll(|rng| rng.below(n as u64) as usize),
            },
        };
        self.to_start -= 1;
        let id = self.requests.len() + 1;
        if action == Action::ReadLate {
            self.advance_clock(REISSUE + 1);
        }
        let on_process = if self.managers.len() > 1 {
            format!(" on p{process}")
        } else {
            String::new()
        };
        let (cookie, cookie_key) = match browser {
            Some(browser) => {
                self.open[browser] += 1;
                let jar = &self.browsers[browser];
                self.trace.push(format!(
                    "#{} start r{id} b{browser}{on_process} {} with {}{}",
                    self.step,
                    action.name(),
                    jar.describe(),
                    if action == Action::ReadLate {
                        format!(" (clock +{} s -> {})", REISSUE + 1, self.now() - START)
                    } else {
                        String::new()
                    }
                ));
                (jar.header(&self.cookie_name), jar.key())
            }
            None => {
                self.trace.push(format!(
                    "#{} start r{id} admin{on_process} {} of {}",
                    self.step,
                    action.name(),
                    user.map_or("?", |user| users::USER_IDS[user]),
                ));
                (None, None)
            }
        };
        let request = Request {
            id,
            action,
            cookie,
            // Request numbers are unique in a schedule: r5 writes t5.
            tag: id as Tag,
            user,
        };
        self.requests.insert(
            id,
            RequestState {
                browser,
                process,
                action,
                tag: request.tag,
                cookie_key,
                parent: None,
                loaded: Vec::new(),
                own_writes: BTreeSet::new(),
                wrote: false,
                ended: Vec::new(),
                load_started: None,
                listed: false,
                ended_keys: Vec::new(),
                end_started: 0,
                user,
            },
        );
        self.stats.requests += 1;
        let (manager, clock, env) = (
            self.managers[process].clone(),
            Arc::clone(&self.clock),
            Arc::clone(&self.env),
        );
        let handle = self.env.scheduler.spawn(id, move || {
            request::serve(&request, &manager, &clock, &env);
        });
        self.threads.push(handle);
    }

    /// Whether the browser's cookie names a live record with a user.
    fn has_user_session(&self, browser: usize) -> bool {
        self.browsers[browser]
            .key()
            .and_then(|key| self.store.live(key, self.now(), ABSOLUTE))
            .is_some_and(|record| record.user.is_some())
    }

    fn run_request(&mut self, id: RequestId) -> Result<Option<String>, Failure> {
        use super::scheduler::Turn;
        let cache = self
            .requests
            .get(&id)
            .and_then(|request| self.caches.get(request.process));
        // A load of its process's cache waits for another's call: one
        // more waiting than the requests already found blocked there.
        let blocked = || {
            cache.is_some_and(|cache| {
                let found = self
                    .env
                    .scheduler
                    .waiting()
                    .iter()
                    .filter(|w| w.blocked && self.process_of(w.id) == self.process_of(id))
                    .count();
                cache.waiting() > found as u64
            })
        };
        match self
            .env
            .scheduler
            .give_turn(id, self.options.turn_timeout, &blocked)
        {
            Turn::Blocked => {
                *self
                    .stats
                    .notes
                    .entry("loads that waited for another's call")
                    .or_default() += 1;
                let leader = cache.and_then(|cache| cache.blocked(id));
                Ok(Some(format!(
                    "{} waits for {}",
                    self.prefix(id),
                    leader.map_or("a call no request is making".to_owned(), |leader| {
                        format!("r{leader}'s call")
                    })
                )))
            }
            Turn::Parked => {
                let label = self
                    .env
                    .scheduler
                    .waiting()
                    .into_iter()
                    .find(|w| w.id == id)
                    .map(|w| w.label)
                    .unwrap_or_default();
                Ok(Some(format!("{} {label}", self.prefix(id))))
            }
            Turn::Finished(None) => Ok(Some(format!("{} done", self.prefix(id)))),
            Turn::Finished(Some(panic)) => {
                Err((Invariant::Harness, format!("r{id} panicked: {panic}")))
            }
            Turn::Hung => Err((
                Invariant::CallBound,
                format!(
                    "r{id} neither yielded nor finished within {:?}",
                    self.options.turn_timeout
                ),
            )),
        }
    }

    fn process_of(&self, id: RequestId) -> Option<usize> {
        self.requests.get(&id).map(|request| request.process)
    }

    fn prefix(&self, id: RequestId) -> String {
        match self.requests.get(&id) {
            Some(r) => match r.browser {
                Some(browser) => format!("#{} r{id} b{browser} {}:", self.step, r.action.name()),
                None => format!("#{} r{id} admin {}:", self.step, r.action.name()),
            },
            None => format!("#{} r{id}:", self.step),
        }
    }

    fn deliver(&mut self, index: usize) -> Result<(), Failure> {
        let response = self.pending.remove(index);
        let Some((state, browser)) = self
            .requests
            .get(&response.request)
            .and_then(|state| Some((state, state.browser?)))
        else {
            return Ok(());
        };
        self.open[browser] -= 1;
        let parsed = match response.set_cookie.as_deref() {
            None => None,
            Some(header) => Some(
                parse_set_cookie(header, &self.cookie_name)
                    .map_err(|why| (Invariant::Harness, why))?,
            ),
        };
        let (set, numbered) = match &parsed {
            None => (SetCookie::None, None),
            // A cleared cookie names no key.
            Some(clear @ Parsed::Clear) => (SetCookie::Clear, Some((clear, 0))),
            Some(value @ Parsed::Value { key, .. }) => {
                let id = self.env.key_id(key);
                (SetCookie::Value(id), Some((value, id)))
            }
        };
        let index = browser;
        let browser = &mut self.browsers[index];
        let delivered_before = browser.known_keys();
        browser.apply(numbered);
        self.trace.push(format!(
            "#{} deliver r{} to b{}: {}",
            self.step,
            response.request,
            index,
            match set {
                SetCookie::None => "no Set-Cookie".to_owned(),
                SetCookie::Clear => "cookie cleared".to_owned(),
                SetCookie::Value(_) => format!("cookie {}", browser.describe()),
            }
        ));
        let delivery = Delivery {
            request: response.request,
            browser: index,
            logout: state.action == Action::Logout,
            set,
            own_write: matches!(set, SetCookie::Value(key) if state.own_writes.contains(&key)),
            delivered_before,
        };
        match invariants::delivery(&self.scene(), &delivery) {
            Ok(true) => {
                *self
                    .stats
                    .notes
                    .entry("cookie overtaken by events")
                    .or_default() += 1
            }
            Ok(false) => {}
            Err(message) => return Err((Invariant::CookiesPointAtLive, message)),
        }
        if set == SetCookie::Clear && state.action != Action::Logout {
            *self
                .stats
                .notes
                .entry("non-logout cleared a cookie")
                .or_default() += 1;
        }
        Ok(())
    }

    /// After a step: reads what it logged, brings the picture of the store
    /// up to date, and checks every promise.
    fn settle(&mut self, line: Option<String>) -> Result<(), Failure> {
        let mut written = BTreeSet::new();
        let mut calls = Vec::new();
        let mut seen = Vec::new();
        let mut cached = Vec::new();
        let mut committed = Vec::new();
        let mut user_seen = Vec::new();
        let mut advanced = false;
        let mut traced = false;
        for event in self.env.drain() {
            match event {
                Event::Trace { request, line } => {
                    let prefix = match request {
                        Some(id) => self.prefix(id),
                        None => format!("#{}", self.step),
                    };
                    self.trace.push(format!("{prefix} {line}"));
                    traced = true;
                }
                Event::Fault { kind } => *self.stats.faults.entry(kind).or_default() += 1,
                Event::Call(call) => {
                    self.stats.calls += 1;
                    self.stats.slowest_call = self.stats.slowest_call.max(call.elapsed);
                    invariants::call_bound(&call, self.options.call_bound)
                        .map_err(|m| (Invariant::CallBound, m))?;
                    if let (Some(_), Some(key)) = (call.write, call.key) {
                        written.insert(key);
                    }
                    advanced |= call.operation == Operation::Advance;
                    if let Some(state) = self.requests.get_mut(&call.request) {
                        match (call.operation, call.key) {
                            (Operation::List, _) => state.listed = true,
                            (Operation::End, Some(key))
                                if state.listed && call.told && call.answer.is_ok() =>
                            {
                                state.ended_keys.push(key);
                            }
                            _ => {}
                        }
                    }
                    calls.push(call);
                }
                Event::EndFound { request, found } => {
                    let Some(state) = self.requests.get_mut(&request) else {
                        continue;
                    };
                    if let (Action::Logout, Stored::Record(record)) = (state.action, &found) {
                        if let Some(tag) = record.tag {
                            self.oracle.logged_out.push(tag);
                            state.ended.push(tag);
                        }
                    }
                    // A user's session ended by its handle, or past the cap
                    // by a login.
                    let ends_listed = state.listed
                        && matches!(state.action, Action::EndByHandle | Action::LoginAs);
                    if let (true, Stored::Record(record)) = (ends_listed, &found) {
                        self.oracle.logged_out.extend(record.tag);
                    }
                }
                Event::Loaded {
                    request,
                    key,
                    record,
                    strong,
                    cached: from_cache,
                } => {
                    if let Some(answer) = from_cache {
                        let note = match answer.shared {
                            true => "loads answered by another's call",
                            false => "loads answered by the read cache",
                        };
                        *self.stats.notes.entry(note).or_default() += 1;
                        cached.push(CachedLoad {
                            request,
                            key,
                            record,
                            started: answer.started,
                        });
                    }
                    if let Some(state) = self.requests.get_mut(&request) {
                        state.loaded.push(Load {
                            record,
                            step: self.step,
                            strong,
                            cached: from_cache.is_some(),
                        });
                    }
                }
                Event::Saw {
                    request,
                    tag,
                    n,
                    now,
                } => {
                    let Some(state) = self.requests.get_mut(&request) else {
                        continue;
                    };
                    state.parent = tag;
                    if let Some(tag) = tag {
                        let loaded = state
                            .loaded
                            .iter()
                            .rev()
                            .find(|load| load.record.tag == Some(tag));
                        seen.push(Seen {
                            request,
                            tag,
                            n,
                            now,
                            record: loaded.map(|load| load.record),
                            loaded_step: loaded.map_or(self.step, |load| load.step),
                            load_started: state.load_started.unwrap_or(self.step),
                            strong: loaded.is_some_and(|load| load.strong),
                            cached: loaded.is_some_and(|load| load.cached),
                            process: state.process,
                        });
                    }
                }
                Event::LoadFailed { request, .. } => {
                    *self.stats.outcomes.entry("load error").or_default() += 1;
                    self.pending.push(Response {
                        request,
                        set_cookie: None,
                    });
                }
                Event::Intent {
                    request,
                    tag,
                    parent,
                    n,
                    now,
                } => {
                    let root_created = match parent {
                        None => now,
                        Some(p) => self.oracle.root_created(p).ok_or_else(|| {
                            (
                                Invariant::Harness,
                                format!("r{request} continued t{p}, which is unknown"),
                            )
                        })?,
                    };
                    self.oracle.writes.insert(
                        tag,
                        Written {
                            request,
                            parent,
                            root_created,
                            n,
                        },
                    );
                    if let Some(state) = self.requests.get_mut(&request) {
                        state.wrote = true;
                    }
                }
                Event::Committed {
                    request,
                    outcome,
                    set_cookie,
                } => committed.push((request, outcome, set_cookie)),
                Event::Loading { request } => {
                    if let Some(state) = self.requests.get_mut(&request) {
                        state.load_started = Some(self.step);
                    }
                }
                Event::UserSeen { request, user } => user_seen.push((request, user)),
                Event::LoggedInAs { request, user } => {
                    if let Some(state) = self.requests.get(&request) {
                        let login = Login {
                            user,
                            returned: self.step,
                        };
                        self.oracle.logins.insert(state.tag, login);
                    }
                }
                Event::EndStarted { request } => {
                    if let Some(state) = self.requests.get_mut(&request) {
                        state.end_started = self.step;
                    }
                }
                Event::EndReturned {
                    request,
                    kind,
                    result,
                } => self.end_returned(request, kind, result.is_ok()),
            }
        }
        if let (false, Some(line)) = (traced, line) {
            self.trace.push(line);
        }
        self.refresh(&written)?;
        if advanced {
            self.refresh_generations()?;
        }
        for (request, user) in user_seen {
            let (Some(user), Some(state)) = (user, self.requests.get(&request)) else {
                continue;
            };
            *self.stats.notes.entry("loads as a user").or_default() += 1;
            let load = UserLoad {
                request,
                user,
                tag: state.parent,
                key: state.cookie_key,
                started: state.load_started.unwrap_or(self.step),
            };
            invariants::users_ended_stay_ended(&self.oracle, &load)
                .map_err(|m| (Invariant::UsersEndedStayEnded, m))?;
        }

        for call in &calls {
            invariants::exact_outcome(call, &self.scene())
                .map_err(|m| (Invariant::AcknowledgedWrites, m))?;
        }
        for call in calls {
            let Some(key) = call.key else {
                continue;
            };
            if call.told && call.answer.is_ok_and(Done::wrote) {
                if let Some(state) = self.requests.get_mut(&call.request) {
                    state.own_writes.insert(key);
                }
            }
        }
        if let Some(settings) = self.options.cache {
            let bound = i64::try_from(settings.max_staleness.as_secs()).unwrap_or(i64::MAX);
            for load in &cached {
                let past = self.past.get(&load.key).map_or(&[][..], Vec::as_slice);
                invariants::cached_load_within_bound(&self.scene(), past, load, bound)
                    .map_err(|m| (Invariant::CacheStaleness, m))?;
            }
        }
        for seen in &seen {
            invariants::load_within_limits(&self.scene(), seen)
                .map_err(|m| (Invariant::Lifetimes, m))?;
            invariants::no_load_after_logout(&self.scene(), seen, self.options.lagging_reads)
                .map_err(|m| {
                    let broken = if seen.cached {
                        Invariant::CacheStaleness
                    } else {
                        Invariant::LoggedOutStaysOut
                    };
                    (broken, m)
                })?;
        }
        for (request, outcome, set_cookie) in committed {
            self.committed(request, outcome, set_cookie)?;
        }
        let scene = self.scene();
        invariants::stored_lifetimes(&scene).map_err(|m| (Invariant::Lifetimes, m))?;
        invariants::acknowledged_writes(&scene).map_err(|m| (Invariant::AcknowledgedWrites, m))?;
        let cookies: Vec<(usize, KeyId)> = self
            .browsers
            .iter()
            .enumerate()
            .filter_map(|(index, browser)| browser.key().map(|key| (index, key)))
            .collect();
        invariants::logged_out_stays_out(&scene, &cookies)
            .map_err(|m| (Invariant::LoggedOutStaysOut, m))
    }

    /// Reads the keys written in this step, strongly and directly.
    fn refresh(&mut self, written: &BTreeSet<KeyId>) -> Result<(), Failure> {
        for key in written {
            let Some(storage_key) = self.env.key(*key) else {
                continue;
            };
            let stored = store::observe(&*self.env.observer, &storage_key);
            if let Stored::Unreadable(why) = &stored {
                return Err((
                    Invariant::Harness,
                    format!("the checker could not read K{key}: {why}"),
                ));
            }
            if let Stored::Record(record) = &stored {
                let last = self.exps.insert(*key, (record.version, record.expires_at));
                if last.is_some_and(|(version, exp)| {
                    version == record.version && record.expires_at < exp
                }) {
                    // A touch that arrived late, after a later one.
                    *self.stats.notes.entry("exp moved back").or_default() += 1;
                }
            }
            let now = self.now();
            if let Some(Stored::Record(replaced)) = self.store.keys.insert(*key, stored.clone()) {
                if stored != Stored::Record(replaced) {
                    self.past.entry(*key).or_default().push((replaced, now));
                }
            }
        }
        Ok(())
    }

    /// Reads every user's generation, strongly, through the store under
    /// test (an advance reached it in this step).
    fn refresh_generations(&mut self) -> Result<(), Failure> {
        let Some(users) = &self.users else {
            return Ok(());
        };
        for user in self.env.user_refs {
            let generation = users.generation(&user).map_err(|error| {
                (
                    Invariant::Harness,
                    format!("the checker could not read a generation: {error}"),
                )
            })?;
            if generation > 0 {
                self.store.generations.insert(user, generation);
            }
        }
        Ok(())
    }

    /// `region`'s TTL deletes every item its replica holds past `exp`. A
    /// delete of a record that is expired in the settled view too is what
    /// TTL is for: the checker keeps its picture of the expired record (so
    /// that its writes count as expired, not lost). A delete of a record
    /// alive in the settled view (a replica's stale `exp`) is read back like
    /// a write, for the promises to judge.
    fn expire(&mut self, region: usize) -> Result<Option<String>, Failure> {
        let replicas = Arc::clone(self.replicas.as_ref().expect("only across regions"));
        let mut deleted = BTreeSet::new();
        // In the schedule's key order, not the random keys' own: the
        // deletes' stamps, and so the schedule, replay.
        let mut expired: Vec<(KeyId, StorageKey)> = replicas
            .expired_in(region)
            .into_iter()
            .map(|key| (self.env.key_id(&key), key))
            .collect();
        expired.sort_by_key(|(id, _)| *id);
        for (id, key) in expired {
            let before = store::observe(&*self.env.observer, &key);
            replicas.ttl_delete(region, &key);
            *self.stats.notes.entry("items deleted by TTL").or_default() += 1;
            if before.live(self.now(), ABSOLUTE).is_some() {
                *self
                    .stats
                    .notes
                    .entry("live sessions deleted by another region's TTL")
                    .or_default() += 1;
            } else if before != Stored::Missing {
                // The latest state it was deleted in (a later delete of
                // the same key may find it missing, or written again by a
                // write that landed past `exp`).
                self.store.deleted_expired.insert(id, before);
            }
            deleted.insert(id);
        }
        // Read back like the keys a write touched.
        self.refresh(&deleted)?;
        let named: Vec<String> = deleted.iter().map(|id| format!("K{id}")).collect();
        Ok(Some(format!(
            "#{} region {region}'s TTL deletes {}",
            self.step,
            named.join(", ")
        )))
    }

    /// A call ending users' sessions returned: an `Ok` is a promise the
    /// checker holds later loads to.
    fn end_returned(&mut self, request: RequestId, kind: EndKind, ok: bool) {
        let Some(state) = self.requests.get(&request) else {
            return;
        };
        let note = match (kind, ok) {
            (EndKind::All(_), true) => "end-all acknowledged",
            (EndKind::All(_), false) => "end-all failed",
            (EndKind::Others, true) => "end-others acknowledged",
            (EndKind::Others, false) => "end-others failed",
            (EndKind::One, true) => "end-by-handle acknowledged",
            (EndKind::One, false) => "end-by-handle failed",
        };
        *self.stats.notes.entry(note).or_default() += 1;
        if !ok {
            return;
        }
        let (user, ended) = match kind {
            EndKind::All(user) => (Some(user), Some(Ended::All)),
            EndKind::Others => (
                state.user,
                state
                    .parent
                    .and_then(|tag| self.oracle.lineage(tag))
                    .map(|kept| Ended::Others { kept }),
            ),
            EndKind::One => (
                state.user,
                state.ended_keys.last().map(|key| Ended::One { key: *key }),
            ),
        };
        let (Some(user), Some(ended)) = (user, ended) else {
            *self
                .stats
                .notes
                .entry("acknowledged end of an unknown lineage")
                .or_default() += 1;
            return;
        };
        let ack = UserAck {
            request,
            user,
            ended,
            started: state.end_started,
            acked: self.step,
        };
        self.oracle.user_acks.push(ack);
    }

    /// The sessions a login ended past its user's cap, as it returned `Ok`.
    fn evicted(&mut self, request: RequestId) {
        let Some(state) = self.requests.get(&request) else {
            return;
        };
        let Some(user) = state.user else {
            return;
        };
        for key in &state.ended_keys {
            *self
                .stats
                .notes
                .entry("sessions evicted past the cap")
                .or_default() += 1;
            self.oracle.user_acks.push(UserAck {
                request,
                user,
                ended: Ended::Evicted { key: *key },
                started: self.step,
                acked: self.step,
            });
        }
    }

    fn committed(
        &mut self,
        request: RequestId,
        outcome: Outcome,
        set_cookie: Option<String>,
    ) -> Result<(), Failure> {
        *self.stats.outcomes.entry(outcome.name()).or_default() += 1;
        let Some(state) = self.requests.get(&request).cloned() else {
            return Ok(());
        };
        if outcome == Outcome::Ok {
            let parsed = set_cookie
                .as_deref()
                .map(|header| parse_set_cookie(header, &self.cookie_name))
                .transpose()
                .map_err(|why| (Invariant::Harness, why))?;
            if let (true, Some(Parsed::Value { key, .. })) = (state.wrote, &parsed) {
                let key = self.env.key_id(key);
                self.oracle.acks.push(Ack {
                    request,
                    tag: state.tag,
                    key,
                });
            }
            if state.action == Action::LoginAs {
                self.evicted(request);
            }
            if let (Action::Logout, Some(key)) = (state.action, state.cookie_key) {
                invariants::logout_applied(&self.scene(), request, key)
                    .map_err(|m| (Invariant::LoggedOutStaysOut, m))?;
            }
            if let (Action::Logout, Some(key)) = (state.action, state.cookie_key) {
                for ended in &state.ended {
                    self.oracle.logout_acks.push(LogoutAck {
                        request,
                        key,
                        ended: *ended,
                        step: self.step,
                        process: state.process,
                    });
                }
            }
        }
        if let (Action::Login | Action::LoginAs, Some(parent)) = (state.action, state.parent) {
            let scene = self.scene();
            invariants::login_keeps_data(&scene, request, parent)
                .map_err(|m| (Invariant::LoginKeepsData, m))?;
            // Allowed, but worth knowing how often: a login whose outcome is
            // unknown had moved the data to the new ID, which no browser
            // will ever hold; the old cookie now loads an empty session.
            if matches!(outcome, Outcome::Backend(_))
                && !matches!(scene.fate(parent), Fate::Kept(key) if Some(key) == state.cookie_key)
                && matches!(scene.fate(parent), Fate::Kept(_))
            {
                *self
                    .stats
                    .notes
                    .entry("login outcome unknown, data only under the new ID")
                    .or_default() += 1;
            }
        }
        self.pending.push(Response {
            request,
            set_cookie,
        });
        Ok(())
    }

    fn finish(&mut self) {
        if let Some(replicas) = &self.replicas {
            let (delivered, conflicts) = replicas.counts();
            let notes = &mut self.stats.notes;
            *notes.entry("replicated writes delivered").or_default() += delivered;
            *notes
                .entry("writes refused as replication conflicts")
                .or_default() += conflicts;
        }
        self.stats.fingerprint = fingerprint(&self.trace);
    }

    fn shutdown(&mut self) {
        self.env.scheduler.abort();
        for handle in self.threads.drain(..) {
            // A thread stuck in a call that never returns cannot be
            // joined; after a while it is left behind.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !handle.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

/// FNV-1a over the trace: equal traces, equal fingerprints.
fn fingerprint(trace: &[String]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in trace.iter().flat_map(|line| line.bytes().chain([b'\n'])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

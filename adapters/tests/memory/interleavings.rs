//! The randomized fault × interleaving test on `MemoryBackend`: many
//! seed-replayable schedules of overlapping requests from a few browsers,
//! with dropped calls, lost answers, delays and late duplicates, checked
//! after every step (see `dynamodb_sessions_conformance::interleavings`).
//!
//! ```sh
//! # CI's bounded run (also part of `cargo test --workspace`):
//! cargo test -p dynamodb-sessions --test memory interleavings
//! # the long run, 10,000 schedules or more:
//! INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions \
//!     --test memory interleavings -- --ignored
//! # replay one seed with its trace:
//! INTERLEAVINGS_SEED=1234 INTERLEAVINGS_TRACE=1 cargo test -p dynamodb-sessions \
//!     --test memory -- --nocapture interleavings::memory_schedules
//! # with users ("log out everywhere"), the long run:
//! INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions \
//!     --test memory interleavings::memory_schedules_with_users_long -- --ignored
//! ```
//!
//! The last tests run the checker against deliberately broken stores, to
//! show that each kind of violation is caught.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions::testing::LaggingReads;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
        StorageKey, TouchOutcome,
    },
    BackendError,
};
use dynamodb_sessions_conformance::interleavings::{
    self, FaultRates, Invariant, Options, Schedules, Stats, Users, Violation,
};

/// Schedules per CI run: about 11 s in a debug build on the 2-core machine.
const CI_SCHEDULES: u64 = 800;
/// Schedules of the long run unless `INTERLEAVINGS_SCHEDULES` says otherwise.
const LONG_SCHEDULES: u64 = 10_000;

fn on_memory(seed: u64, options: &Options) -> Result<Stats, Violation> {
    let store = Arc::new(MemoryBackend::new());
    interleavings::run(seed, options, Arc::clone(&store), store)
}

/// A schedule's statistics without the one figure that depends on timing.
fn replayable(seed: u64) -> Stats {
    replayable_with(seed, &Options::default())
}

fn replayable_with(seed: u64, options: &Options) -> Stats {
    let stats = on_memory(seed, options).expect("a clean schedule");
    Stats {
        slowest_call: Duration::ZERO,
        ..stats
    }
}

#[test]
fn memory_schedules() {
    let summary = Schedules::from_env(CI_SCHEDULES)
        .run("MemoryBackend", |seed| on_memory(seed, &Options::default()));
    println!("{summary}");
    summary.assert_no_violations();
    assert!(summary.stats.schedules > 0);
}

/// Eventually consistent reads that lag (`LaggingReads` on MemoryBackend:
/// an eventual read shows each key as it was before its last write).
#[test]
fn memory_schedules_with_lagging_reads() {
    let options = Options {
        lagging_reads: true,
        ..Options::default()
    };
    let summary =
        Schedules::from_env(CI_SCHEDULES / 4).run("MemoryBackend, lagging reads", |seed| {
            let store = MemoryBackend::new();
            let lagging = Arc::new(LaggingReads::new(store.clone()));
            interleavings::run(seed, &options, lagging, Arc::new(store))
        });
    println!("{summary}");
    summary.assert_no_violations();
}

/// Two processes, each with a read cache between its manager and the
/// network, on lagging reads: every promise above holds with it, and what
/// a cache serves is never older than its bound nor data a logout through
/// its own process ended (`interleavings::CACHE_SETTINGS`).
#[test]
fn memory_schedules_with_the_read_cache() {
    let options = Options {
        lagging_reads: true,
        cache: Some(interleavings::CACHE_SETTINGS),
        ..Options::default()
    };
    let summary = Schedules::from_env(CI_SCHEDULES / 2).run("MemoryBackend, read cache", |seed| {
        let store = MemoryBackend::new();
        let lagging = Arc::new(LaggingReads::new(store.clone()));
        interleavings::run(seed, &options, lagging, Arc::new(store))
    });
    println!("{summary}");
    summary.assert_no_violations();
}

/// The read cache where loads pile up: one or two browsers, up to 20
/// requests, 6 at once, so that loads of one session often wait for a slow
/// one's store call (sent by another request, maybe seconds before, with
/// writes and logouts through the other process since). What a waiting
/// load is handed must be no older than the bound when it started.
#[test]
fn memory_schedules_with_the_read_cache_under_contention() {
    let options = Options {
        requests: (10, 20),
        browsers: (1, 2),
        max_in_flight: 6,
        lagging_reads: true,
        cache: Some(interleavings::CACHE_SETTINGS),
        ..Options::default()
    };
    let summary = Schedules::from_env(CI_SCHEDULES / 2).run(
        "MemoryBackend, read cache, contention",
        |seed| {
            let store = MemoryBackend::new();
            let lagging = Arc::new(LaggingReads::new(store.clone()));
            interleavings::run(seed, &options, lagging, Arc::new(store))
        },
    );
    println!("{summary}");
    summary.assert_no_violations();
    assert!(
        summary.stats.notes.get("loads answered by another's call") > Some(&0),
        "loads shared another's call"
    );
}

/// Schedules with users: two of them, logins as a browser's user, ending
/// the user's other sessions, one by its handle, all of them (an admin),
/// and a cap of two sessions in a third of the schedules; more requests
/// per schedule, so that logins are followed by loads.
fn with_users() -> Options {
    Options {
        users: Users::On,
        requests: (10, 20),
        ..Options::default()
    }
}

fn with_users_on_memory(seed: u64, options: &Options) -> Result<Stats, Violation> {
    let store = Arc::new(MemoryBackend::new());
    interleavings::run_with_users(seed, options, Arc::clone(&store), store)
}

/// Once a call ending a user's sessions returns `Ok`, none of them loads
/// as that user again (invariant h), and every other promise holds with
/// users.
#[test]
fn memory_schedules_with_users() {
    let summary = Schedules::from_env(CI_SCHEDULES / 2).run("MemoryBackend, users", |seed| {
        with_users_on_memory(seed, &with_users())
    });
    println!("{summary}");
    summary.assert_no_violations();
    for note in [
        "loads as a user",
        "end-all acknowledged",
        "end-others acknowledged",
        "sessions evicted past the cap",
    ] {
        assert!(
            summary.stats.notes.get(note) > Some(&0),
            "{note}: {summary}"
        );
    }
}

/// With users, lagging reads and a read cache per process (which users'
/// sessions bypass).
#[test]
fn memory_schedules_with_users_and_the_read_cache() {
    let options = Options {
        lagging_reads: true,
        cache: Some(interleavings::CACHE_SETTINGS),
        ..with_users()
    };
    let summary =
        Schedules::from_env(CI_SCHEDULES / 4).run("MemoryBackend, users, read cache", |seed| {
            let store = MemoryBackend::new();
            let lagging = Arc::new(LaggingReads::new(store.clone()));
            interleavings::run_with_users(seed, &options, lagging, Arc::new(store))
        });
    println!("{summary}");
    summary.assert_no_violations();
}

#[test]
#[ignore = "long run: INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions --test memory interleavings::memory_schedules_with_users_long -- --ignored"]
fn memory_schedules_with_users_long() {
    let summary = Schedules::from_env(LONG_SCHEDULES).run("MemoryBackend, users", |seed| {
        with_users_on_memory(seed, &with_users())
    });
    println!("{summary}");
    summary.assert_no_violations();
}

/// Users need a store with `UserSessions`: `run` says so instead of
/// running without them.
#[test]
fn users_need_run_with_users() {
    let store = Arc::new(MemoryBackend::new());
    let violation = interleavings::run(0, &with_users(), Arc::clone(&store), store)
        .expect_err("users through run");
    assert_eq!(violation.invariant, Invariant::Harness, "{violation}");
}

#[test]
#[ignore = "long run: INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions --test memory interleavings -- --ignored"]
fn memory_schedules_long() {
    let summary = Schedules::from_env(LONG_SCHEDULES)
        .run("MemoryBackend", |seed| on_memory(seed, &Options::default()));
    println!("{summary}");
    summary.assert_no_violations();
}

/// The same seed replays the same schedule, step for step.
#[test]
fn a_seed_replays_its_schedule() {
    for seed in [3, 17, 4242] {
        assert_eq!(replayable(seed), replayable(seed), "seed {seed}");
    }
    assert_ne!(replayable(17).fingerprint, replayable(18).fingerprint);
}

/// With users too.
#[test]
fn a_seed_replays_its_schedule_with_users() {
    let replay = |seed| Stats {
        slowest_call: Duration::ZERO,
        ..with_users_on_memory(seed, &with_users()).expect("a clean schedule")
    };
    for seed in [3, 17, 4242] {
        assert_eq!(replay(seed), replay(seed), "seed {seed}");
    }
}

/// With the read cache too, loads that wait for another's call included
/// (they are off the schedule until that call is answered).
#[test]
fn a_seed_replays_its_schedule_with_the_read_cache() {
    let options = Options {
        requests: (10, 20),
        browsers: (1, 2),
        max_in_flight: 6,
        cache: Some(interleavings::CACHE_SETTINGS),
        ..Options::default()
    };
    let mut shared = 0;
    for seed in 0..20 {
        let stats = replayable_with(seed, &options);
        assert_eq!(stats, replayable_with(seed, &options), "seed {seed}");
        shared += stats
            .notes
            .get("loads answered by another's call")
            .copied()
            .unwrap_or(0);
    }
    assert!(shared > 0, "some loads shared another's call");
}

/// A store broken in one way, to show the checker notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breakage {
    /// Every third replace answers `Replaced` without writing.
    DropsAcknowledgedReplaces,
    /// `end` answers done without ending.
    IgnoresLogouts,
    /// Replaces move `crt` to the write's time.
    MovesCreationTime,
    /// A login's tombstone is written but answered `Conflict`, so the
    /// manager undoes the new record too: the data is in neither.
    TombstoneAppliedButConflict,
    /// Every call takes 30 ms.
    Slow,
}

struct Broken {
    inner: MemoryBackend,
    breakage: Breakage,
    replaces: AtomicU64,
}

impl Broken {
    fn new(breakage: Breakage) -> Self {
        Broken {
            inner: MemoryBackend::new(),
            breakage,
            replaces: AtomicU64::new(0),
        }
    }

    fn slow(&self) {
        if self.breakage == Breakage::Slow {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

impl Backend for Broken {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.slow();
        self.inner.load(key, consistency)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.slow();
        self.inner.create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.slow();
        let n = self.replaces.fetch_add(1, Ordering::SeqCst);
        match self.breakage {
            Breakage::DropsAcknowledgedReplaces if n % 3 == 2 && !record.is_ended() => {
                Ok(ReplaceOutcome::Replaced)
            }
            Breakage::MovesCreationTime if !record.is_ended() => {
                let moved = record.clone().created_at(Some(record.issued_at));
                self.inner.replace(key, expected_version, &moved)
            }
            Breakage::TombstoneAppliedButConflict if record.is_ended() => {
                let _ = self.inner.replace(key, expected_version, record)?;
                Ok(ReplaceOutcome::Conflict)
            }
            _ => self.inner.replace(key, expected_version, record),
        }
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.slow();
        self.inner
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.slow();
        if self.breakage == Breakage::IgnoresLogouts {
            return Ok(EndOutcome::Ended);
        }
        self.inner.end(key, tombstone)
    }
}

/// Runs schedules on a broken store (whose answers the checker reads
/// through the same broken handle, but loads are honest) until the first
/// violation; returns it.
fn first_violation(breakage: Breakage, options: &Options) -> Violation {
    for seed in 0..300 {
        let store = Arc::new(Broken::new(breakage));
        if let Err(violation) = interleavings::run(seed, options, Arc::clone(&store), store) {
            return violation;
        }
    }
    panic!("{breakage:?}: 300 schedules and no violation found");
}

#[test]
fn the_checker_catches_a_store_that_drops_acknowledged_writes() {
    let violation = first_violation(Breakage::DropsAcknowledgedReplaces, &Options::default());
    assert_eq!(
        violation.invariant,
        Invariant::AcknowledgedWrites,
        "{violation}"
    );
    // The report names the seed and replays it.
    assert!(violation.to_string().contains("INTERLEAVINGS_SEED"));
}

#[test]
fn the_checker_catches_a_store_that_ignores_logouts() {
    let options = Options {
        faults: FaultRates::NONE,
        ..Options::default()
    };
    let violation = first_violation(Breakage::IgnoresLogouts, &options);
    assert!(
        matches!(
            violation.invariant,
            Invariant::AcknowledgedWrites | Invariant::LoggedOutStaysOut
        ),
        "{violation}"
    );
}

#[test]
fn the_checker_catches_a_moving_creation_time() {
    let violation = first_violation(Breakage::MovesCreationTime, &Options::default());
    assert_eq!(violation.invariant, Invariant::Lifetimes, "{violation}");
}

#[test]
fn the_checker_catches_a_login_that_loses_both_records() {
    let options = Options {
        faults: FaultRates::NONE,
        ..Options::default()
    };
    let violation = first_violation(Breakage::TombstoneAppliedButConflict, &options);
    assert!(
        matches!(
            violation.invariant,
            Invariant::LoginKeepsData | Invariant::AcknowledgedWrites
        ),
        "{violation}"
    );
}

#[test]
fn the_checker_catches_a_slow_store() {
    let options = Options {
        call_bound: Duration::from_millis(20),
        ..Options::default()
    };
    let violation = first_violation(Breakage::Slow, &options);
    assert_eq!(violation.invariant, Invariant::CallBound, "{violation}");
}

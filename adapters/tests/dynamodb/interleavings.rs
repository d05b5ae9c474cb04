//! The randomized fault × interleaving test on a DynamoDB backend (each
//! client in turn) against DynamoDB Local: the schedules of
//! `dynamodb_sessions_conformance::interleavings`, whose fault layer drops
//! calls, loses answers, delays and duplicates them above the backend, and
//! whose wire hook makes the fault proxy below it reset requests, apply
//! them and drop the answer, answer too late, or throttle. The backend
//! retries quickly (attempts of 100 ms, 400 ms per call), so a schedule
//! takes a fraction of a second; the checker reads the table directly.
//!
//! ```sh
//! cargo test -p dynamodb-sessions --test dynamodb interleavings::
//! INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions \
//!     --test dynamodb -- --ignored interleavings::
//! INTERLEAVINGS_SEED=1234 INTERLEAVINGS_TRACE=1 cargo test -p dynamodb-sessions \
//!     --test dynamodb -- --nocapture interleavings::dynamodb_schedules
//! ```

use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions::dynamodb::{AwsSdk, DynamoDbBackendOn, RetryConfig, Rusoto};

use dynamodb_sessions::{cache::CacheSettings, store::Operation};
use dynamodb_sessions_conformance::interleavings::{
    self, FaultRates, Options, Schedules, SimRng, Users, WireFaults,
};
use dynamodb_sessions_test_support::fault_proxy::{Fault, Proxy, THROTTLED};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::{builder_at, dynamodb_local, TestClient};

/// Schedules per CI run: well under a minute against DynamoDB Local.
const CI_SCHEDULES: u64 = 120;
/// Schedules of the long run unless `INTERLEAVINGS_SCHEDULES` says otherwise.
const LONG_SCHEDULES: u64 = 10_000;

const RETRY: RetryConfig = RetryConfig::DEFAULT
    .max_attempts(3)
    .base_delay(Duration::from_millis(2))
    .max_delay(Duration::from_millis(10))
    .attempt_timeout(Duration::from_millis(100))
    .call_timeout(Duration::from_millis(400));

/// A held-back answer outlives the attempt that waits for it.
const LATE_ANSWER: Duration = Duration::from_millis(150);

/// Queues wire faults in the proxy for the call about to be made.
struct ProxyFaults {
    proxy: Proxy,
}

impl WireFaults for ProxyFaults {
    fn before_call(&self, _operation: Operation, rng: &mut SimRng) -> Vec<&'static str> {
        // Mostly one fault (retried away, or decided by the write identity),
        // sometimes as many as the attempts (the call fails: unknown).
        let count = match rng.weighted(&[70, 20, 10]) {
            Some(0) => 1,
            Some(1) => 2,
            _ => RETRY.max_attempts,
        };
        let mut faults = Vec::new();
        let mut kinds = Vec::new();
        for _ in 0..count {
            let (fault, kind) = match rng.weighted(&[3, 4, 1, 2]) {
                Some(0) => (Fault::Reset, "wire: reset, not applied"),
                Some(1) => (Fault::ApplyThenReset, "wire: applied, answer lost"),
                Some(2) => (Fault::DelayAnswer(LATE_ANSWER), "wire: answer too late"),
                _ => (THROTTLED, "wire: throttled"),
            };
            faults.push(fault);
            kinds.push(kind);
        }
        self.proxy.inject(faults);
        kinds
    }
}

struct Setup<C: TestClient> {
    /// The backend under test, through the proxy.
    proxied: Arc<DynamoDbBackendOn<C>>,
    /// The same table, directly, for the checker.
    direct: Arc<DynamoDbBackendOn<C>>,
    options: Options,
}

fn setup<C: TestClient>(prefix: &str) -> Option<Setup<C>> {
    let endpoint = dynamodb_local::endpoint()?;
    let table = dynamodb_local::unique_table_name(prefix);
    let builder = |endpoint: &str| builder_at::<C>(endpoint, &table);
    // Patient timeouts: the checker's reads must not fail, and a cold
    // DynamoDB Local on a busy machine can take seconds to create a table.
    let direct = builder(&endpoint)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .expect("backend builds");
    direct.create_table_if_missing().expect("table");
    let proxy = Proxy::start(&endpoint);
    let proxied = builder(&proxy.endpoint())
        .retry(RETRY)
        .build()
        .expect("backend builds");
    let options = Options {
        faults: FaultRates {
            drop: 30,
            lose_answer: 30,
            delay: 100,
            late_duplicate: 30,
            wire: 400,
        },
        wire: Some(Arc::new(ProxyFaults { proxy })),
        // One deadline per call, plus slack for a busy machine.
        call_bound: RETRY.call_timeout + Duration::from_millis(500),
        ..Options::default()
    };
    Some(Setup {
        proxied: Arc::new(proxied),
        direct: Arc::new(direct),
        options,
    })
}

/// Runs the schedules on each client in turn.
fn run_schedules(default_count: u64, cache: Option<CacheSettings>) {
    let _share = beside_others();
    run_schedules_on::<Rusoto>(default_count, cache, Users::Off);
    run_schedules_on::<AwsSdk>(default_count, cache, Users::Off);
}

fn run_schedules_on<C: TestClient>(default_count: u64, cache: Option<CacheSettings>, users: Users) {
    let Some(mut setup) = setup::<C>("interleavings") else {
        return;
    };
    setup.options.cache = cache;
    setup.options.users = users;
    let mut name = format!("{} backend (DynamoDB Local)", C::NAME);
    if cache.is_some() {
        name.push_str(", read cache");
    }
    if users == Users::On {
        name.push_str(", users");
        setup.options.requests = (10, 20);
    }
    // Every schedule uses fresh random session IDs (and its own users), so
    // one table serves all.
    let summary = Schedules::from_env(default_count).run(&name, |seed| {
        let (proxied, direct) = (Arc::clone(&setup.proxied), Arc::clone(&setup.direct));
        match users {
            Users::On => interleavings::run_with_users(seed, &setup.options, proxied, direct),
            _ => interleavings::run(seed, &setup.options, proxied, direct),
        }
    });
    println!("{summary}");
    summary.assert_no_violations();
}

#[test]
fn dynamodb_schedules() {
    run_schedules(CI_SCHEDULES, None);
}

/// Users' sessions in the schedules: logins, ending one, all but one and
/// all of a user's sessions, the cap, with faults on the user calls too.
/// Each seed has its own users, so the schedules share the table only.
#[test]
fn dynamodb_schedules_with_users() {
    let _share = beside_others();
    run_schedules_on::<Rusoto>(CI_SCHEDULES / 2, None, Users::On);
    run_schedules_on::<AwsSdk>(CI_SCHEDULES / 2, None, Users::On);
}

/// Two processes, each with a read cache (`interleavings::CACHE_SETTINGS`).
#[test]
fn dynamodb_schedules_with_the_read_cache() {
    run_schedules(CI_SCHEDULES / 2, Some(interleavings::CACHE_SETTINGS));
}

#[test]
#[ignore = "long run: INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions --test dynamodb -- --ignored interleavings::"]
fn dynamodb_schedules_long() {
    run_schedules(LONG_SCHEDULES, None);
}

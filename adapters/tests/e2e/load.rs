//! The demo servers under sustained HTTP load: many concurrent clients with
//! their own cookies doing the demo's mix, on tiny_http (a pool of worker
//! threads) and rouille, in memory and on DynamoDB Local. Every run must end
//! with no errors, no conflicts (each client sends one request at a time)
//! and no lost updates (each page's counter is checked against the client's
//! own history).
//!
//! CI runs a few seconds of each. Longer runs, and the soak run that samples
//! this process's memory, file descriptors and threads, are commands in the
//! README:
//!
//! ```text
//! LOAD_SECS=60 LOAD_CLIENTS=32 cargo test --release -p dynamodb-sessions \
//!     --features tiny-http,rouille --test e2e load:: -- --nocapture --test-threads 1
//! SOAK_SECS=300 cargo test --release -p dynamodb-sessions --features tiny-http,rouille \
//!     --test e2e load::soak -- --ignored --nocapture
//! ```

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use dynamodb_sessions::store::{
    Consistency, CreateOutcome, EndOutcome, Forward, LoadOutcome, Record, ReplaceOutcome,
    StorageKey, TouchOutcome,
};
use dynamodb_sessions::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};
use dynamodb_sessions::{
    http::TrustForwardedProto, BackendError, MemoryBackend, SessionConfig, SessionManager,
};
use dynamodb_sessions_test_support::heap::{self, CountingAllocator};
use dynamodb_sessions_test_support::process::Resources;
use dynamodb_sessions_test_support::DynamoDbHarness;
use support::load::{self, Load, Report};
use support::{Demo, ServerKind};

/// Counts live heap bytes, for the soak run.
#[global_allocator]
static HEAP: CountingAllocator = CountingAllocator;

/// One load at a time: two at once would starve each other (and DynamoDB
/// Local) of this machine's cores, and measure nothing.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `load` against the demo on `kind` and checks the report.
fn load_demo(kind: ServerKind, manager: SessionManager, load: Load, label: &str) -> Report {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let demo = Demo::start(kind, manager, TrustForwardedProto::No);
    let mut report = load::run(demo.url(), load);
    eprintln!("load {kind:?} {label}: {}", report.summary());
    assert_eq!(report.error_count, 0, "errors: {:?}", report.errors);
    let answered = report.answered_clients;
    assert_eq!(
        answered,
        load.clients,
        "every client took part: {}",
        report.summary()
    );
    assert_eq!(report.conflicts, 0, "no client sends two requests at once");
    assert!(
        report.lost_updates.is_empty(),
        "lost updates: {:?}",
        report.lost_updates
    );
    assert!(report.requests >= load.clients, "{}", report.summary());
    report
}

fn memory() -> SessionManager {
    support::demo_manager(MemoryBackend::new(), SessionConfig::default())
}

fn dynamodb() -> Option<SessionManager> {
    let harness = DynamoDbHarness::shared()?;
    let backend = harness.backend_on_new_table("load");
    Some(support::demo_manager(backend, SessionConfig::default()))
}

#[test]
fn tiny_http_in_memory() {
    let load = Load::from_env(16, 3, 400);
    load_demo(ServerKind::TinyHttp, memory(), load, "memory");
}

#[test]
fn rouille_in_memory() {
    let load = Load::from_env(16, 3, 400);
    load_demo(ServerKind::Rouille, memory(), load, "memory");
}

#[test]
fn tiny_http_on_dynamodb_local() {
    let Some(manager) = dynamodb() else { return };
    let load = Load::from_env(8, 3, 200);
    load_demo(ServerKind::TinyHttp, manager, load, "DynamoDB Local");
}

#[test]
fn rouille_on_dynamodb_local() {
    let Some(manager) = dynamodb() else { return };
    let load = Load::from_env(8, 3, 200);
    load_demo(ServerKind::Rouille, manager, load, "DynamoDB Local");
}

/// Minutes of load on DynamoDB Local with every store call made from inside
/// a tokio runtime (as in an async app calling the blocking API), sampling
/// this process's memory, file descriptors and threads every few seconds:
/// after the first samples they must stay flat.
#[test]
#[ignore = "minutes long: run by the soak command in the README"]
fn soak() {
    let Some(harness) = DynamoDbHarness::shared() else {
        return;
    };
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    // SOAK_PATH=direct calls the backend from plain threads instead.
    let backend = harness.backend_on_new_table("soak");
    let (manager, label) = match std::env::var("SOAK_PATH").as_deref() {
        Ok("direct") => (
            support::demo_manager(backend, SessionConfig::default()),
            "DynamoDB Local",
        ),
        _ => (
            support::demo_manager(InsideRuntime::new(backend), SessionConfig::default()),
            "DynamoDB Local, inside a runtime",
        ),
    };
    let load = Load {
        clients: 16,
        duration: Duration::from_secs(secs),
        max_requests_per_client: usize::MAX,
    };

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let start = Instant::now();
            let mut samples = Vec::new();
            while !done.load(Ordering::SeqCst) {
                if let Some(now) = Resources::now() {
                    let heap_kib = heap::live_kib();
                    eprintln!(
                        "soak +{:>4} s: {now}, live heap {heap_kib} KiB",
                        start.elapsed().as_secs()
                    );
                    samples.push((now, heap_kib));
                }
                thread::sleep(Duration::from_secs(5));
            }
            samples
        })
    };
    load_demo(ServerKind::TinyHttp, manager, load, label);
    done.store(true, Ordering::SeqCst);
    let samples = sampler.join().expect("the sampler");

    // Warm-up: pools fill, caches and the allocator settle.
    let warm = samples.len() / 4;
    assert!(samples.len() >= 8, "too short to judge: {samples:?}");
    let (baseline, baseline_heap) = samples[warm];
    for (sample, heap_kib) in &samples[warm..] {
        assert!(
            sample.threads <= baseline.threads + 2,
            "threads grew: {samples:?}"
        );
        assert!(
            sample.fds <= baseline.fds + 8,
            "file descriptors grew: {samples:?}"
        );
        // What the program holds: a leak of even a few bytes per request
        // shows here over a run of minutes.
        assert!(
            *heap_kib <= baseline_heap + baseline_heap / 10 + 1024,
            "live heap grew: {samples:?}"
        );
        // What the allocator keeps besides.
        assert!(
            sample.rss_kib <= baseline.rss_kib + baseline.rss_kib / 4 + 8 * 1024,
            "memory grew: {samples:?}"
        );
    }
}

/// A backend whose every call is made from inside a tokio runtime, as an
/// async application's blocking section would: the DynamoDB backend then
/// drives its request from a helper thread, which must not leak.
struct InsideRuntime<B> {
    inner: B,
    runtime: tokio::runtime::Runtime,
}

impl<B> InsideRuntime<B> {
    fn new(inner: B) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        InsideRuntime { inner, runtime }
    }
}

impl<B: UserSessions> Forward for InsideRuntime<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.load(key, consistency)
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.create(key, record)
    }

    fn forward_replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.replace(key, expected_version, record)
    }

    fn forward_touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.end(key, tombstone)
    }

    fn forward_load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        let _inside = self.runtime.enter();
        self.inner.load_checked(key, user)
    }

    fn forward_generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.generation(user)
    }

    fn forward_advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.advance(user, expected, keep)
    }

    fn forward_list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        let _inside = self.runtime.enter();
        self.inner.list(user)
    }
}

//! Read-only requests with the read cache off and on, on
//! DynamoDB Local, side by side in one run (pages alternate between the two,
//! which goes first swapping every page, so both see the same noise).
//!
//! A page load is 10 read-only requests with one cookie (load, read a
//! value, commit: nothing to write), either all at once (a burst: the page's
//! assets and API calls in parallel) or one after another. Each page uses a
//! new session, and between pages the cache's clock moves past its
//! staleness bound (a user's think time), so every page starts cold: the
//! cache earns only what it earns within one page.
//!
//! Read units as DynamoDB bills them for items up to 4 KB: 0.5 for an
//! eventually consistent read, 1 for a strongly consistent one.
//!
//! `cargo bench -p dynamodb-sessions --bench read_cache`
//! (`READ_CACHE_PAGES=N` pages per shape and setting, default 200).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).

mod common;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use dynamodb_sessions::dynamodb::DynamoDbBackend;
use dynamodb_sessions::testing::{CallCounts, CountingBackend, ManualMonotonicClock};
use dynamodb_sessions::{
    cache::CacheSettings, cache::ReadCache, Scheme, SessionConfig, SessionManager,
};

use common::quick::full_or_quick;
use common::{dynamodb_endpoint, env_count, machine, micros, new_session, stats};

const REQUESTS_PER_PAGE: usize = 10;

/// One setting (cache off or on) over the shared table.
struct Setting {
    name: &'static str,
    manager: SessionManager,
    /// The calls that reach DynamoDB (below the cache).
    calls: Arc<CountingBackend<DynamoDbBackend>>,
    /// The cache's clock (unused with the cache off).
    time: Arc<ManualMonotonicClock>,
    latencies: Vec<Duration>,
}

impl Setting {
    fn new(name: &'static str, backend: &DynamoDbBackend, cache: bool) -> Self {
        let calls = Arc::new(CountingBackend::new(backend.clone()));
        let time = Arc::new(ManualMonotonicClock::new());
        let config = SessionConfig::default();
        let manager = if cache {
            let cache = ReadCache::with_clock(
                Arc::clone(&calls),
                CacheSettings::DEFAULT,
                Arc::clone(&time),
            );
            SessionManager::new(cache, config)
        } else {
            SessionManager::new(Arc::clone(&calls), config)
        };
        Setting {
            name,
            manager,
            calls,
            time,
            latencies: Vec::new(),
        }
    }

    /// One page load of `cookie`'s session, in the given shape.
    fn page(&mut self, cookie: &str, burst: bool) {
        // Think time: past the bound, so the page starts cold.
        self.time.advance(CacheSettings::DEFAULT.max_staleness * 2);
        let manager = &self.manager;
        let times: Vec<Duration> = if burst {
            let start = Barrier::new(REQUESTS_PER_PAGE);
            thread::scope(|scope| {
                let requests: Vec<_> = (0..REQUESTS_PER_PAGE)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            timed(manager, cookie)
                        })
                    })
                    .collect();
                requests
                    .into_iter()
                    .map(|r| r.join().expect("a request"))
                    .collect()
            })
        } else {
            (0..REQUESTS_PER_PAGE)
                .map(|_| timed(manager, cookie))
                .collect()
        };
        self.latencies.extend(times);
    }

    fn report(&mut self, pages: usize) {
        let counts = self.calls.counts();
        let requests = (pages * REQUESTS_PER_PAGE) as f64;
        let s = stats(&mut self.latencies);
        println!(
            "| {} | {:.0} µs | {:.0} µs | {:.2} ({:.2} eventual, {:.2} strong) | {:.0} |",
            self.name,
            micros(s.p50),
            micros(s.p99),
            counts.loads() as f64 / requests,
            counts.eventual_loads as f64 / requests,
            counts.strong_loads as f64 / requests,
            read_units(&counts) / pages as f64 * 1000.0,
        );
        assert_eq!(counts.writes(), 0, "read-only requests wrote");
    }
}

/// One read-only request; its latency.
fn timed(manager: &SessionManager, cookie: &str) -> Duration {
    let started = Instant::now();
    let mut session = manager.load(Some(cookie));
    let user: Option<String> = session.get("user").expect("load");
    assert_eq!(user.as_deref(), Some("ada"));
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    assert_eq!(set_cookie, None, "read-only");
    started.elapsed()
}

/// DynamoDB read units for these calls (items up to 4 KB).
fn read_units(counts: &CallCounts) -> f64 {
    counts.eventual_loads as f64 * 0.5 + counts.strong_loads as f64
}

fn main() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let pages = env_count("READ_CACHE_PAGES", full_or_quick(200, 3));
    common::quick::announce();
    let backend = common::backend_on_new_table(&endpoint, "bench-read-cache");
    // Sessions are created by a manager of their own, so neither setting
    // starts with the record cached.
    let creator = common::manager(backend.clone());
    println!(
        "{}; {pages} pages of {REQUESTS_PER_PAGE} read-only requests per shape and setting",
        machine()
    );
    for (shape, burst) in [
        ("burst of 10 at once", true),
        ("10 one after another", false),
    ] {
        let mut off = Setting::new("cache off", &backend, false);
        let mut on = Setting::new("cache on (defaults)", &backend, true);
        // Warm-up: connections, the table's first reads.
        for setting in [&mut off, &mut on] {
            let cookie = new_session(&creator);
            setting.page(&cookie, burst);
            setting.latencies.clear();
            setting.calls.reset_counts();
        }
        for page in 0..pages {
            let cookie = new_session(&creator);
            let order: [&mut Setting; 2] = if page % 2 == 0 {
                [&mut off, &mut on]
            } else {
                [&mut on, &mut off]
            };
            for setting in order {
                setting.page(&cookie, burst);
            }
        }
        println!("\n{shape}:\n");
        println!("| setting | p50 per request | p99 per request | store calls per request | read units per 1,000 page loads |");
        println!("| --- | --- | --- | --- | --- |");
        off.report(pages);
        on.report(pages);
    }
}

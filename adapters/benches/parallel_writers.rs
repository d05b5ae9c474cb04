//! 16 parallel requests of one browser (one cookie) through the glue's
//! `serve`, with the requests of a session taking turns in the process
//! (`InProcessTurns::ByMethod`, the default) and without (`Off`), side by
//! side in one run, in memory and on DynamoDB Local.
//!
//! Workloads, each 16 threads sending requests with the same cookie:
//! - `GET writers`: every request counts a visit (read, then write), as the
//!   demo's home page does; rerun on a conflict (the default for `GET`);
//! - `POST writers`: the same as `POST`, which is not rerun (409);
//! - `mixed`: 8 `POST` writers and 8 read-only `GET`s; the readers' own
//!   latency shows whether they wait for the writers' turns.
//!
//! Printed per workload and setting: requests, 409s, p50 and p99 of the
//! requests (of the readers alone for `mixed`), and whether the counter
//! matches the successful writes. Rounds alternate the two settings, which
//! goes first swapping each round, so both see the same noise.
//!
//! `cargo bench -p dynamodb-sessions --bench parallel_writers`
//! (`PARALLEL_WRITERS_ROUNDS=N`, default 10; `PARALLEL_WRITERS_REQUESTS=N`
//! per thread and round, default 20).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use dynamodb_sessions::http::rouille::serve;
use dynamodb_sessions::http::{HttpSessions, InProcessTurns};
use dynamodb_sessions::store::Backend;
use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
use rouille::{Request, Response};

use common::quick::full_or_quick;
use common::{
    backend_on_new_table, dynamodb_endpoint, env_count, machine, micros, new_session, stats,
};

const THREADS: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    GetWriters,
    PostWriters,
    Mixed,
}

impl Workload {
    const ALL: [Workload; 3] = [Workload::GetWriters, Workload::PostWriters, Workload::Mixed];

    fn name(self) -> &'static str {
        match self {
            Workload::GetWriters => "GET writers",
            Workload::PostWriters => "POST writers",
            Workload::Mixed => "mixed (p = readers)",
        }
    }

    /// Thread `i`'s method and whether it writes.
    fn role(self, i: usize) -> (&'static str, bool) {
        match self {
            Workload::GetWriters => ("GET", true),
            Workload::PostWriters => ("POST", true),
            Workload::Mixed if i.is_multiple_of(2) => ("POST", true),
            Workload::Mixed => ("GET", false),
        }
    }
}

/// What one setting saw in one workload, over all rounds.
#[derive(Default)]
struct Tally {
    requests: u64,
    conflicts: u64,
    other_errors: u64,
    /// Latencies of the requests the workload reports on.
    latencies: Vec<Duration>,
    /// Rounds whose final count matched the successful writes.
    exact_rounds: u64,
    rounds: u64,
}

fn main() {
    let rounds = env_count("PARALLEL_WRITERS_ROUNDS", full_or_quick(10, 1));
    let requests = env_count("PARALLEL_WRITERS_REQUESTS", full_or_quick(20, 3));
    common::quick::announce();
    println!("{}", machine());
    println!("{THREADS} threads, one cookie, {requests} requests each per round, {rounds} rounds");
    run_on("memory", MemoryBackend::new(), rounds, requests);
    match dynamodb_endpoint() {
        Some(endpoint) => run_on(
            "DynamoDB Local",
            backend_on_new_table(&endpoint, "parallel-writers"),
            rounds,
            requests,
        ),
        None => println!("DynamoDB Local: skipped (not available here)"),
    }
}

fn run_on<B: Backend + Clone + 'static>(store: &str, backend: B, rounds: usize, requests: usize) {
    let settings = [
        ("turns off", InProcessTurns::Off),
        ("turns by method", InProcessTurns::ByMethod),
    ];
    let glues: Vec<HttpSessions> = settings
        .iter()
        .map(|(_, turns)| {
            let manager = SessionManager::new(backend.clone(), SessionConfig::default());
            HttpSessions::new(manager).in_process_turns(*turns)
        })
        .collect();
    println!("\n{store}");
    println!(
        "| workload | setting | requests | 409s | other errors | p50 µs | p99 µs | count exact |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for workload in Workload::ALL {
        let mut tallies: Vec<Tally> = settings.iter().map(|_| Tally::default()).collect();
        for round in 0..rounds {
            for step in 0..settings.len() {
                let which = (step + round) % settings.len();
                run_round(&glues[which], workload, requests, &mut tallies[which]);
            }
        }
        for ((name, _), mut tally) in settings.iter().zip(tallies) {
            let s = stats(&mut tally.latencies);
            println!(
                "| {} | {name} | {} | {} | {} | {:.0} | {:.0} | {}/{} |",
                workload.name(),
                tally.requests,
                tally.conflicts,
                tally.other_errors,
                micros(s.p50),
                micros(s.p99),
                tally.exact_rounds,
                tally.rounds,
            );
        }
    }
}

/// One round: a fresh session, `THREADS` threads started together, each
/// sending `requests` requests with its cookie.
fn run_round(sessions: &HttpSessions, workload: Workload, requests: usize, tally: &mut Tally) {
    let cookie = new_session(sessions.manager());
    let written = AtomicU64::new(0);
    let conflicts = AtomicU64::new(0);
    let other_errors = AtomicU64::new(0);
    let latencies = Mutex::new(Vec::new());
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            let (method, writes) = workload.role(i);
            let reported = workload != Workload::Mixed || !writes;
            let (cookie, start, written, conflicts, other_errors, latencies) = (
                &cookie,
                &start,
                &written,
                &conflicts,
                &other_errors,
                &latencies,
            );
            scope.spawn(move || {
                let mut own = Vec::with_capacity(requests);
                start.wait();
                for _ in 0..requests {
                    let request = Request::fake_http(
                        method,
                        "/",
                        vec![("Cookie".to_owned(), cookie.clone())],
                        Vec::new(),
                    );
                    let began = Instant::now();
                    let response = serve(sessions, &request, |_, _, session| {
                        let Ok(count) = session.get::<u64>("visits") else {
                            return Response::text("unavailable").with_status_code(503);
                        };
                        let count = count.unwrap_or(0);
                        if writes && session.insert("visits", &(count + 1)).is_err() {
                            return Response::text("unavailable").with_status_code(503);
                        }
                        Response::text(count.to_string())
                    });
                    own.push(began.elapsed());
                    match response.status_code {
                        200 if writes => {
                            written.fetch_add(1, Ordering::Relaxed);
                        }
                        200 => {}
                        409 => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            other_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                if reported {
                    latencies.lock().expect("latencies").extend(own);
                }
            });
        }
    });
    let manager = sessions.manager();
    let mut session = manager.load(Some(&cookie));
    let count = session.get::<u64>("visits").ok().flatten().unwrap_or(0);
    tally.requests += (THREADS * requests) as u64;
    tally.conflicts += conflicts.into_inner();
    tally.other_errors += other_errors.into_inner();
    tally
        .latencies
        .extend(latencies.into_inner().expect("latencies"));
    tally.rounds += 1;
    if count == written.into_inner() {
        tally.exact_rounds += 1;
    }
}

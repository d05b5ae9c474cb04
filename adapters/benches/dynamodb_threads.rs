//! Full session cycles per second at 1, 2, 4 and 8 client
//! threads sharing one `DynamoDbBackend` on DynamoDB Local, with p50 and p99
//! latency, next to the bare rusoto GetItem + PutItem pair at the same
//! thread counts (its own client and runtime), and the CPU time the client
//! process and the DynamoDB Local server spent per cycle.
//!
//! Each thread works on its own session (no conflicts), one for each side. Settings
//! (environment): `BENCH_SECONDS_MS` per thread count and side (default
//! 3000), `BENCH_THREADS` (comma-separated, default `1,2,4,8`),
//! `BENCH_WARMUP_MS` per side before measuring (default 3000).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench dynamodb_threads`

mod common;

use std::time::{Duration, Instant};

use common::quick::full_or_quick;
use common::{bare_get, bare_put, full_cycle, key_of, micros, new_session, stats, Bare};

fn main() {
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let duration = common::env_millis("BENCH_SECONDS_MS", full_or_quick(3000, 200));
    let threads = common::env_list("BENCH_THREADS", full_or_quick("1,2,4,8", "1,2"));
    let warmup = common::env_millis("BENCH_WARMUP_MS", full_or_quick(3000, 100));
    common::quick::announce();
    let server = common::dynamodb_local_pid(&endpoint);
    let me = std::process::id();
    println!("# dynamodb_threads: {}", common::machine());
    println!(
        "# endpoint {endpoint}, {} ms per thread count and side; DynamoDB Local pid {server:?}",
        duration.as_millis()
    );

    let backend = common::backend_on_new_table(&endpoint, "bench-threads");
    let table = backend.table_name().to_owned();
    let manager = common::manager(backend);
    let bare = Bare::new(&endpoint);
    let max = threads.iter().copied().max().unwrap_or(1);
    let cookies: Vec<String> = (0..max).map(|_| new_session(&manager)).collect();
    // The bare side bumps `ver` without rewriting the sealed data, which is
    // bound to `ver`: it gets sessions of its own, or the manager's would
    // stop opening and every cycle would start a new session.
    let bare_cookies: Vec<String> = (0..max).map(|_| new_session(&manager)).collect();

    println!();
    println!("| threads | side | cycles/s | p50 µs | p99 µs | client CPU ms/cycle | server CPU ms/cycle |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    let work = |side: &str, i: usize, deadline: Instant, out: &mut Vec<Duration>| {
        if side == "sessions" {
            let mut cookie = cookies[i].clone();
            while Instant::now() < deadline {
                let start = Instant::now();
                cookie = full_cycle(&manager, &cookie);
                out.push(start.elapsed());
            }
        } else {
            let key = key_of(&bare_cookies[i]);
            while Instant::now() < deadline {
                let start = Instant::now();
                let item = bare_get(&bare, &table, &key).expect("the record");
                bare_put(&bare, &table, item);
                out.push(start.elapsed());
            }
        }
    };
    // DynamoDB Local is a JVM: let its JIT settle before measuring.
    for side in ["sessions", "bare"] {
        common::run_threads(2, warmup, |i, d, out| work(side, i, d, out));
    }
    for &n in &threads {
        // Two halves per side in the order A B B A, so that drift in the
        // server (JIT, garbage collection) falls on both sides alike.
        let mut results: Vec<(Vec<Duration>, Duration, f64, f64)> =
            vec![(Vec::new(), Duration::ZERO, 0.0, 0.0); 2];
        for side_index in [0, 1, 1, 0] {
            let side = ["sessions", "bare"][side_index];
            let client_before = common::cpu_seconds(me);
            let server_before = server.and_then(common::cpu_seconds);
            let (samples, elapsed) =
                common::run_threads(n, duration / 2, |i, d, out| work(side, i, d, out));
            let entry = &mut results[side_index];
            entry.0.extend(samples);
            entry.1 += elapsed;
            if let (Some(b), Some(a)) = (client_before, common::cpu_seconds(me)) {
                entry.2 += a - b;
            }
            if let (Some(b), Some(a)) = (server_before, server.and_then(common::cpu_seconds)) {
                entry.3 += a - b;
            }
        }
        for (side_index, (mut samples, elapsed, client, server_cpu)) in
            results.into_iter().enumerate()
        {
            let side = ["sessions", "bare"][side_index];
            let cycles = samples.len() as f64;
            let s = stats(&mut samples);
            let server_cpu = if server.is_some() {
                format!("{:.2}", server_cpu * 1000.0 / cycles)
            } else {
                "n/a".into()
            };
            println!(
                "| {n} | {side} | {:.0} | {:.0} | {:.0} | {:.2} | {server_cpu} |",
                cycles / elapsed.as_secs_f64(),
                micros(s.p50),
                micros(s.p99),
                client * 1000.0 / cycles,
            );
        }
    }
}

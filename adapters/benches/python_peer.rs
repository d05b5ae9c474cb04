//! The Python package this library replaces
//! (pyramid-dynamodb-sessions 0.1.3, in the interop tests' virtualenv)
//! against this library on the same DynamoDB Local and table: read-only and
//! read-modify-write cycles per second with 1 and 8 clients, next to the
//! bare store calls each side makes (boto3's `get_item` / `put_item`;
//! rusoto's GetItem / PutItem), so that one sees how close each comes to
//! what the store allows.
//!
//! Python runs as a WSGI server would run it: one process per client, each
//! driving the package's session factory through a Pyramid app in-process
//! (webtest, no HTTP; `test-support/python/bench.py`). Ours runs in threads
//! sharing one `SessionManager` (JSON data, as the package stores it) on
//! `DynamoDbBackend`. Each client has its own session. Settings
//! (environment): `BENCH_SECONDS_MS` per measurement (default 2000),
//! `BENCH_CLIENTS` (default `1,8`), `BENCH_WARMUP_MS` (default 1500).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench python_peer`

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dynamodb_sessions::{DataEncoding, SessionConfig, SessionManager};
use dynamodb_sessions_test_support::python_env::{scripts_dir, PythonEnv};

use common::quick::full_or_quick;
use common::{bare_get, bare_put, full_cycle, key_of, new_session, read_cycle, Bare};

const MODES: [&str; 4] = ["read", "rmw", "bare-read", "bare-rmw"];

fn main() {
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let Some(python) = PythonEnv::shared() else {
        eprintln!("no Python environment (python3 with venv and pip is needed); skipping");
        return;
    };
    let duration = common::env_millis("BENCH_SECONDS_MS", full_or_quick(2000, 200));
    let clients = common::env_list("BENCH_CLIENTS", full_or_quick("1,8", "1,2"));
    let warmup = common::env_millis("BENCH_WARMUP_MS", full_or_quick(1500, 100));
    common::quick::announce();
    println!("# python_peer: {}", common::machine());
    println!(
        "# endpoint {endpoint}, {} ms per measurement",
        duration.as_millis()
    );

    let backend = common::backend_on_new_table(&endpoint, "bench-python");
    let table = backend.table_name().to_owned();
    let config = SessionConfig::builder()
        .data_encoding(DataEncoding::Json)
        .build()
        .expect("config");
    let manager = SessionManager::new(backend, config);
    let bare = Bare::new(&endpoint);
    let max = clients.iter().copied().max().unwrap_or(1);
    // Per client: a session for the manager (its latest cookie kept) and one
    // for the bare calls, which bump `ver` without resealing `dat`.
    let cookies: Vec<Mutex<String>> = (0..max)
        .map(|_| Mutex::new(new_session(&manager)))
        .collect();
    let bare_keys: Vec<Vec<u8>> = (0..max).map(|_| key_of(&new_session(&manager))).collect();
    // Warm DynamoDB Local's JIT and our pool.
    common::run_threads(2, warmup, |i, d, _| {
        let mut cookie = cookies[i].lock().expect("cookie");
        while Instant::now() < d {
            *cookie = full_cycle(&manager, &cookie);
        }
    });

    println!();
    println!("| clients | side | read-only cycles/s | bare GetItem/s | read-modify-write cycles/s | bare GetItem + PutItem/s |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    for &n in &clients {
        let python_rates: Vec<f64> = MODES
            .iter()
            .map(|mode| python_rate(python, &endpoint, &table, mode, n, duration))
            .collect();
        let ours: Vec<f64> = MODES
            .iter()
            .map(|mode| {
                let (samples, elapsed) = common::run_threads(n, duration, |i, deadline, out| {
                    let mut cookie = cookies[i].lock().expect("cookie");
                    let key = &bare_keys[i];
                    while Instant::now() < deadline {
                        let start = Instant::now();
                        match *mode {
                            "read" => read_cycle(&manager, &cookie),
                            "rmw" => *cookie = full_cycle(&manager, &cookie),
                            "bare-read" => {
                                bare_get(&bare, &table, key).expect("the record");
                            }
                            _ => {
                                let item = bare_get(&bare, &table, key).expect("the record");
                                bare_put(&bare, &table, item);
                            }
                        }
                        out.push(start.elapsed());
                    }
                });
                samples.len() as f64 / elapsed.as_secs_f64()
            })
            .collect();
        for (side, rates) in [
            ("pyramid-dynamodb-sessions (processes)", &python_rates),
            ("dynamodb-sessions (threads)", &ours),
        ] {
            println!(
                "| {n} | {side} | {:.0} | {:.0} | {:.0} | {:.0} |",
                rates[0], rates[2], rates[1], rates[3]
            );
        }
    }
}

/// Cycles per second of `n` Python processes running `mode` at once.
fn python_rate(
    python: &PythonEnv,
    endpoint: &str,
    table: &str,
    mode: &str,
    n: usize,
    duration: Duration,
) -> f64 {
    let mut children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(python.python())
                .arg("bench.py")
                .args([endpoint, table, mode, &duration.as_millis().to_string()])
                .current_dir(scripts_dir())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start python")
        })
        .collect();
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stdout.take().expect("stdout")))
        .collect();
    // All ready (imports done, session created), then all go at once.
    for output in &mut outputs {
        let mut line = String::new();
        output.read_line(&mut line).expect("ready line");
        assert!(line.contains("ready"), "python bench: {line:?}");
    }
    for child in &mut children {
        let stdin = child.stdin.as_mut().expect("stdin");
        stdin.write_all(b"go\n").expect("go");
        stdin.flush().expect("flush");
    }
    let mut cycles = 0.0;
    let mut seconds: f64 = 0.0;
    for output in &mut outputs {
        let mut line = String::new();
        output.read_line(&mut line).expect("result line");
        let result: serde_json::Value = serde_json::from_str(&line).expect("json result");
        cycles += result["cycles"].as_f64().expect("cycles");
        seconds = seconds.max(result["seconds"].as_f64().expect("seconds"));
    }
    for mut child in children {
        child.wait().expect("python exits");
    }
    cycles / seconds
}

//! Memory: what sessions hold in `MemoryBackend` and in the demo server.
//!
//! 1. Bytes held per session by `MemoryBackend` for 1 KB and 100 KB
//!    payloads, counted by a counting global allocator
//!    (`dynamodb_sessions_test_support::heap`: it forwards to the system allocator and
//!    adds up sizes). Measured after the sessions are created and again
//!    after each was written once more.
//! 2. The cap's effect: a flood of cookie-less writing requests, three
//!    times the default limit of sessions, against a default
//!    `MemoryBackend`: what it holds after each third.
//! 3. Peak RSS (`VmHWM`) of the demo server (`--example demo`, tiny_http,
//!    memory store) holding 90,000 small sessions, created by plain
//!    `GET /` requests without a cookie over keep-alive loopback
//!    connections. The bench builds the demo first, in its own profile
//!    (release under `cargo bench`).
//!
//! Settings (environment): `BENCH_DEMO_SESSIONS` (default 90000, the most
//! new sessions a default store takes),
//! `BENCH_DEMO_BIN` (a demo binary to use instead of building one).
//! `BENCH_QUICK=1` runs it with a few sessions and a store capped at 1,000
//! (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench memory_footprint`

mod common;

use dynamodb_sessions::Scheme;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use dynamodb_sessions::{MemoryBackend, MemoryLimits};
use dynamodb_sessions::{SessionConfig, SessionManager};

use common::quick::full_or_quick;

// The tests' counting allocator: the only `unsafe` in the project, since
// `GlobalAlloc` cannot be implemented without it.
use dynamodb_sessions_test_support::heap;

#[global_allocator]
static GLOBAL: heap::CountingAllocator = heap::CountingAllocator;

fn held() -> isize {
    heap::live_bytes() as isize
}

fn main() {
    common::quick::announce();
    println!("# memory_footprint");
    println!();
    println!("| payload | sessions | payload bytes | held/session after create | after one more write | ratio to payload |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let counts = [full_or_quick(10_000, 100), full_or_quick(500, 10)];
    for ((label, size), count) in [("1 KB", 1024), ("100 KB", 100 * 1024)]
        .into_iter()
        .zip(counts)
    {
        per_session(label, size, count);
    }
    println!();
    flood_under_cap();
    println!();
    demo_rss();
}

fn flood_under_cap() {
    let limits = full_or_quick(
        MemoryLimits::DEFAULT,
        MemoryLimits::DEFAULT.max_sessions(1_000),
    );
    let backend = MemoryBackend::with_limits(limits);
    let cap = backend.limits().max_sessions;
    let manager = SessionManager::new(backend.clone(), SessionConfig::default());
    let before = held();
    println!(
        "| cookie-less writing requests | sessions held | refused (store full) | bytes held |"
    );
    println!("| ---: | ---: | ---: | ---: |");
    let mut refused = 0;
    for third in 1..=3 {
        for _ in 0..cap {
            let mut session = manager.load(None);
            session.insert("n", &1).unwrap();
            if manager.commit(session, Scheme::Http).is_err() {
                refused += 1;
            }
        }
        println!(
            "| {} | {} | {refused} | {} |",
            third * cap,
            backend.len(),
            held() - before
        );
    }
}

fn per_session(label: &str, size: usize, count: usize) {
    let payload = "x".repeat(size);
    let backend = MemoryBackend::new();
    let manager = SessionManager::new(backend.clone(), SessionConfig::default());
    let before = held();
    let mut cookies = Vec::with_capacity(count);
    let cookies_start = held();
    for _ in 0..count {
        let mut session = manager.load(None);
        session.insert("payload", payload.as_str()).unwrap();
        let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
        cookies.push(set_cookie.split(';').next().unwrap().to_owned());
    }
    // The cookies are the bench's, not the store's.
    let cookie_bytes: isize = cookies.iter().map(|c| c.capacity() as isize).sum::<isize>()
        + (cookies.capacity() * std::mem::size_of::<String>()) as isize
        - (cookies_start - before);
    let after_create = held() - before - cookie_bytes;
    for cookie in &cookies {
        let mut session = manager.load(Some(cookie));
        session.insert("payload", payload.as_str()).unwrap();
        session.mark_changed().unwrap();
        manager.commit(session, Scheme::Http).unwrap();
    }
    let after_write = held() - before - cookie_bytes;
    assert_eq!(backend.len(), count);
    let per_create = after_create as f64 / count as f64;
    let per_write = after_write as f64 / count as f64;
    println!(
        "| {label} | {count} | {size} | {per_create:.0} | {per_write:.0} | {:.2}x |",
        per_write / size as f64
    );
}

/// The demo's process, killed when dropped: a bench that panics midway
/// leaves no server behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds (unless given) and starts the demo, fills it with sessions and
/// reads its peak RSS.
fn demo_rss() {
    let sessions = std::env::var("BENCH_DEMO_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        // The most new sessions a default `MemoryBackend` takes: 90% of
        // its 100,000, the rest kept for existing sessions.
        .unwrap_or(full_or_quick(90_000usize, 1_000));
    let binary = match std::env::var_os("BENCH_DEMO_BIN") {
        Some(path) => PathBuf::from(path),
        None => build_demo(),
    };
    let mut child = KillOnDrop(
        Command::new(&binary)
            .args(["--port", "0"])
            .env_remove("DEMO_TABLE")
            .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the demo"),
    );
    let pid = child.0.id();
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let address = loop {
        let line = lines.next().expect("the demo's address").expect("stdout");
        if let Some(url) = line.strip_prefix("listening on http://") {
            break url.to_owned();
        }
    };
    let start_rss = status_kb(pid, "VmRSS:");
    let threads = 2;
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let address = &address;
            scope.spawn(move || {
                let n = sessions / threads + usize::from(t < sessions % threads);
                fill(address, n)
            });
        }
    });
    let elapsed = started.elapsed();
    let hwm = status_kb(pid, "VmHWM:");
    let rss = status_kb(pid, "VmRSS:");
    drop(child);
    println!("| demo server (tiny_http, MemoryBackend) | KiB |");
    println!("| --- | ---: |");
    println!("| RSS after start | {start_rss} |");
    println!("| RSS holding {sessions} sessions | {rss} |");
    println!("| peak RSS (VmHWM) | {hwm} |");
    println!(
        "| peak minus start, per session | {:.2} KiB ({:.0} bytes) |",
        (hwm - start_rss) as f64 / sessions as f64,
        (hwm - start_rss) as f64 * 1024.0 / sessions as f64
    );
    println!(
        "\n{sessions} `GET /` requests over {threads} keep-alive connections in {:.1} s ({:.0} req/s)",
        elapsed.as_secs_f64(),
        sessions as f64 / elapsed.as_secs_f64()
    );
}

/// Sends `n` cookieless `GET /` requests on one keep-alive connection,
/// pipelined (a writer thread sends them all while this one reads the
/// answers): waiting for each answer would stall on Nagle's algorithm and
/// delayed ACKs, about 40 ms a request.
fn fill(address: &str, n: usize) {
    let stream = TcpStream::connect(address).expect("connect to the demo");
    stream.set_nodelay(true).ok();
    let mut writer = stream.try_clone().expect("clone the stream");
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n");
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(request.len() * 64);
            let mut left = n;
            while left > 0 {
                let now = left.min(64);
                batch.clear();
                for _ in 0..now {
                    batch.extend_from_slice(request.as_bytes());
                }
                writer.write_all(&batch).expect("send");
                left -= now;
            }
        });
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        let mut body = Vec::new();
        for _ in 0..n {
            let mut length = 0usize;
            let mut status = String::new();
            loop {
                line.clear();
                reader.read_line(&mut line).expect("read a header");
                if status.is_empty() {
                    status = line.clone();
                }
                if line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().expect("a length");
                    }
                }
            }
            assert!(status.contains(" 200 "), "unexpected answer: {status}");
            body.resize(length, 0);
            reader.read_exact(&mut body).expect("read the body");
        }
    });
}

fn status_kb(pid: u32, field: &str) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field")
}

/// Builds the demo in this bench's own profile and returns its path: the
/// release profile under a plain `cargo bench`, the dev profile under
/// `cargo bench --profile dev` (CI's quick run). The whole workspace's
/// features, as `cargo test --workspace` resolves them, so that CI's quick
/// run finds the demo the tests built.
fn build_demo() -> PathBuf {
    // This bench runs from <target>/<profile directory>/deps/.
    let exe = std::env::current_exe().expect("the bench's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("<target>/<profile directory>");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        // The dev and test profiles build into `debug`, bench and release
        // into `release`; any other profile into its own name.
        Some("debug") => "dev",
        Some(name) => name,
        None => "release",
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--profile",
            profile,
            "--workspace",
            "--example",
            "demo",
            "--features",
            "dynamodb-sessions/tiny-http",
        ])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building the demo failed");
    profile_dir.join("examples").join("demo")
}

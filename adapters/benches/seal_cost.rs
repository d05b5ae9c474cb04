//! What sealing `dat` costs. A full cycle (parse the cookie, load,
//! read the data, change one value, commit a replace) with
//! `DataProtection::Sealed` against the same cycle with `Plain`, for
//! sessions of 1 KB and 100 KB, in memory and on DynamoDB Local.
//!
//! Sealed and plain run interleaved in rounds that alternate which goes
//! first, so both see the same noise, through one backend (one table, one
//! connection pool); the cost of sealing is the difference, and its share is
//! that difference over the plain DynamoDB cycle. Plain against plain, run
//! the same way, shows how large a difference noise alone makes. Settings
//! (environment): `BENCH_ROUNDS` (default 20), `BENCH_BATCH` (cycles per side
//! per round, default 25), `BENCH_WARMUP` (default 200).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench seal_cost`

mod common;

use std::time::Duration;

use dynamodb_sessions::store::Backend;
use dynamodb_sessions::{DataProtection, MemoryBackend, Scheme, SessionConfig, SessionManager};

use common::quick::full_or_quick;
use common::{micros, stats};

const SIZES: [(usize, &str); 2] = [(1024, "1 KB"), (100 * 1024, "100 KB")];

fn main() {
    let rounds = common::env_count("BENCH_ROUNDS", full_or_quick(20, 2));
    let batch = common::env_count("BENCH_BATCH", full_or_quick(25, 3));
    let warmup = common::env_count("BENCH_WARMUP", full_or_quick(200, 5));
    common::quick::announce();
    println!("# seal_cost: {}", common::machine());
    println!("# {rounds} rounds x {batch} cycles per side, interleaved; {warmup} warm-up cycles");
    let endpoint = common::dynamodb_endpoint();

    let sealed_and_plain = [DataProtection::Sealed, DataProtection::Plain];
    let plain_twice = [DataProtection::Plain, DataProtection::Plain];
    for (size, label) in SIZES {
        let settings = Settings {
            rounds,
            batch,
            warmup,
            size,
        };
        let memory = settings.compare(sealed_and_plain, MemoryBackend::new());
        report(&format!("memory, {label}"), &memory);
        let Some(endpoint) = &endpoint else {
            continue;
        };
        let backend = common::backend_on_new_table(endpoint, "bench-seal");
        let dynamodb = settings.compare(sealed_and_plain, backend.clone());
        report(&format!("DynamoDB Local, {label}"), &dynamodb);
        let noise = settings.compare(plain_twice, backend);
        report(
            &format!("DynamoDB Local, {label}, plain against plain"),
            &noise,
        );
    }
}

/// How one comparison runs.
struct Settings {
    rounds: usize,
    batch: usize,
    warmup: usize,
    /// Bytes of data in each session.
    size: usize,
}

/// Per-cycle latencies of the two sides.
struct Compared {
    sides: [DataProtection; 2],
    a: Vec<Duration>,
    b: Vec<Duration>,
}

impl Settings {
    /// Interleaved cycles of two managers with the settings `sides`, both
    /// on `backend`, each with a session of its own.
    fn compare<B: Backend + Clone + 'static>(
        &self,
        sides: [DataProtection; 2],
        backend: B,
    ) -> Compared {
        let a = manager(backend.clone(), sides[0]);
        let b = manager(backend, sides[1]);
        let mut a_cookie = new_session(&a, self.size);
        let mut b_cookie = new_session(&b, self.size);
        for _ in 0..self.warmup {
            a_cookie = cycle(&a, &a_cookie);
            b_cookie = cycle(&b, &b_cookie);
        }
        let (a, b) = common::interleave(
            self.rounds,
            self.batch,
            || a_cookie = cycle(&a, &a_cookie),
            || b_cookie = cycle(&b, &b_cookie),
        );
        Compared { sides, a, b }
    }
}

fn manager<B: Backend + 'static>(backend: B, protection: DataProtection) -> SessionManager {
    let config = SessionConfig::builder()
        .data_protection(protection)
        .build()
        .expect("valid settings");
    SessionManager::new(backend, config)
}

/// A session holding `size` bytes of text and a counter.
fn new_session(manager: &SessionManager, size: usize) -> String {
    let blob: String = (0..size)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut session = manager.load(None);
    session.insert("blob", &blob).expect("insert");
    session.insert("visits", &0u64).expect("insert");
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    common::cookie_header(&set_cookie.expect("a new session sets a cookie"))
}

/// Load, read everything, count a visit, commit (a replace of the whole item).
fn cycle(manager: &SessionManager, cookie: &str) -> String {
    let mut session = manager.load(Some(cookie));
    let blob: String = session.get("blob").expect("get").expect("the blob");
    let visits: u64 = session.get("visits").expect("get").expect("a counter");
    std::hint::black_box(blob);
    session.insert("visits", &(visits + 1)).expect("insert");
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    common::cookie_header(&set_cookie.expect("a changed session sets a cookie"))
}

/// Prints both sides, the first one's extra time, and that as a share of
/// the second side's cycle.
fn report(name: &str, compared: &Compared) {
    let a = stats(&mut compared.a.clone());
    let b = stats(&mut compared.b.clone());
    println!();
    println!("| {name} | mean µs | p50 µs | p99 µs | n |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (side, s) in compared.sides.iter().zip([a, b]) {
        println!(
            "| {side:?} | {:.1} | {:.1} | {:.1} | {} |",
            micros(s.mean),
            micros(s.p50),
            micros(s.p99),
            s.count
        );
    }
    let mean = micros(a.mean) - micros(b.mean);
    let p50 = micros(a.p50) - micros(b.p50);
    println!(
        "first side extra: mean {mean:+.1} µs ({:+.2}%), p50 {p50:+.1} µs ({:+.2}%)",
        100.0 * mean / micros(b.mean),
        100.0 * p50 / micros(b.p50)
    );
}

//! What a session cycle on `DynamoDbBackend` costs over the
//! bare rusoto calls it needs, against the same DynamoDB Local in one run.
//!
//! * full cycle: parse the cookie, load (eventually consistent GetItem), read
//!   a value, insert a value, commit (conditional PutItem), against a bare
//!   GetItem + the same conditional PutItem of the same item;
//! * read-only cycle (inside the reissue window): parse, load, read, commit
//!   (no write), against a bare GetItem.
//!
//! Each pair runs interleaved, in rounds that alternate which side goes
//! first, so both see the same noise. Settings (environment): `BENCH_ROUNDS`
//! (default 20), `BENCH_BATCH` (calls per side per round, default 25),
//! `BENCH_WARMUP` (full cycles before measuring, default 500).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench dynamodb_overhead`

mod common;

use dynamodb_sessions::Scheme;
use std::time::{Duration, Instant};

use dynamodb_sessions::SessionManager;

use common::quick::full_or_quick;
use common::{
    bare_get, bare_put, full_cycle, key_of, micros, new_session, read_cycle, stats, Bare,
};

fn main() {
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let rounds = common::env_count("BENCH_ROUNDS", full_or_quick(20, 2));
    let batch = common::env_count("BENCH_BATCH", full_or_quick(25, 5));
    let warmup = common::env_count("BENCH_WARMUP", full_or_quick(500, 20));
    common::quick::announce();
    println!("# dynamodb_overhead: {}", common::machine());
    println!("# endpoint {endpoint}, {rounds} rounds x {batch} calls per side, interleaved");

    let backend = common::backend_on_new_table(&endpoint, "bench-overhead");
    let table = backend.table_name().to_owned();
    let manager = common::manager(backend.clone());
    let bare = Bare::new(&endpoint);

    // One session per cycle kind, created through the manager. The bare
    // side bumps `ver` without resealing `dat`, which is bound to `ver`: it
    // gets a session of its own, or the manager's would stop opening (the
    // value it reads would be gone).
    let mut write_cookie = new_session(&manager);
    let read_cookie = new_session(&manager);
    let bare_write_key = key_of(&new_session(&manager));
    let read_key = key_of(&read_cookie);

    // Warm both connection pools, and DynamoDB Local's JIT.
    for _ in 0..warmup {
        write_cookie = full_cycle(&manager, &write_cookie);
        bare_get(&bare, &table, &read_key);
    }

    // The two halves of each side are timed too: load + read (GetItem)
    // and insert + commit (PutItem).
    let (mut ours_get, mut ours_put) = (Vec::new(), Vec::new());
    let (mut bare_gets, mut bare_puts) = (Vec::new(), Vec::new());
    let (ours, theirs) = common::interleave(
        rounds,
        batch,
        || {
            let (cookie, get, put) = timed_full_cycle(&manager, &write_cookie);
            write_cookie = cookie;
            ours_get.push(get);
            ours_put.push(put);
        },
        || {
            let start = Instant::now();
            let item = bare_get(&bare, &table, &bare_write_key).expect("the record");
            let middle = Instant::now();
            bare_put(&bare, &table, item);
            bare_gets.push(middle - start);
            bare_puts.push(middle.elapsed());
        },
    );
    report(
        "full cycle (GetItem + PutItem)",
        "bare GetItem + PutItem",
        ours,
        theirs,
    );
    report(
        "full cycle: load + read",
        "bare GetItem",
        ours_get,
        bare_gets,
    );
    report(
        "full cycle: insert + commit",
        "bare PutItem",
        ours_put,
        bare_puts,
    );

    let (ours, theirs) = common::interleave(
        rounds,
        batch,
        || read_cycle(&manager, &read_cookie),
        || {
            bare_get(&bare, &table, &read_key).expect("the record");
        },
    );
    report("read-only cycle (GetItem)", "bare GetItem", ours, theirs);
}

fn report(ours_name: &str, theirs_name: &str, mut ours: Vec<Duration>, mut theirs: Vec<Duration>) {
    let a = stats(&mut ours);
    let b = stats(&mut theirs);
    println!();
    println!("| {ours_name} | mean µs | p50 µs | p99 µs | n |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, s) in [(ours_name, a), (theirs_name, b)] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {} |",
            micros(s.mean),
            micros(s.p50),
            micros(s.p99),
            s.count
        );
    }
    println!(
        "ratio ours/bare: mean {:.3}x, p50 {:.3}x",
        a.mean.as_secs_f64() / b.mean.as_secs_f64(),
        a.p50.as_secs_f64() / b.p50.as_secs_f64()
    );
}

/// `full_cycle`, also returning the time of load + read and of insert + commit.
fn timed_full_cycle(manager: &SessionManager, cookie: &str) -> (String, Duration, Duration) {
    let start = Instant::now();
    let mut session = manager.load(Some(cookie));
    let visits: u64 = session.get("visits").expect("get").expect("a stored value");
    let middle = Instant::now();
    session.insert("visits", &(visits + 1)).expect("insert");
    let set_cookie = manager
        .commit(session, Scheme::Http)
        .expect("commit")
        .expect("a changed session sets a cookie");
    let end = Instant::now();
    (
        common::cookie_header(&set_cookie),
        middle - start,
        end - middle,
    )
}

//! What the sweep of expired sessions (`sweep_expired`, for tables without
//! TTL: global tables in multi-Region strong consistency) costs on DynamoDB
//! Local: the time to sweep a table of `BENCH_ITEMS` sessions (default
//! 10,000) when none has expired (the scan alone), when all have (the
//! scan and a delete per item), and the same in four segments on four
//! threads; the read units per 1,000 items scanned and the write units per
//! deletion, as DynamoDB Local reports them (`ReturnConsumedCapacity`) and
//! as DynamoDB's published rules give them from the exact item size
//! (`store::item_size`).
//!
//! The rules: a Scan is charged on the items it reads, before its filter
//! and whatever its projection: per page, the sizes of the items read
//! summed and rounded up to 4 KB, half a unit per 4 KB (eventually
//! consistent). A DeleteItem is one unit per KB of the deleted item,
//! started, at least one, also when its condition fails (plus its entry in
//! the user index, for a session with a user; none here).
//!
//! `cargo bench -p dynamodb-sessions --bench sweep_cost`
//! (`BENCH_ITEMS`: sessions per table; `BENCH_QUICK=1`: 200)

mod common;

use std::time::{Duration, Instant};

use dynamodb_sessions::dynamodb::{SweepOptions, SweepReport};
use dynamodb_sessions::store::{
    item_size, Backend as _, CreateOutcome, Record, StorageKey, StoredData, Token,
};
use dynamodb_sessions::DynamoDbBackend;
use dynamodb_sessions_test_support::raw_table::keep_expired_items;

use common::quick;

/// A session's data: a small map, as most sessions are (a user id, a CSRF
/// token, a flash or two).
const DATA_BYTES: usize = 200;
/// The sweep's page size (its default).
const PAGE: u32 = 1000;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn record(exp: i64) -> Record {
    Record::new(1, exp - 3600, exp, StoredData::Cbor(vec![0x5a; DATA_BYTES]))
        .created_at(Some(exp - 3600))
}

/// A table of `items` sessions expiring at `exp` (TTL off, as a table
/// without TTL), filled by four threads; the size of one item.
fn table(endpoint: &str, items: usize, exp: i64) -> (DynamoDbBackend, usize) {
    let backend = common::backend_on_new_table(endpoint, "bench-sweep");
    keep_expired_items(endpoint, backend.table_name());
    std::thread::scope(|scope| {
        for part in 0..4 {
            let backend = &backend;
            scope.spawn(move || {
                for _ in (part..items).step_by(4) {
                    let key = Token::generate().expect("a token").storage_key();
                    let created = backend.create(&key, &record(exp)).expect("create");
                    assert_eq!(created, CreateOutcome::Created);
                }
            });
        }
    });
    let size = item_size(&StorageKey::from_bytes([0; 32]), &record(exp));
    (backend, size)
}

/// Read units of a scan of `items` items of `size` bytes, `PAGE` per page.
fn scan_units_by_rule(items: usize, size: usize) -> f64 {
    let full_pages = items / PAGE as usize;
    let last = items % PAGE as usize;
    let page_units = |n: usize| (n * size).div_ceil(4096) as f64 / 2.0;
    full_pages as f64 * page_units(PAGE as usize) + page_units(last)
}

fn units(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |units| format!("{units:.1}"))
}

fn row(case: &str, items: usize, size: usize, reports: &[SweepReport], took: Duration) {
    let sum = |f: fn(&SweepReport) -> u64| reports.iter().map(f).sum::<u64>();
    let total =
        |f: fn(&SweepReport) -> Option<f64>| reports.iter().filter_map(f).reduce(|a, b| a + b);
    let (scanned, deleted) = (sum(|r| r.scanned), sum(|r| r.deleted));
    let pages: u32 = reports.iter().map(|r| r.pages).sum();
    let read = total(|r| r.read_units);
    let write = total(|r| r.write_units);
    let per_thousand = |units: f64| units * 1000.0 / scanned.max(1) as f64;
    let per_delete = write.map(|w| w / deleted.max(1) as f64);
    println!(
        "| {case} | {items} | {scanned} | {deleted} | {pages} | {:.2} | {:.0} | {} | {:.1} | {} | {} | {} |",
        took.as_secs_f64(),
        scanned as f64 / took.as_secs_f64(),
        units(read.map(per_thousand)),
        per_thousand(scan_units_by_rule(items, size)),
        units(write),
        units(if deleted == 0 { None } else { per_delete }),
        if deleted == 0 {
            "–".to_owned()
        } else {
            format!("{}", size.div_ceil(1024).max(1))
        },
    );
}

fn main() {
    quick::announce();
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let items = common::env_count("BENCH_ITEMS", quick::full_or_quick(10_000, 200));
    let now = now();
    println!("Sweeping {items} sessions of {DATA_BYTES} B of data, {PAGE} items per page:");
    println!();
    println!(
        "| case | items | scanned | deleted | pages | seconds | items/s | RCU per 1,000 scanned (reported) | RCU per 1,000 scanned (rule) | WCU (reported) | WCU per deletion (reported) | WCU per deletion (rule) |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );

    let (live, size) = table(&endpoint, items, now + 3600);
    let started = Instant::now();
    let report = live.sweep_expired(SweepOptions::default()).expect("sweep");
    row("none expired", items, size, &[report], started.elapsed());

    let (expired, size) = table(&endpoint, items, now - 7200);
    let started = Instant::now();
    let report = expired
        .sweep_expired(SweepOptions::default())
        .expect("sweep");
    row("all expired", items, size, &[report], started.elapsed());

    let (expired, size) = table(&endpoint, items, now - 7200);
    let started = Instant::now();
    let reports: Vec<SweepReport> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|segment| {
                let backend = &expired;
                scope.spawn(move || {
                    backend
                        .sweep_expired(SweepOptions::default().segment(segment, 4))
                        .expect("sweep")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a segment"))
            .collect()
    });
    row(
        "all expired, 4 segments on 4 threads",
        items,
        size,
        &reports,
        started.elapsed(),
    );
    println!();
    println!("One item: {size} bytes (DynamoDB's item size, `store::item_size`).");
}

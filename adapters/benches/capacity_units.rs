//! The DynamoDB capacity units each kind of request costs — the
//! bill — at 1 KB and 100 KB of session data, in CBOR and in JSON.
//!
//! Request kinds: untouched (the session is never used), read-only (load
//! inside the reissue window), reissue (load after the reissue window: a
//! touch), write (load, change, commit), login (load, regenerate the ID,
//! commit: a new item and a tombstone) and logout (load, invalidate,
//! commit: a tombstone). Each runs through a `SessionManager` on
//! `DynamoDbBackend` against DynamoDB Local, counted by `CountingBackend`;
//! the items before and after are read beside it and sized exactly
//! (`store::item_size`, which the tests check against DynamoDB's own 400 KB
//! limit to the byte). The units follow DynamoDB's published rules
//! (on-demand and provisioned alike): a read is one unit per 4 KB, started
//! (half for an eventually consistent read), at least one; a write is one
//! unit per 1 KB, started, of the larger of the item before and after, at
//! least one, charged also when its condition fails.
//!
//! DynamoDB Local reports `ConsumedCapacity` when asked; the run checks the
//! rules against it on the stored items themselves (a GetItem with
//! `ReturnConsumedCapacity`, and a PutItem of the same item under a new
//! key) and prints both.
//!
//! It sends one request of each kind and nothing else, so it has no quick
//! mode of its own: `BENCH_QUICK=1` runs it as it is.
//!
//! `cargo bench -p dynamodb-sessions --bench capacity_units`

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions::store::{item_size, Backend, Consistency, LoadOutcome, StorageKey};
use dynamodb_sessions::testing::{CallCounts, CountingBackend};
use dynamodb_sessions::{DataEncoding, DynamoDbBackend, Scheme, SessionConfig, SessionManager};
use rusoto_dynamodb::{AttributeValue, DynamoDb, GetItemInput, PutItemInput};

use common::{cookie_header, Bare};

/// Read units of an item of `size` bytes (0: none found).
fn read_units(size: usize, consistency: Consistency) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    match consistency {
        Consistency::Strong => units,
        _ => units / 2.0,
    }
}

/// Write units of a write that turns an item of `before` bytes (0: none)
/// into one of `after` bytes.
fn write_units(before: usize, after: usize) -> f64 {
    before.max(after).div_ceil(1024).max(1) as f64
}

/// The exact size of the item stored under `cookie`'s key now (0: none),
/// read beside the counting wrapper.
fn stored_size(backend: &DynamoDbBackend, cookie: &str) -> usize {
    let key = storage_key(cookie);
    match backend.load(&key, Consistency::Strong).expect("load") {
        LoadOutcome::Live(record) | LoadOutcome::Ended(record) => item_size(&key, &record),
        LoadOutcome::Missing => 0,
    }
}

fn storage_key(cookie: &str) -> StorageKey {
    StorageKey::from_bytes(common::key_of(cookie).try_into().expect("32 bytes"))
}

/// The store calls of one request and their units: every call of a kind of
/// request touches the session's item (sizes `before` and `after` the
/// request) except a login's create, of the new item (`created`).
fn bill(counts: CallCounts, before: usize, after: usize, created: usize) -> (String, f64, f64) {
    let changed = write_units(before, after);
    let parts = [
        (
            counts.eventual_loads,
            "GetItem",
            read_units(before, Consistency::Eventual),
            true,
        ),
        (
            counts.strong_loads,
            "GetItem (strong)",
            read_units(before, Consistency::Strong),
            true,
        ),
        (
            counts.creates,
            "PutItem (create)",
            write_units(0, created),
            false,
        ),
        (counts.replaces, "PutItem (replace)", changed, false),
        (counts.touches, "UpdateItem (touch)", changed, false),
        (counts.ends, "PutItem (end)", changed, false),
    ];
    let mut names = Vec::new();
    let (mut read, mut write) = (0.0, 0.0);
    for (count, name, units, is_read) in parts {
        for _ in 0..count {
            names.push(name);
            if is_read {
                read += units;
            } else {
                write += units;
            }
        }
    }
    let names = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    (names, read, write)
}

/// A session holding `size` bytes of data; its cookie header.
fn session_of(manager: &SessionManager, size: usize) -> String {
    let mut session = manager.load(None);
    session.insert("user", "ada").expect("insert");
    session.insert("blob", &"x".repeat(size)).expect("insert");
    let set_cookie = manager
        .commit(session, Scheme::Http)
        .expect("create")
        .expect("a cookie");
    cookie_header(&set_cookie)
}

/// Runs one request of `kind` on `cookie`; the new cookie, if one was set.
fn request(manager: &SessionManager, kind: &str, cookie: &str) -> Option<String> {
    let mut session = manager.load(Some(cookie));
    match kind {
        "untouched" => {}
        "read-only" | "reissue" => {
            let user: Option<String> = session.get("user").expect("get");
            assert!(user.is_some(), "the session was not found");
        }
        "write" => session.insert("user", "grace").expect("insert"),
        "login" => {
            session.get::<String>("user").expect("get");
            session.regenerate_id().expect("regenerate");
        }
        "logout" => {
            session.get::<String>("user").expect("get");
            session.invalidate();
        }
        other => panic!("unknown kind {other}"),
    }
    manager
        .commit(session, Scheme::Http)
        .expect("commit")
        .map(|set_cookie| cookie_header(&set_cookie))
}

const KINDS: [&str; 6] = [
    "untouched",
    "read-only",
    "reissue",
    "write",
    "login",
    "logout",
];

fn main() {
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    common::quick::announce();
    println!("# capacity_units: {}", common::machine());
    let backend = common::backend_on_new_table(&endpoint, "bench-capacity");
    let table = backend.table_name().to_owned();
    let counting = Arc::new(CountingBackend::new(backend.clone()));
    let bare = Bare::new(&endpoint);

    println!();
    println!("| encoding | data | request | store calls | read units | write units |");
    println!("| --- | ---: | --- | --- | ---: | ---: |");
    let mut checks = Vec::new();
    for encoding in [DataEncoding::Cbor, DataEncoding::Json] {
        for size in [1024, 100 * 1024] {
            let manager = |reissue: Duration| {
                let config = SessionConfig::builder()
                    .data_encoding(encoding)
                    .reissue_time(reissue)
                    .build()
                    .expect("config");
                SessionManager::new(Arc::clone(&counting), config)
            };
            let (usual, reissuing) = (manager(Duration::from_secs(120)), manager(Duration::ZERO));
            for kind in KINDS {
                let cookie = session_of(&usual, size);
                let used = if kind == "reissue" {
                    // A touch must move `iss` forward by a second at least.
                    std::thread::sleep(Duration::from_millis(1100));
                    &reissuing
                } else {
                    &usual
                };
                let before = stored_size(&backend, &cookie);
                counting.reset_counts();
                let set_cookie = request(used, kind, &cookie);
                let counts = counting.counts();
                let after = stored_size(&backend, &cookie);
                let created = match (&set_cookie, counts.creates) {
                    (Some(new), 1..) => stored_size(&backend, new),
                    _ => 0,
                };
                let (names, read, write) = bill(counts, before, after, created);
                println!(
                    "| {encoding:?} | {} KB | {kind} | {names} | {read} | {write} |",
                    size / 1024
                );
                if kind == "read-only" {
                    checks.push((encoding, size, cookie));
                }
            }
        }
    }

    println!();
    println!("DynamoDB Local's ConsumedCapacity on the stored items, against the rules:");
    println!();
    println!("| encoding | data | item bytes | GetItem (eventual) local / rule | PutItem (new key) local / rule |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (encoding, size, cookie) in checks {
        let key = common::key_of(&cookie);
        let bytes = stored_size(&backend, &cookie);
        let (read, item) = consumed_read(&bare, &table, &key);
        let write = consumed_put(&bare, &table, item);
        println!(
            "| {encoding:?} | {} KB | {bytes} | {} / {} | {} / {} |",
            size / 1024,
            read.map_or("not reported".to_owned(), |u| u.to_string()),
            read_units(bytes, Consistency::Eventual),
            write.map_or("not reported".to_owned(), |u| u.to_string()),
            write_units(0, bytes),
        );
    }
}

/// An eventually consistent GetItem of `key` with its consumed capacity.
fn consumed_read(
    bare: &Bare,
    table: &str,
    key: &[u8],
) -> (Option<f64>, HashMap<String, AttributeValue>) {
    let input = GetItemInput {
        return_consumed_capacity: Some("TOTAL".to_owned()),
        ..common::get_input(table, key)
    };
    let output = bare
        .runtime
        .block_on(bare.client.get_item(input))
        .expect("GetItem");
    (
        output.consumed_capacity.and_then(|c| c.capacity_units),
        output.item.expect("the item"),
    )
}

/// A PutItem of `item` under a new key, with its consumed capacity.
fn consumed_put(
    bare: &Bare,
    table: &str,
    mut item: HashMap<String, AttributeValue>,
) -> Option<f64> {
    let fresh = dynamodb_sessions::store::Token::generate()
        .expect("a token")
        .storage_key();
    if let Some(sid) = item.get_mut("sid") {
        sid.b = Some(fresh.as_bytes().to_vec().into());
    }
    let input = PutItemInput {
        table_name: table.to_owned(),
        item,
        return_consumed_capacity: Some("TOTAL".to_owned()),
        ..PutItemInput::default()
    };
    common::put(bare, input)
        .consumed_capacity
        .and_then(|c| c.capacity_units)
}

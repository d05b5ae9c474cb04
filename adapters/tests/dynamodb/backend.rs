//! The DynamoDB backend (each client in turn) against a real AWS DynamoDB
//! Local (started by the test support crate): every method, the item
//! layout, every error mapping, provisioning, retries and ambiguous writes
//! (through a small fault-injecting proxy), many threads, and calls from
//! inside a runtime.
//!
//! The generic backend behaviour shared with MemoryBackend is covered by the
//! conformance suite; this file is about what is specific to DynamoDB.

use std::collections::HashMap;
use std::error::Error;
use std::net::TcpListener;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use dynamodb_sessions::dynamodb::{AwsSdk, DynamoDbBackendOn, ProvisionError, RetryConfig, Rusoto};

use dynamodb_sessions::{
    store::Operation,
    store::{
        item_size, Backend as _, Consistency, CreateOutcome, Record, ReplaceOutcome, StorageKey,
        StoredData, Token, TouchOutcome, MAX_ITEM_SIZE,
    },
    BackendError, DataEncoding,
};
use dynamodb_sessions_test_support::fault_proxy::{
    Fault, Proxy, SERVER_ERROR, THROTTLED, THROUGHPUT, UNAVAILABLE,
};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::raw_table::{block_on, create_bare_table, raw_client};
use dynamodb_sessions_test_support::{builder_at, dynamodb_local, TestClient};

use rusoto_dynamodb::{
    AttributeDefinition, AttributeValue, CreateTableInput, DescribeTimeToLiveInput, DynamoDb,
    GetItemInput, KeySchemaElement, PutItemInput, TimeToLiveSpecification, UpdateTimeToLiveInput,
};

// ---------------------------------------------------------------- helpers

/// The DynamoDB Local endpoint, or `None` (after a loud warning) where java
/// or npm is missing outside CI.
fn local() -> Option<String> {
    dynamodb_local::endpoint()
}

/// A backend on a fresh, provisioned table.
fn fresh<C: TestClient>(prefix: &str) -> Option<DynamoDbBackendOn<C>> {
    let endpoint = local()?;
    let table = dynamodb_local::unique_table_name(prefix);
    // Provisioned with patient attempts: a busy DynamoDB Local can take
    // seconds per request.
    builder_at::<C>(&endpoint, &table)
        .attempt_timeout(Duration::from_secs(30))
        .build()
        .expect("backend builds")
        .create_table_if_missing()
        .expect("table provisioned");
    Some(
        builder_at::<C>(&endpoint, &table)
            .build()
            .expect("backend builds"),
    )
}

fn key() -> StorageKey {
    Token::generate().expect("random token").storage_key()
}

/// Unix seconds now. Expiry times in these tests lie in the future:
/// DynamoDB Local applies TTL and deletes items whose `exp` has passed.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An hour from now, rounded to the hour, so that it stays the same
/// within a test.
fn later() -> i64 {
    (now() / 3600 + 2) * 3600
}

fn record(version: u64, data: &[u8]) -> Record {
    Record::new(
        version,
        later() - 3600 + version as i64,
        later() + version as i64,
        StoredData::Cbor(data.to_vec()),
    )
    .created_at(Some(later() - 7200))
}

/// The raw stored item, read beside the backend.
fn raw_item<C: TestClient>(
    backend: &DynamoDbBackendOn<C>,
    key: &StorageKey,
) -> Option<HashMap<String, AttributeValue>> {
    let input = GetItemInput {
        table_name: backend.table_name().to_owned(),
        key: HashMap::from([("sid".to_owned(), binary(key.as_bytes()))]),
        consistent_read: Some(true),
        ..GetItemInput::default()
    };
    block_on(raw().get_item(input)).expect("raw GetItem").item
}

fn put_raw<C: TestClient>(backend: &DynamoDbBackendOn<C>, item: HashMap<String, AttributeValue>) {
    let input = PutItemInput {
        table_name: backend.table_name().to_owned(),
        item,
        ..PutItemInput::default()
    };
    block_on(raw().put_item(input)).expect("raw PutItem");
}

fn binary(bytes: &[u8]) -> AttributeValue {
    AttributeValue {
        b: Some(bytes.to_vec().into()),
        ..AttributeValue::default()
    }
}

fn number(text: &str) -> AttributeValue {
    AttributeValue {
        n: Some(text.to_owned()),
        ..AttributeValue::default()
    }
}

fn string(text: &str) -> AttributeValue {
    AttributeValue {
        s: Some(text.to_owned()),
        ..AttributeValue::default()
    }
}

/// A raw client on the shared DynamoDB Local, beside the backend.
fn raw() -> rusoto_dynamodb::DynamoDbClient {
    raw_client(&local().expect("DynamoDB Local"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ------------------------------------------------------- basic smoke tests

#[test]
fn every_method_and_outcome() {
    let _share = beside_others();
    every_method_and_outcome_on::<Rusoto>();
    every_method_and_outcome_on::<AwsSdk>();
}

fn every_method_and_outcome_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("smoke") else {
        return;
    };
    let key = key();
    let first = record(1, b"\xa0");

    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        None
    );
    assert_eq!(
        backend
            .load(&key, Consistency::Eventual)
            .unwrap()
            .into_record(),
        None
    );
    assert_eq!(
        backend.create(&key, &first).unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        backend.create(&key, &record(1, b"other")).unwrap(),
        CreateOutcome::AlreadyExists
    );
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(first.clone())
    );

    let second = record(2, b"\xa1\x61\x61\x01");
    assert_eq!(
        backend.replace(&key, 2, &record(3, b"x")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert!(
        matches!(
            backend.replace(&key, 2, &second),
            Err(BackendError::Rejected { .. })
        ),
        "a replace that does not move the version up"
    );
    assert_eq!(
        backend.replace(&key, 1, &second).unwrap(),
        ReplaceOutcome::Replaced
    );
    assert_eq!(
        backend.replace(&key, 1, &record(2, b"late")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(second.clone())
    );

    assert_eq!(
        backend.touch(&key, 1, later(), later() + 1200).unwrap(),
        TouchOutcome::Conflict,
        "not the stored version"
    );
    assert_eq!(
        backend.touch(&key, 2, later(), later() + 1200).unwrap(),
        TouchOutcome::Touched
    );
    let touched = backend
        .load(&key, Consistency::Strong)
        .unwrap()
        .into_record()
        .unwrap();
    assert_eq!(
        touched,
        Record::new(second.version, later(), later() + 1200, second.data)
            .created_at(second.created_at)
    );

    let tombstone = Record::tombstone(now(), DataEncoding::Cbor);
    let _ = backend.end(&key, &tombstone).unwrap();
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(tombstone.clone())
    );
    let _ = backend
        .end(&key, &Record::tombstone(later(), DataEncoding::Cbor))
        .unwrap();
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(tombstone),
        "an ended record stays as the first end left it"
    );

    // A touch never creates; a replace of a missing record is a conflict;
    // ending a missing record creates nothing either.
    let key = self::key();
    assert_eq!(
        backend.touch(&key, 1, 1, 2).unwrap(),
        TouchOutcome::Conflict
    );
    let _ = backend
        .end(&key, &Record::tombstone(now(), DataEncoding::Cbor))
        .unwrap();
    assert_eq!(
        backend.replace(&key, 1, &record(2, b"x")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert!(raw_item::<C>(&backend, &key).is_none());
}

#[test]
fn items_have_exactly_the_documented_layout() {
    let _share = beside_others();
    items_have_exactly_the_documented_layout_on::<Rusoto>();
    items_have_exactly_the_documented_layout_on::<AwsSdk>();
}

fn items_have_exactly_the_documented_layout_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("layout") else {
        return;
    };
    let key = key();
    assert_eq!(
        backend.create(&key, &record(1, b"cbor")).unwrap(),
        CreateOutcome::Created
    );
    let item = raw_item::<C>(&backend, &key).expect("stored");
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["crt", "dat", "exp", "iss", "sid", "ver", "wid"]);
    assert_eq!(item["sid"].b.as_deref(), Some(&key.as_bytes()[..]));
    assert_eq!(item["wid"].b.as_ref().map(|b| b.len()), Some(16));
    assert_eq!(item["ver"].n.as_deref(), Some("1"));
    let expected = record(1, b"cbor");
    assert_eq!(item["iss"].n, Some(expected.issued_at.to_string()));
    assert_eq!(item["exp"].n, Some(expected.expires_at.to_string()));
    assert_eq!(
        item["crt"].n,
        Some(expected.created_at.unwrap_or(0).to_string())
    );
    assert_eq!(item["dat"].b.as_deref(), Some(&b"cbor"[..]));

    // JSON data (pyramid-dynamodb-sessions) is a string; no crt when None.
    let key = self::key();
    let mut json = record(1, b"");
    json.created_at = None;
    json.data = StoredData::Json("{\"a\": 1}".to_owned());
    assert_eq!(backend.create(&key, &json).unwrap(), CreateOutcome::Created);
    let item = raw_item::<C>(&backend, &key).expect("stored");
    assert!(!item.contains_key("crt"));
    assert_eq!(item["dat"].s.as_deref(), Some("{\"a\": 1}"));
    assert_eq!(
        backend
            .load(&key, Consistency::Eventual)
            .unwrap()
            .into_record(),
        Some(json)
    );
}

#[test]
fn reads_items_written_by_pyramid_dynamodb_sessions() {
    let _share = beside_others();
    reads_items_written_by_pyramid_dynamodb_sessions_on::<Rusoto>();
    reads_items_written_by_pyramid_dynamodb_sessions_on::<AwsSdk>();
}

fn reads_items_written_by_pyramid_dynamodb_sessions_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("pyramid") else {
        return;
    };
    let key = key();
    let issued = now();
    put_raw::<C>(
        &backend,
        HashMap::from([
            ("sid".to_owned(), binary(key.as_bytes())),
            ("ver".to_owned(), number("3")),
            ("iss".to_owned(), number(&issued.to_string())),
            ("exp".to_owned(), number(&later().to_string())),
            ("dat".to_owned(), string("{\"user\": \"bob\"}")),
        ]),
    );
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(Record::new(
            3,
            issued,
            later(),
            StoredData::Json("{\"user\": \"bob\"}".to_owned())
        ))
    );
}

// ------------------------------------------------------------ error mapping

#[test]
fn malformed_items_are_corrupt_and_never_name_the_key() {
    let _share = beside_others();
    malformed_items_are_corrupt_and_never_name_the_key_on::<Rusoto>();
    malformed_items_are_corrupt_and_never_name_the_key_on::<AwsSdk>();
}

fn malformed_items_are_corrupt_and_never_name_the_key_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("corrupt") else {
        return;
    };
    let good = |key: &StorageKey| {
        HashMap::from([
            ("sid".to_owned(), binary(key.as_bytes())),
            ("ver".to_owned(), number("1")),
            ("iss".to_owned(), number(&now().to_string())),
            ("exp".to_owned(), number(&later().to_string())),
            ("crt".to_owned(), number("5")),
            ("dat".to_owned(), binary(b"x")),
        ])
    };
    type Damage = fn(&mut HashMap<String, AttributeValue>);
    let damages: [(&str, Damage); 8] = [
        ("ver", |item| {
            item.remove("ver");
        }),
        ("ver", |item| {
            item.insert("ver".into(), string("1"));
        }),
        ("ver", |item| {
            item.insert("ver".into(), number("-4"));
        }),
        ("iss", |item| {
            item.insert("iss".into(), number("1.5"));
        }),
        ("exp", |item| {
            item.remove("exp");
        }),
        ("crt", |item| {
            item.insert("crt".into(), string("yesterday"));
        }),
        ("dat", |item| {
            item.remove("dat");
        }),
        ("dat", |item| {
            item.insert("dat".into(), number("7"));
        }),
    ];
    for (attribute, damage) in damages {
        let key = key();
        let mut item = good(&key);
        damage(&mut item);
        put_raw::<C>(&backend, item);
        for consistency in [Consistency::Strong, Consistency::Eventual] {
            match backend.load(&key, consistency) {
                Err(BackendError::Corrupt { reason }) => {
                    assert!(reason.contains(attribute), "{attribute}: {reason}");
                    assert!(!reason.contains(&hex(key.as_bytes())[..8]), "{reason}");
                }
                other => panic!("{attribute}: expected Corrupt, got {other:?}"),
            }
        }
    }
}

#[test]
fn oversized_items_are_refused_before_sending_with_their_size() {
    let _share = beside_others();
    oversized_items_are_refused_before_sending_with_their_size_on::<Rusoto>();
    oversized_items_are_refused_before_sending_with_their_size_on::<AwsSdk>();
}

fn oversized_items_are_refused_before_sending_with_their_size_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("toolarge") else {
        return;
    };
    let key = key();
    let mut big = record(1, &[]);
    let overhead = item_size(&key, &big);
    big.data = StoredData::Cbor(vec![7; MAX_ITEM_SIZE - overhead + 1]);
    match backend.create(&key, &big) {
        Err(BackendError::ItemTooLarge {
            operation: Operation::Create,
            size: Some(size),
            limit,
        }) => {
            assert_eq!(size, MAX_ITEM_SIZE + 1);
            assert_eq!(limit, MAX_ITEM_SIZE);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        None
    );

    // Exactly at the limit, as item_size counts it, DynamoDB accepts it.
    let mut fits = big.clone();
    fits.data = StoredData::Cbor(vec![7; MAX_ITEM_SIZE - overhead]);
    assert_eq!(item_size(&key, &fits), MAX_ITEM_SIZE);
    assert_eq!(backend.create(&key, &fits).unwrap(), CreateOutcome::Created);
    let mut bigger = big.clone();
    bigger.version = 2;
    assert!(matches!(
        backend.replace(&key, 1, &bigger),
        Err(BackendError::ItemTooLarge {
            operation: Operation::Replace,
            size: Some(_),
            ..
        })
    ));
}

/// DynamoDB's own verdict, with our check off, agrees with `item_size` to
/// the byte: every item of exactly 400 KB is stored and every item one byte
/// larger is refused, over numbers whose base-100 digits fall differently
/// (110 = 1|10 and 1234560 = 1|23|45|60 used to be counted a byte short).
#[test]
fn dynamodb_agrees_with_item_size_at_exactly_the_limit() {
    let _share = beside_others();
    dynamodb_agrees_with_item_size_at_exactly_the_limit_on::<Rusoto>();
    dynamodb_agrees_with_item_size_at_exactly_the_limit_on::<AwsSdk>();
}

fn dynamodb_agrees_with_item_size_at_exactly_the_limit_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(&endpoint, &dynamodb_local::unique_table_name("exactlimit"))
        .check_item_size(false)
        .build()
        .unwrap();
    backend.create_table_if_missing().unwrap();
    let versions: [u64; 8] = [
        1,
        10,
        110,
        1_100,
        1_234_560,
        99_999_999,
        10_000_001,
        u64::MAX - 1,
    ];
    let times: [i64; 8] = [
        later(),
        later() + 110,
        later() + 1_234_560,
        1_000_000_000_000,
        4_102_444_800,
        later() + 1,
        later() + 99,
        later() + 100,
    ];
    let mut cases = 0;
    for (i, version) in versions.into_iter().enumerate() {
        for (j, time) in times.into_iter().enumerate() {
            // Negative numbers take a byte more; only a foreign crt or a
            // clock before 1970 makes one, and the count must hold anyway.
            let created_at = match (i + j) % 4 {
                0 => None,
                1 => Some(times[(j + 1) % times.len()] - 7_200),
                2 => Some(1_234_560),
                _ => Some(-1_234_567 * (j as i64 + 1)),
            };
            let shell = Record::new(
                version,
                time - (j as i64) * 11,
                time,
                StoredData::Cbor(Vec::new()),
            )
            .created_at(created_at);
            for size in [MAX_ITEM_SIZE, MAX_ITEM_SIZE + 1] {
                let key = key();
                let overhead = item_size(&key, &shell);
                let mut record = shell.clone();
                record.data = StoredData::Cbor(vec![0x5a; size - overhead]);
                assert_eq!(item_size(&key, &record), size);
                let result = backend.create(&key, &record);
                if size == MAX_ITEM_SIZE {
                    assert_eq!(
                        result.unwrap(),
                        CreateOutcome::Created,
                        "{version} {time} {created_at:?}"
                    );
                } else {
                    assert!(
                        matches!(result, Err(BackendError::ItemTooLarge { .. })),
                        "{version} {time} {created_at:?}: {result:?}"
                    );
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 128);
}

#[test]
fn dynamodb_refusing_an_oversized_item_is_item_too_large() {
    let _share = beside_others();
    dynamodb_refusing_an_oversized_item_is_item_too_large_on::<Rusoto>();
    dynamodb_refusing_an_oversized_item_is_item_too_large_on::<AwsSdk>();
}

fn dynamodb_refusing_an_oversized_item_is_item_too_large_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(
        &endpoint,
        &dynamodb_local::unique_table_name("servertoolarge"),
    )
    .check_item_size(false)
    .build()
    .unwrap();
    backend.create_table_if_missing().unwrap();
    let key = key();
    let big = record(1, &vec![1; MAX_ITEM_SIZE + 1]);
    for result in [
        backend.create(&key, &big).map(|_| ()),
        backend.replace(&key, 0, &big).map(|_| ()),
    ] {
        match result {
            Err(BackendError::ItemTooLarge {
                size: None, limit, ..
            }) => {
                assert_eq!(limit, MAX_ITEM_SIZE)
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        None
    );
}

#[test]
fn a_missing_table_is_rejected_with_the_aws_error_as_source() {
    let _share = beside_others();
    a_missing_table_is_rejected_with_the_aws_error_as_source_on::<Rusoto>();
    a_missing_table_is_rejected_with_the_aws_error_as_source_on::<AwsSdk>();
}

fn a_missing_table_is_rejected_with_the_aws_error_as_source_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(&endpoint, &dynamodb_local::unique_table_name("missing"))
        .build()
        .unwrap();
    let key = key();
    let results = [
        backend.load(&key, Consistency::Eventual).map(|_| ()),
        backend.create(&key, &record(1, b"x")).map(|_| ()),
        backend.replace(&key, 1, &record(2, b"x")).map(|_| ()),
        backend.touch(&key, 1, 1, 2).map(|_| ()),
        backend
            .end(&key, &Record::tombstone(now(), DataEncoding::Cbor))
            .map(|_| ()),
    ];
    for result in results {
        match result {
            Err(error @ BackendError::Rejected { .. }) => {
                let source = error.source().expect("keeps the AWS error");
                assert!(
                    format!("{source:?}").contains("ResourceNotFound"),
                    "{source:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_unreachable_endpoint_is_unavailable_after_retries() {
    let _share = beside_others();
    an_unreachable_endpoint_is_unavailable_after_retries_on::<Rusoto>();
    an_unreachable_endpoint_is_unavailable_after_retries_on::<AwsSdk>();
}

fn an_unreachable_endpoint_is_unavailable_after_retries_on<C: TestClient>() {
    // A port nobody listens on: connection refused, a transport error.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let backend = builder_at::<C>(&format!("http://127.0.0.1:{port}"), "unreachable")
        .max_attempts(3)
        .base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    match backend.load(&key(), Consistency::Strong) {
        Err(error @ BackendError::Unavailable { attempts: 3, .. }) => {
            assert!(error.source().is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_endpoint_times_out_per_attempt() {
    let _share = beside_others();
    a_silent_endpoint_times_out_per_attempt_on::<Rusoto>();
    a_silent_endpoint_times_out_per_attempt_on::<AwsSdk>();
}

fn a_silent_endpoint_times_out_per_attempt_on<C: TestClient>() {
    // Accepts connections, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let backend = builder_at::<C>(&format!("http://{address}"), "silent")
        .max_attempts(2)
        .attempt_timeout(Duration::from_millis(200))
        .base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    // `after` is what the caller waited: both attempts, not the last one.
    match backend.touch(&key(), 1, 1, 2) {
        Err(BackendError::Timeout {
            operation: Operation::Touch,
            after,
        }) => {
            assert!(after >= Duration::from_millis(400), "{after:?}");
            assert!(after <= started.elapsed(), "{after:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ----------------------------------------- retries through a faulty proxy

/// A provisioned table reached directly, and a backend reaching it through
/// a fresh proxy with fast retries.
fn behind_proxy<C: TestClient>(
    prefix: &str,
    retry: RetryConfig,
) -> Option<(DynamoDbBackendOn<C>, DynamoDbBackendOn<C>, Proxy)> {
    let endpoint = local()?;
    let table = dynamodb_local::unique_table_name(prefix);
    let direct = builder_at::<C>(&endpoint, &table).build().unwrap();
    direct.create_table_if_missing().unwrap();
    let proxy = Proxy::start(&endpoint);
    let proxied = builder_at::<C>(&proxy.endpoint(), &table)
        .retry(retry)
        .build()
        .unwrap();
    Some((direct, proxied, proxy))
}

fn fast_retries(attempts: u32) -> RetryConfig {
    RetryConfig::DEFAULT
        .max_attempts(attempts)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .attempt_timeout(Duration::from_millis(700))
        .call_timeout(Duration::from_secs(5))
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let _share = beside_others();
    throttling_and_server_errors_are_retried_on::<Rusoto>();
    throttling_and_server_errors_are_retried_on::<AwsSdk>();
}

fn throttling_and_server_errors_are_retried_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("retried", fast_retries(4)) else {
        return;
    };
    let key = key();
    // A create is resent only after certain refusals; after a 5xx it reads
    // instead (`faults_throttling.rs`).
    proxy.inject([THROTTLED, THROUGHPUT, THROTTLED]);
    assert_eq!(
        backend.create(&key, &record(1, b"a")).unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(proxy.requests(), 4);
    assert_eq!(
        direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(record(1, b"a"))
    );

    proxy.inject([UNAVAILABLE, THROTTLED]);
    assert_eq!(
        backend.touch(&key, 1, later(), later() + 1200).unwrap(),
        TouchOutcome::Touched
    );
    proxy.inject([SERVER_ERROR]);
    let _ = backend
        .end(&key, &Record::tombstone(now(), DataEncoding::Cbor))
        .unwrap();
    assert!(direct
        .load(&key, Consistency::Strong)
        .unwrap()
        .into_record()
        .unwrap()
        .is_ended());
    let key = self::key();
    proxy.inject([THROTTLED]);
    assert_eq!(
        backend
            .load(&key, Consistency::Eventual)
            .unwrap()
            .into_record(),
        None
    );
}

#[test]
fn persistent_throttling_is_throttled_and_5xx_unavailable() {
    let _share = beside_others();
    persistent_throttling_is_throttled_and_5xx_unavailable_on::<Rusoto>();
    persistent_throttling_is_throttled_and_5xx_unavailable_on::<AwsSdk>();
}

fn persistent_throttling_is_throttled_and_5xx_unavailable_on<C: TestClient>() {
    let Some((_direct, backend, proxy)) = behind_proxy::<C>("exhausted", fast_retries(3)) else {
        return;
    };
    let key = key();
    proxy.inject([THROTTLED, THROUGHPUT, THROTTLED]);
    match backend.load(&key, Consistency::Strong) {
        Err(error @ BackendError::Throttled { attempts: 3, .. }) => {
            let source = format!("{:?}", error.source().expect("source"));
            assert!(source.contains("ThrottlingException"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    proxy.inject([SERVER_ERROR, UNAVAILABLE, SERVER_ERROR]);
    match backend.touch(&key, 1, 1, 2) {
        Err(BackendError::Unavailable {
            operation: Operation::Touch,
            attempts: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // Access denied is final at once: no retry.
    let before = proxy.requests();
    proxy.inject([Fault::Reply(
        400,
        r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}"#,
    )]);
    assert!(matches!(
        backend.end(&key, &Record::tombstone(now(), DataEncoding::Cbor)),
        Err(BackendError::Rejected {
            operation: Operation::End,
            ..
        })
    ));
    assert_eq!(proxy.requests(), before + 1);
}

#[test]
fn a_create_applied_by_a_timed_out_attempt_is_created_not_already_exists() {
    let _share = beside_others();
    a_create_applied_by_a_timed_out_attempt_is_created_not_already_exists_on::<Rusoto>();
    a_create_applied_by_a_timed_out_attempt_is_created_not_already_exists_on::<AwsSdk>();
}

fn a_create_applied_by_a_timed_out_attempt_is_created_not_already_exists_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("ambiguouscreate", fast_retries(3))
    else {
        return;
    };
    let key = key();
    let ours = record(1, b"ours");
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1500))]);
    assert_eq!(backend.create(&key, &ours).unwrap(), CreateOutcome::Created);
    // Attempt 1 (applied, answer too late), then the strong read that
    // decided: a create is never sent twice.
    assert_eq!(proxy.requests(), 2);
    assert_eq!(
        direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(ours)
    );

    // If the record there is someone else's, it is AlreadyExists after all.
    let key = self::key();
    assert_eq!(
        direct.create(&key, &record(1, b"theirs")).unwrap(),
        CreateOutcome::Created
    );
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1500))]);
    assert_eq!(
        backend.create(&key, &record(1, b"ours")).unwrap(),
        CreateOutcome::AlreadyExists
    );
}

#[test]
fn a_replace_applied_by_a_timed_out_attempt_is_replaced_not_a_conflict() {
    let _share = beside_others();
    a_replace_applied_by_a_timed_out_attempt_is_replaced_not_a_conflict_on::<Rusoto>();
    a_replace_applied_by_a_timed_out_attempt_is_replaced_not_a_conflict_on::<AwsSdk>();
}

fn a_replace_applied_by_a_timed_out_attempt_is_replaced_not_a_conflict_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("ambiguousreplace", fast_retries(3))
    else {
        return;
    };
    let key = key();
    assert_eq!(
        direct.create(&key, &record(1, b"v1")).unwrap(),
        CreateOutcome::Created
    );
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1500))]);
    assert_eq!(
        backend.replace(&key, 1, &record(2, b"v2")).unwrap(),
        ReplaceOutcome::Replaced
    );
    assert_eq!(
        direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(record(2, b"v2"))
    );

    // Someone else's version 3 makes ours a real conflict.
    assert_eq!(
        direct.replace(&key, 2, &record(3, b"theirs")).unwrap(),
        ReplaceOutcome::Replaced
    );
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1500))]);
    assert_eq!(
        backend.replace(&key, 2, &record(3, b"ours")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(
        direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(record(3, b"theirs"))
    );
}

/// A and B load version 1 and write the same data as
/// version 2. B commits; A's first attempt is lost, its retry fails the
/// version check, and the item holds the same version, data and creation
/// time. A did not write it: a conflict, never Ok.
#[test]
fn an_identical_concurrent_write_is_not_taken_for_ours() {
    let _share = beside_others();
    an_identical_concurrent_write_is_not_taken_for_ours_on::<Rusoto>();
    an_identical_concurrent_write_is_not_taken_for_ours_on::<AwsSdk>();
}

fn an_identical_concurrent_write_is_not_taken_for_ours_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("identical", fast_retries(3)) else {
        return;
    };
    let key = key();
    let _ = direct.create(&key, &record(1, b"n=5")).unwrap();
    assert_eq!(
        direct.replace(&key, 1, &record(2, b"n=6")).unwrap(),
        ReplaceOutcome::Replaced
    );
    proxy.inject([Fault::Reset]);
    assert_eq!(
        backend.replace(&key, 1, &record(2, b"n=6")).unwrap(),
        ReplaceOutcome::Conflict
    );
    // The same for a create whose key someone else filled meanwhile.
    let key = self::key();
    let _ = direct.create(&key, &record(1, b"n=5")).unwrap();
    proxy.inject([Fault::Reset]);
    assert_eq!(
        backend.create(&key, &record(1, b"n=5")).unwrap(),
        CreateOutcome::AlreadyExists
    );
}

/// A write applied by a lost attempt, then written over by another request
/// before the check: nothing left proves whether it was ours, so the
/// caller hears that plainly instead of a guess.
#[test]
fn a_write_superseded_before_its_check_is_outcome_unknown() {
    let _share = beside_others();
    a_write_superseded_before_its_check_is_outcome_unknown_on::<Rusoto>();
    a_write_superseded_before_its_check_is_outcome_unknown_on::<AwsSdk>();
}

fn a_write_superseded_before_its_check_is_outcome_unknown_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("superseded", fast_retries(3)) else {
        return;
    };
    let key = key();
    let _ = direct.create(&key, &record(1, b"v1")).unwrap();
    // Attempt 1 is applied; its answer comes after the 700 ms attempt
    // timeout, and meanwhile another request writes version 3 on top.
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1500))]);
    let other = {
        let (direct, key) = (direct.clone(), key);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            direct.replace(&key, 2, &record(3, b"v3")).unwrap()
        })
    };
    let ours = backend.replace(&key, 1, &record(2, b"v2"));
    assert_eq!(other.join().unwrap(), ReplaceOutcome::Replaced);
    assert!(
        matches!(
            ours,
            Err(BackendError::OutcomeUnknown {
                operation: Operation::Replace
            })
        ),
        "{ours:?}"
    );
}

/// At the store: a login's tombstone for the old ID
/// whose first attempt is lost, after another request's logout ended the
/// record. The ended record is not ours: a conflict, never "done".
#[test]
fn a_login_tombstone_after_a_logout_is_a_conflict() {
    let _share = beside_others();
    a_login_tombstone_after_a_logout_is_a_conflict_on::<Rusoto>();
    a_login_tombstone_after_a_logout_is_a_conflict_on::<AwsSdk>();
}

fn a_login_tombstone_after_a_logout_is_a_conflict_on<C: TestClient>() {
    let Some((direct, backend, proxy)) = behind_proxy::<C>("loginlogout", fast_retries(3)) else {
        return;
    };
    let key = key();
    let _ = direct.create(&key, &record(1, b"cart")).unwrap();
    let _ = direct
        .end(&key, &Record::tombstone(now(), DataEncoding::Cbor))
        .unwrap();
    proxy.inject([Fault::Reset]);
    assert_eq!(
        backend
            .replace(&key, 1, &Record::tombstone(now(), DataEncoding::Cbor))
            .unwrap(),
        ReplaceOutcome::Conflict
    );
    // Applied and the answer lost: ours, exactly.
    let key = self::key();
    let _ = direct.create(&key, &record(1, b"cart")).unwrap();
    proxy.inject([Fault::ApplyThenReset]);
    assert_eq!(
        backend
            .replace(&key, 1, &Record::tombstone(now(), DataEncoding::Cbor))
            .unwrap(),
        ReplaceOutcome::Replaced
    );
}

/// The read that decides a lost answer used to start
/// a fresh set of retries, so a call could run about twice its bound. One
/// deadline now covers every attempt, backoff and check.
#[test]
fn one_deadline_covers_every_attempt_and_the_check() {
    let _share = beside_others();
    one_deadline_covers_every_attempt_and_the_check_on::<Rusoto>();
    one_deadline_covers_every_attempt_and_the_check_on::<AwsSdk>();
}

fn one_deadline_covers_every_attempt_and_the_check_on<C: TestClient>() {
    let retry = RetryConfig::DEFAULT
        .max_attempts(10)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .attempt_timeout(Duration::from_millis(300))
        .call_timeout(Duration::from_millis(1000));
    let Some((direct, backend, proxy)) = behind_proxy::<C>("deadline", retry) else {
        return;
    };
    let key = key();
    let _ = direct.create(&key, &record(1, b"v1")).unwrap();
    // Applied with its answer lost, then a condition failure, then every
    // check read too slow.
    proxy.inject([Fault::ApplyThenReset, Fault::Forward]);
    proxy.inject(std::iter::repeat_n(
        Fault::DelayAnswer(Duration::from_millis(600)),
        10,
    ));
    let started = std::time::Instant::now();
    let result = backend.replace(&key, 1, &record(2, b"v2"));
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(BackendError::Timeout { .. })),
        "{result:?}"
    );
    assert!(
        elapsed < Duration::from_millis(1000 + 150),
        "took {elapsed:?} against a 1 s deadline"
    );
    // The write was ours all along; a plain read shows it.
    assert_eq!(
        direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record(),
        Some(record(2, b"v2"))
    );
}

// ------------------------------------------------------------- provisioning

#[test]
fn provisioning_is_idempotent_and_enables_ttl_on_exp() {
    let _share = beside_others();
    provisioning_is_idempotent_and_enables_ttl_on_exp_on::<Rusoto>();
    provisioning_is_idempotent_and_enables_ttl_on_exp_on::<AwsSdk>();
}

fn provisioning_is_idempotent_and_enables_ttl_on_exp_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(&endpoint, &dynamodb_local::unique_table_name("provision"))
        .build()
        .unwrap();
    let first = backend.create_table_if_missing().unwrap();
    assert!(first.table_created && first.ttl_enabled, "{first:?}");
    let again = backend.create_table_if_missing().unwrap();
    assert!(!again.table_created && !again.ttl_enabled, "{again:?}");

    let ttl = block_on(raw().describe_time_to_live(DescribeTimeToLiveInput {
        table_name: backend.table_name().to_owned(),
    }))
    .unwrap()
    .time_to_live_description
    .unwrap();
    assert_eq!(ttl.attribute_name.as_deref(), Some("exp"));
    assert_eq!(ttl.time_to_live_status.as_deref(), Some("ENABLED"));

    // A second backend on the same table, e.g. another server starting.
    let other = builder_at::<C>(&endpoint, backend.table_name())
        .build()
        .unwrap();
    let report = other.create_table_if_missing().unwrap();
    assert!(!report.table_created && !report.ttl_enabled);
}

#[test]
fn provisioning_refuses_a_table_with_another_key_schema() {
    let _share = beside_others();
    provisioning_refuses_a_table_with_another_key_schema_on::<Rusoto>();
    provisioning_refuses_a_table_with_another_key_schema_on::<AwsSdk>();
}

fn provisioning_refuses_a_table_with_another_key_schema_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(&endpoint, &dynamodb_local::unique_table_name("wrongschema"))
        .build()
        .unwrap();
    block_on(raw().create_table(CreateTableInput {
        table_name: backend.table_name().to_owned(),
        billing_mode: Some("PAY_PER_REQUEST".into()),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: "sid".into(),
            attribute_type: "S".into(),
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: "sid".into(),
            key_type: "HASH".into(),
        }],
        ..CreateTableInput::default()
    }))
    .unwrap();
    match backend.create_table_if_missing() {
        Err(ProvisionError::WrongKeySchema { table, found }) => {
            assert_eq!(table, backend.table_name());
            assert_eq!(found, "sid HASH (S)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn provisioning_refuses_ttl_on_another_attribute() {
    let _share = beside_others();
    provisioning_refuses_ttl_on_another_attribute_on::<Rusoto>();
    provisioning_refuses_ttl_on_another_attribute_on::<AwsSdk>();
}

fn provisioning_refuses_ttl_on_another_attribute_on<C: TestClient>() {
    let Some(endpoint) = local() else { return };
    let backend = builder_at::<C>(&endpoint, &dynamodb_local::unique_table_name("otherttl"))
        .build()
        .unwrap();
    create_bare_table(&endpoint, backend.table_name());
    block_on(raw().update_time_to_live(UpdateTimeToLiveInput {
        table_name: backend.table_name().to_owned(),
        time_to_live_specification: TimeToLiveSpecification {
            attribute_name: "expires".into(),
            enabled: true,
        },
    }))
    .unwrap();
    match backend.create_table_if_missing() {
        Err(ProvisionError::TtlOnOtherAttribute { attribute, .. }) => {
            assert_eq!(attribute, "expires")
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------- threads and runtimes

#[test]
fn many_threads_share_one_backend() {
    let _share = beside_others();
    many_threads_share_one_backend_on::<Rusoto>();
    many_threads_share_one_backend_on::<AwsSdk>();
}

fn many_threads_share_one_backend_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("threads") else {
        return;
    };
    const THREADS: usize = 16;
    let barrier = Arc::new(Barrier::new(THREADS));

    // Everyone races to create the same key: exactly one wins.
    let contested = key();
    let winners: usize = (0..THREADS)
        .map(|i| {
            let (backend, barrier) = (backend.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                let mut wins = 0;
                if backend.create(&contested, &record(1, &[i as u8])).unwrap()
                    == CreateOutcome::Created
                {
                    wins += 1;
                }
                // Then a private key each, through every method.
                let own = key();
                assert_eq!(
                    backend.create(&own, &record(1, b"a")).unwrap(),
                    CreateOutcome::Created
                );
                for version in 1..5 {
                    assert_eq!(
                        backend
                            .replace(&own, version, &record(version + 1, b"b"))
                            .unwrap(),
                        ReplaceOutcome::Replaced
                    );
                    assert_eq!(
                        backend
                            .touch(&own, version + 1, later(), later() + 1200)
                            .unwrap(),
                        TouchOutcome::Touched
                    );
                }
                assert_eq!(
                    backend
                        .load(&own, Consistency::Strong)
                        .unwrap()
                        .into_record()
                        .map(|r| r.version),
                    Some(5)
                );
                let _ = backend
                    .end(&own, &Record::tombstone(now(), DataEncoding::Cbor))
                    .unwrap();
                wins
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().expect("thread"))
        .sum();
    assert_eq!(winners, 1);

    // Everyone races to replace version 1 of the contested key: one wins.
    let replaced: usize = (0..THREADS)
        .map(|i| {
            let (backend, barrier) = (backend.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                usize::from(
                    backend
                        .replace(&contested, 1, &record(2, &[i as u8]))
                        .unwrap()
                        == ReplaceOutcome::Replaced,
                )
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().expect("thread"))
        .sum();
    assert_eq!(replaced, 1);
}

#[test]
fn calls_from_inside_a_tokio_runtime_work() {
    let _share = beside_others();
    calls_from_inside_a_tokio_runtime_work_on::<Rusoto>();
    calls_from_inside_a_tokio_runtime_work_on::<AwsSdk>();
}

fn calls_from_inside_a_tokio_runtime_work_on<C: TestClient>() {
    let Some(backend) = fresh::<C>("inruntime") else {
        return;
    };
    let key = key();
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let in_runtime = backend.clone();
    current_thread.block_on(async move {
        assert_eq!(
            in_runtime.create(&key, &record(1, b"x")).unwrap(),
            CreateOutcome::Created
        );
        assert!(in_runtime
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record()
            .is_some());
        assert!(in_runtime.create_table_if_missing().is_ok());
    });
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let in_runtime = backend.clone();
    multi_thread.block_on(async move {
        let task = tokio::spawn(async move {
            let _ = in_runtime
                .end(&key, &Record::tombstone(now(), DataEncoding::Cbor))
                .unwrap();
            // The last handle may be dropped inside a runtime.
            drop(in_runtime);
        });
        task.await.unwrap();
    });
    assert!(backend
        .load(&key, Consistency::Strong)
        .unwrap()
        .into_record()
        .unwrap()
        .is_ended());

    // A backend built and dropped entirely inside a runtime.
    let endpoint = local().unwrap();
    let table = backend.table_name().to_owned();
    multi_thread.block_on(async move {
        let inner = builder_at::<C>(&endpoint, &table).build().unwrap();
        let ended = inner
            .load(&key, Consistency::Eventual)
            .unwrap()
            .into_record();
        assert!(ended.unwrap().is_ended());
        drop(inner);
    });
}

//! Users' sessions on the DynamoDB backend (each client in turn) against
//! DynamoDB Local: the user stamp through every write, the generation item
//! and its conditional increment, the transaction that keeps one session,
//! the listing through the user index, and adding that index to a table
//! made without it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use dynamodb_sessions::dynamodb::{AwsSdk, DynamoDbBackendOn, ProvisionError, Rusoto};
use dynamodb_sessions::store::{
    Backend as _, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
    StorageKey, StoredData, Token, TouchOutcome,
};
use dynamodb_sessions::{BackendError, DataEncoding};
use dynamodb_sessions_core::users::{
    AdvanceOutcome, Keep, Listed, UserRef, UserSessions, UserStamp,
};
use dynamodb_sessions_test_support::dynamodb_local::{self, PrivateDynamoDbLocal};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::raw_table::{
    block_on, create_bare_table, raw_sdk_client, scan_all,
};
use dynamodb_sessions_test_support::{builder_at, ClientHarness, TestClient};

// ---------------------------------------------------------------- helpers

/// A backend on a new table made by `create_table_if_missing`, and the
/// DynamoDB Local endpoint; `None` where DynamoDB Local cannot run.
fn fresh<C: TestClient>() -> Option<(DynamoDbBackendOn<C>, String)> {
    let harness = ClientHarness::<DynamoDbBackendOn<C>>::shared()?;
    let backend = harness.backend_on_new_table("users");
    Some((backend, harness.endpoint().to_owned()))
}

fn key() -> StorageKey {
    Token::generate().expect("random token").storage_key()
}

/// A user no other test uses.
fn user() -> UserRef {
    UserRef::from_bytes(*key().as_bytes())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A record of `user` at `version`, stamped with `generation`; its expiry
/// an hour ahead (DynamoDB Local's TTL removes expired items).
fn stamped(version: u64, user: UserRef, generation: u64) -> Record {
    let now = now();
    Record::new(version, now, now + 3600, StoredData::Cbor(vec![0xa0]))
        .created_at(Some(now))
        .user(Some(UserStamp::new(user, generation, vec![0x5e; 48])))
}

fn create<C: TestClient>(backend: &DynamoDbBackendOn<C>, key: &StorageKey, record: &Record) {
    assert_eq!(backend.create(key, record).unwrap(), CreateOutcome::Created);
}

fn live(outcome: LoadOutcome) -> Record {
    match outcome {
        LoadOutcome::Live(record) => record,
        other => panic!("not live: {other:?}"),
    }
}

/// `user`'s listed keys once the index shows exactly `expected` (it lags
/// the table a little), and how long that took.
fn listed_once_settled<C: TestClient>(
    backend: &DynamoDbBackendOn<C>,
    user: &UserRef,
    expected: &BTreeSet<StorageKey>,
) -> (Vec<Listed>, Duration) {
    let started = Instant::now();
    loop {
        let listed = backend.list(user).expect("list");
        let keys: BTreeSet<StorageKey> = listed.iter().map(|entry| entry.key).collect();
        if keys == *expected {
            return (listed, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}: the index still shows {} of {} keys",
            C::NAME,
            keys.len(),
            expected.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- tests

fn user_stamps_survive_every_write_on<C: TestClient>() {
    let Some((backend, endpoint)) = fresh::<C>() else {
        return;
    };
    let (alice, key) = (user(), key());
    let first = stamped(1, alice, 0);
    create(&backend, &key, &first);
    assert_eq!(
        live(backend.load(&key, Consistency::Strong).unwrap()),
        first
    );

    let second = stamped(2, alice, 1);
    assert_eq!(
        backend.replace(&key, 1, &second).unwrap(),
        ReplaceOutcome::Replaced
    );
    let (generation, loaded) = backend.load_checked(&key, &alice).unwrap();
    assert_eq!((generation, live(loaded)), (0, second.clone()));

    let (issued_at, expires_at) = (second.issued_at + 5, second.expires_at + 5);
    assert_eq!(
        backend.touch(&key, 2, issued_at, expires_at).unwrap(),
        TouchOutcome::Touched
    );
    let touched = live(backend.load(&key, Consistency::Strong).unwrap());
    assert_eq!(
        touched.user,
        second.user,
        "{}: a touch keeps the stamp",
        C::NAME
    );
    assert_eq!(
        (touched.issued_at, touched.expires_at),
        (issued_at, expires_at)
    );

    // A tombstone is a whole new item: no user attributes, out of the index.
    let tombstone = Record::tombstone(now(), DataEncoding::Cbor);
    assert_eq!(backend.end(&key, &tombstone).unwrap(), EndOutcome::Ended);
    let (_, ended) = backend.load_checked(&key, &alice).unwrap();
    match ended {
        LoadOutcome::Ended(record) => assert_eq!(record.user, None),
        other => panic!("{other:?}"),
    }
    let raw = scan_all(&endpoint, backend.table_name());
    let item = raw
        .iter()
        .find(|item| item["sid"].b.as_deref() == Some(&key.as_bytes()[..]))
        .expect("the tombstone");
    assert!(!["usr", "uep", "uin"]
        .iter()
        .any(|name| item.contains_key(*name)));
}

#[test]
fn user_stamps_survive_every_write() {
    let _share = beside_others();
    user_stamps_survive_every_write_on::<Rusoto>();
    user_stamps_survive_every_write_on::<AwsSdk>();
}

fn generations_advance_one_step_at_a_time_on<C: TestClient>() {
    let Some((backend, endpoint)) = fresh::<C>() else {
        return;
    };
    let alice = user();
    assert_eq!(backend.generation(&alice).unwrap(), 0);
    assert_eq!(
        backend.advance(&alice, 0, None).unwrap(),
        AdvanceOutcome::Advanced
    );
    assert_eq!(backend.generation(&alice).unwrap(), 1);
    assert_eq!(
        backend.advance(&alice, 1, None).unwrap(),
        AdvanceOutcome::Advanced
    );
    assert_eq!(backend.generation(&alice).unwrap(), 2);
    for stale in [0, 1, 5] {
        assert_eq!(
            backend.advance(&alice, stale, None).unwrap(),
            AdvanceOutcome::GenerationMoved { current: 2 },
            "{}",
            C::NAME
        );
    }
    assert!(matches!(
        backend.advance(&alice, u64::MAX, None),
        Err(BackendError::Corrupt { .. })
    ));
    // Another user is untouched.
    assert_eq!(backend.generation(&user()).unwrap(), 0);

    // The generation item: 33-byte key, `gen`, nothing else (no `exp`).
    let raw = scan_all(&endpoint, backend.table_name());
    let item = raw
        .iter()
        .find(|item| item["sid"].b.as_deref() == Some(&alice.generation_key()[..]))
        .expect("the generation item");
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["gen", "sid"]);
    assert_eq!(item["gen"].n.as_deref(), Some("2"));
}

#[test]
fn generations_advance_one_step_at_a_time() {
    let _share = beside_others();
    generations_advance_one_step_at_a_time_on::<Rusoto>();
    generations_advance_one_step_at_a_time_on::<AwsSdk>();
}

fn an_advance_keeping_a_session_writes_both_or_neither_on<C: TestClient>() {
    let Some((backend, _)) = fresh::<C>() else {
        return;
    };
    let (alice, kept_key, missing) = (user(), key(), key());
    create(&backend, &kept_key, &stamped(1, alice, 0));

    let kept = stamped(2, alice, 1);
    let keep = |expected_version, record| Keep {
        key: &kept_key,
        expected_version,
        record,
    };
    assert_eq!(
        backend.advance(&alice, 0, Some(keep(1, &kept))).unwrap(),
        AdvanceOutcome::Advanced
    );
    let (generation, loaded) = backend.load_checked(&kept_key, &alice).unwrap();
    assert_eq!((generation, live(loaded)), (1, kept.clone()));

    // The kept record moved on: nothing written.
    let next = stamped(3, alice, 2);
    assert_eq!(
        backend.advance(&alice, 1, Some(keep(1, &next))).unwrap(),
        AdvanceOutcome::KeptChanged,
        "{}",
        C::NAME
    );
    // The generation moved on (and the record with it): nothing written.
    assert_eq!(
        backend.advance(&alice, 0, Some(keep(2, &next))).unwrap(),
        AdvanceOutcome::GenerationMoved { current: 1 },
        "{}",
        C::NAME
    );
    // Both moved on: the generation's answer.
    assert_eq!(
        backend.advance(&alice, 0, Some(keep(1, &next))).unwrap(),
        AdvanceOutcome::GenerationMoved { current: 1 }
    );
    let (generation, loaded) = backend.load_checked(&kept_key, &alice).unwrap();
    assert_eq!(
        (generation, live(loaded)),
        (1, kept.clone()),
        "{}: unchanged",
        C::NAME
    );

    // A kept session that is gone.
    let keep_missing = Keep {
        key: &missing,
        expected_version: 1,
        record: &next,
    };
    assert_eq!(
        backend.advance(&alice, 1, Some(keep_missing)).unwrap(),
        AdvanceOutcome::KeptChanged
    );
    assert_eq!(backend.generation(&alice).unwrap(), 1);
    assert_eq!(
        backend.load(&missing, Consistency::Strong).unwrap(),
        LoadOutcome::Missing
    );
    // A version that does not grow is refused before anything is sent.
    let same = stamped(2, alice, 2);
    assert!(matches!(
        backend.advance(&alice, 1, Some(keep(2, &same))),
        Err(BackendError::Rejected { .. })
    ));
    assert_eq!(backend.generation(&alice).unwrap(), 1);
}

#[test]
fn an_advance_keeping_a_session_writes_both_or_neither() {
    let _share = beside_others();
    an_advance_keeping_a_session_writes_both_or_neither_on::<Rusoto>();
    an_advance_keeping_a_session_writes_both_or_neither_on::<AwsSdk>();
}

/// What DynamoDB Local answers a cancelled transaction, for each client:
/// the reasons, one per action in order, which the backend reads.
#[test]
fn dynamodb_local_names_the_failed_condition() {
    use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, ConditionCheck, TransactWriteItem};
    let _share = beside_others();
    let Some((backend, endpoint)) = fresh::<Rusoto>() else {
        return;
    };
    let table = backend.table_name().to_owned();
    let (present, absent) = (key(), key());
    create(&backend, &present, &stamped(1, user(), 0));
    let check = |key: &StorageKey| {
        let mut item = std::collections::HashMap::new();
        item.insert(
            "sid".to_owned(),
            SdkValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                key.as_bytes().to_vec(),
            )),
        );
        TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name(&table)
                    .set_key(Some(item))
                    .condition_expression("attribute_exists(sid)")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let error = block_on(async {
        raw_sdk_client(&endpoint)
            .transact_write_items()
            .transact_items(check(&present))
            .transact_items(check(&absent))
            .send()
            .await
    })
    .expect_err("the second condition fails");
    let service = error.into_service_error();
    let codes: Vec<Option<String>> = match &service {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
            cancelled,
        ) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code().map(str::to_owned))
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        codes,
        [
            Some("None".to_owned()),
            Some("ConditionalCheckFailed".to_owned())
        ]
    );
    let message = service.meta().message().unwrap_or_default().to_owned();
    assert!(
        message.ends_with("[None, ConditionalCheckFailed]"),
        "rusoto keeps only the message: {message}"
    );
}

fn the_index_lists_a_users_live_records_on<C: TestClient>() -> Duration {
    let Some((backend, _)) = fresh::<C>() else {
        return Duration::ZERO;
    };
    let (alice, bob) = (user(), user());
    let alices: BTreeSet<StorageKey> = (0..3).map(|_| key()).collect();
    for key in &alices {
        create(&backend, key, &stamped(1, alice, 0));
    }
    let bobs = key();
    create(&backend, &bobs, &stamped(1, bob, 0));
    create(
        &backend,
        &key(),
        &Record::new(1, now(), now() + 60, StoredData::Cbor(vec![0xa0])),
    );
    // An ended session of alice's leaves the index with its tombstone.
    let ended = key();
    create(&backend, &ended, &stamped(1, alice, 0));
    assert_eq!(
        backend
            .end(&ended, &Record::tombstone(now(), DataEncoding::Cbor))
            .unwrap(),
        EndOutcome::Ended
    );

    let (listed, lag) = listed_once_settled(&backend, &alice, &alices);
    for entry in &listed {
        assert_eq!(entry.version, 1);
        assert_eq!(entry.stamp, stamped(1, alice, 0).user.unwrap());
        assert!(entry.created_at.is_some() && entry.expires_at > entry.issued_at);
    }
    listed_once_settled(&backend, &bob, &BTreeSet::from([bobs]));
    assert!(backend.list(&user()).unwrap().is_empty());
    lag
}

#[test]
fn the_index_lists_a_users_live_records() {
    let _share = beside_others();
    let lags = [
        the_index_lists_a_users_live_records_on::<Rusoto>(),
        the_index_lists_a_users_live_records_on::<AwsSdk>(),
    ];
    eprintln!("the user index showed new records after {lags:?}");
}

fn the_index_is_added_to_a_table_made_without_it_on<C: TestClient>() {
    // Its own DynamoDB Local: on the shared one, busy with the other tests'
    // tables, an index added to an existing table once stayed CREATING for
    // the whole five-minute wait, while alone it is ACTIVE within a second.
    let Some(local) = PrivateDynamoDbLocal::start().expect("private DynamoDB Local") else {
        return;
    };
    let endpoint = local.endpoint().to_owned();
    let table = dynamodb_local::unique_table_name("users-old");
    let backend = builder_at::<C>(&endpoint, &table).build().unwrap();
    assert!(matches!(
        backend.create_user_index_if_missing(),
        Err(ProvisionError::NoTable { .. })
    ));
    // A table as `create_table_if_missing` made it before the user index.
    create_bare_table(&endpoint, &table);
    let (alice, key) = (user(), key());
    create(&backend, &key, &stamped(1, alice, 0));
    assert_eq!(
        backend.advance(&alice, 0, None).unwrap(),
        AdvanceOutcome::Advanced
    );
    match backend.list(&alice) {
        Err(BackendError::Rejected { source, .. }) => {
            let text = source.to_string();
            assert!(text.contains("usr-index"), "{text}");
            assert!(text.contains("create_user_index_if_missing"), "{text}");
        }
        other => panic!("{}: {other:?}", C::NAME),
    }

    let started = Instant::now();
    assert!(
        backend.create_user_index_if_missing().unwrap(),
        "{}",
        C::NAME
    );
    eprintln!(
        "{}: the user index was added in {:?}",
        C::NAME,
        started.elapsed()
    );
    assert!(!backend.create_user_index_if_missing().unwrap());
    // The index is filled from what the table held.
    listed_once_settled(&backend, &alice, &BTreeSet::from([key]));
    // And `create_table_if_missing` accepts the table as it is.
    assert!(!backend.create_table_if_missing().unwrap().table_created);
}

#[test]
fn the_index_is_added_to_a_table_made_without_it() {
    let _share = beside_others();
    the_index_is_added_to_a_table_made_without_it_on::<Rusoto>();
    the_index_is_added_to_a_table_made_without_it_on::<AwsSdk>();
}

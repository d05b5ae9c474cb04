//! The sweep of expired sessions (`sweep_expired`, for tables without
//! TTL) on both clients against DynamoDB Local: what goes (expired
//! sessions and tombstones past the grace) and what stays (live sessions,
//! the grace, a session used between the scan and the delete, users'
//! generations), paging with a resume cursor, and segments that cover the
//! table exactly once. The harness's tables keep expired items
//! (`keep_expired_items`), as a table without TTL does.

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use dynamodb_sessions::dynamodb::{
    AwsSdk, DynamoDbBackendOn, RetryConfig, Rusoto, SweepOptions, SweepReport,
};
use dynamodb_sessions::store::{
    Backend as _, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Operation, Record,
    StorageKey, StoredData, Token, TouchOutcome,
};
use dynamodb_sessions::{BackendError, DataEncoding};
use dynamodb_sessions_core::users::{AdvanceOutcome, UserRef, UserSessions, UserStamp};
use dynamodb_sessions_test_support::fault_proxy::{Fault, Proxy};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::raw_table::scan_all;
use dynamodb_sessions_test_support::{builder_at, ClientHarness, TestClient};

// ---------------------------------------------------------------- helpers

/// A backend on a new table that keeps expired items, and the DynamoDB
/// Local endpoint; `None` where DynamoDB Local cannot run.
fn fresh<C: TestClient>() -> Option<(DynamoDbBackendOn<C>, String)> {
    let harness = ClientHarness::<DynamoDbBackendOn<C>>::shared()?;
    let backend = harness.backend_on_new_table("sweep");
    Some((backend, harness.endpoint().to_owned()))
}

fn key() -> StorageKey {
    Token::generate().expect("random token").storage_key()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A live record at version 1, issued an hour before `exp`.
fn expiring_at(exp: i64) -> Record {
    Record::new(
        1,
        exp - 3600,
        exp,
        StoredData::Cbor(vec![0xa1, 0x61, 0x6b, 0x01]),
    )
    .created_at(Some(exp - 3600))
}

/// Creates a session under a new key expiring at `exp`.
fn session<C: TestClient>(backend: &DynamoDbBackendOn<C>, exp: i64) -> StorageKey {
    let key = key();
    assert_eq!(
        backend.create(&key, &expiring_at(exp)).expect("create"),
        CreateOutcome::Created
    );
    key
}

/// A session under a new key ended by `tombstone`.
fn ended<C: TestClient>(backend: &DynamoDbBackendOn<C>, tombstone: Record) -> StorageKey {
    let key = session(backend, now() + 3600);
    assert_eq!(
        backend.end(&key, &tombstone).expect("end"),
        EndOutcome::Ended
    );
    key
}

/// The keys of every item of `table`, read beside the backend.
fn stored_keys(endpoint: &str, table: &str) -> BTreeSet<Vec<u8>> {
    scan_all(endpoint, table)
        .into_iter()
        .map(|item| item["sid"].b.clone().expect("a binary key").to_vec())
        .collect()
}

fn bytes(keys: &[&StorageKey]) -> BTreeSet<Vec<u8>> {
    keys.iter().map(|key| key.as_bytes().to_vec()).collect()
}

// ------------------------------------------------ what goes, what stays

#[test]
fn expired_sessions_and_tombstones_go_after_their_grace() {
    let _share = beside_others();
    expired_sessions_and_tombstones_go_after_their_grace_on::<Rusoto>();
    expired_sessions_and_tombstones_go_after_their_grace_on::<AwsSdk>();
}

fn expired_sessions_and_tombstones_go_after_their_grace_on<C: TestClient>() {
    let Some((backend, endpoint)) = fresh::<C>() else {
        return;
    };
    let now = now();
    let live = session(&backend, now + 3600);
    let expired_long_ago = session(&backend, now - 7200);
    let expired_just_now = session(&backend, now - 60);
    // A logout's tombstone now (CBOR: exp an hour ahead) and one made three
    // hours ago (exp two hours past); a JSON tombstone (exp already past).
    let tombstone_now = ended(&backend, Record::tombstone(now, DataEncoding::Cbor));
    let tombstone_old = ended(
        &backend,
        Record::tombstone(now - 3 * 3600, DataEncoding::Cbor),
    );
    let json_tombstone = ended(&backend, Record::tombstone(now, DataEncoding::Json));
    // A user's expired session and the user's generation item (33-byte
    // key, no `exp`), which must never go.
    let user = UserRef::from_bytes(*key().as_bytes());
    let user_session = key();
    let stamped = expiring_at(now - 7200).user(Some(UserStamp::new(user, 0, vec![0x5e; 48])));
    assert_eq!(
        backend.create(&user_session, &stamped).expect("create"),
        CreateOutcome::Created
    );
    assert_eq!(
        backend.advance(&user, 0, None).expect("advance"),
        AdvanceOutcome::Advanced
    );
    let generation = user.generation_key().to_vec();

    // The default grace, an hour: only what expired more than an hour ago.
    let report = backend
        .sweep_expired(SweepOptions::default())
        .expect("sweep");
    assert_eq!(
        (report.scanned, report.deleted, report.kept, report.pages),
        (8, 3, 0, 1),
        "{} {report:?}",
        C::NAME
    );
    assert!(report.cutoff <= now - 3600 + 5, "{report:?}");
    assert!(
        report.read_units.is_some_and(|units| units > 0.0),
        "{report:?}"
    );
    assert!(
        report.write_units.is_some_and(|units| units >= 3.0),
        "{report:?}"
    );
    assert_eq!(report.resume, None);
    let mut expected = bytes(&[&live, &expired_just_now, &tombstone_now, &json_tombstone]);
    expected.insert(generation.clone());
    assert_eq!(
        stored_keys(&endpoint, backend.table_name()),
        expected,
        "{}",
        C::NAME
    );

    // No grace: what expired a moment ago goes too; the live session, the
    // fresh CBOR tombstone and the generation stay.
    let report = backend
        .sweep_expired(SweepOptions::default().grace(Duration::ZERO))
        .expect("sweep");
    assert_eq!((report.scanned, report.deleted, report.kept), (5, 2, 0));
    let mut expected = bytes(&[&live, &tombstone_now]);
    expected.insert(generation);
    assert_eq!(
        stored_keys(&endpoint, backend.table_name()),
        expected,
        "{}",
        C::NAME
    );
    assert!(matches!(
        backend.load(&live, Consistency::Strong).expect("load"),
        LoadOutcome::Live(_)
    ));
    assert!(matches!(
        backend
            .load(&tombstone_now, Consistency::Strong)
            .expect("load"),
        LoadOutcome::Ended(_)
    ));
    assert_eq!(backend.generation(&user).expect("generation"), 1);
    // Swept keys are gone for good: loads find nothing, ends find nothing.
    for gone in [&expired_long_ago, &tombstone_old, &user_session] {
        assert_eq!(
            backend.load(gone, Consistency::Strong).expect("load"),
            LoadOutcome::Missing
        );
    }
    assert_eq!(
        backend
            .end(
                &expired_long_ago,
                &Record::tombstone(now, DataEncoding::Cbor)
            )
            .expect("end"),
        EndOutcome::Missing
    );
}

/// A session used after the scan read it and before its delete: the
/// delete's condition fails and the session stays. The proxy holds the
/// scan's answer back (it was applied: DynamoDB read the item expired)
/// while the session is touched beside it.
#[test]
fn a_session_used_between_scan_and_delete_stays() {
    let _share = beside_others();
    a_session_used_between_scan_and_delete_stays_on::<Rusoto>();
    a_session_used_between_scan_and_delete_stays_on::<AwsSdk>();
}

fn a_session_used_between_scan_and_delete_stays_on<C: TestClient>() {
    let Some((backend, endpoint)) = fresh::<C>() else {
        return;
    };
    let now = now();
    let used = session(&backend, now - 7200);
    let proxy = Proxy::start(&endpoint);
    let patient = RetryConfig::DEFAULT
        .attempt_timeout(Duration::from_secs(20))
        .call_timeout(Duration::from_secs(30));
    let sweeper = builder_at::<C>(&proxy.endpoint(), backend.table_name())
        .retry(patient)
        .build()
        .expect("backend builds");
    proxy.inject([Fault::DelayAnswer(Duration::from_secs(3))]);
    let sweep = thread::spawn(move || sweeper.sweep_expired(SweepOptions::default()));
    let started = Instant::now();
    while proxy.requests() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no scan came");
        thread::sleep(Duration::from_millis(10));
    }
    // The scan is at DynamoDB Local; give it a moment to be answered.
    thread::sleep(Duration::from_millis(800));
    assert_eq!(
        backend.touch(&used, 1, now, now + 3600).expect("touch"),
        TouchOutcome::Touched
    );
    let report = sweep.join().expect("the sweep ran").expect("sweep");
    assert_eq!(
        (report.scanned, report.deleted, report.kept),
        (1, 0, 1),
        "{} {report:?}",
        C::NAME
    );
    match backend.load(&used, Consistency::Strong).expect("load") {
        LoadOutcome::Live(record) => assert_eq!(record.expires_at, now + 3600),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------ pages, segments

/// `expired` sessions past the grace and `live` ones on a fresh table.
fn populated<C: TestClient>(
    expired: usize,
    live: usize,
) -> Option<(DynamoDbBackendOn<C>, String, BTreeSet<Vec<u8>>)> {
    let (backend, endpoint) = fresh::<C>()?;
    let now = now();
    for _ in 0..expired {
        session(&backend, now - 7200);
    }
    let live: Vec<StorageKey> = (0..live).map(|_| session(&backend, now + 3600)).collect();
    let live = live.iter().map(|key| key.as_bytes().to_vec()).collect();
    Some((backend, endpoint, live))
}

#[test]
fn pages_resume_where_the_last_call_stopped() {
    let _share = beside_others();
    pages_resume_where_the_last_call_stopped_on::<Rusoto>();
    pages_resume_where_the_last_call_stopped_on::<AwsSdk>();
}

fn pages_resume_where_the_last_call_stopped_on<C: TestClient>() {
    let Some((backend, endpoint, live)) = populated::<C>(40, 20) else {
        return;
    };
    let mut options = SweepOptions::default().page_size(7).max_pages(2);
    let mut calls = 0;
    let mut total = (0, 0, 0);
    loop {
        let report: SweepReport = backend.sweep_expired(options.clone()).expect("sweep");
        calls += 1;
        assert!(report.pages <= 2, "{report:?}");
        total.0 += report.pages;
        total.1 += report.scanned;
        total.2 += report.deleted;
        match report.resume {
            Some(cursor) => options = options.resume(cursor),
            None => break,
        }
    }
    // 60 items, 7 per page: 9 pages (a tenth, empty, when the last full
    // page ends the table), each item scanned once.
    assert!((9..=10).contains(&total.0), "{} {total:?}", C::NAME);
    assert_eq!((total.1, total.2), (60, 40), "{}", C::NAME);
    assert!(calls >= 5, "{calls}");
    assert_eq!(stored_keys(&endpoint, backend.table_name()), live);
}

#[test]
fn segments_cover_the_table_exactly_once() {
    let _share = beside_others();
    segments_cover_the_table_exactly_once_on::<Rusoto>();
    segments_cover_the_table_exactly_once_on::<AwsSdk>();
}

fn segments_cover_the_table_exactly_once_on<C: TestClient>() {
    let Some((backend, endpoint, live)) = populated::<C>(40, 20) else {
        return;
    };
    // One thread per segment, as a parallel sweep runs.
    let reports: Vec<SweepReport> = (0..4)
        .map(|segment| {
            let backend = backend.clone();
            thread::spawn(move || {
                let options = SweepOptions::default().page_size(5).segment(segment, 4);
                backend.sweep_expired(options).expect("sweep")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().expect("a segment's sweep"))
        .collect();
    let scanned: u64 = reports.iter().map(|r| r.scanned).sum();
    let deleted: u64 = reports.iter().map(|r| r.deleted).sum();
    let kept: u64 = reports.iter().map(|r| r.kept).sum();
    assert_eq!(
        (scanned, deleted, kept),
        (60, 40, 0),
        "{} {reports:?}",
        C::NAME
    );
    assert_eq!(stored_keys(&endpoint, backend.table_name()), live);
}

#[test]
fn a_segment_outside_dynamodbs_limits_is_refused_unsent() {
    let _share = beside_others();
    let Some((backend, _)) = fresh::<Rusoto>() else {
        return;
    };
    for (segment, total) in [(4, 4), (0, 0)] {
        match backend.sweep_expired(SweepOptions::default().segment(segment, total)) {
            Err(BackendError::Rejected {
                operation: Operation::Sweep,
                source,
            }) => assert!(source.to_string().contains("segment"), "{source}"),
            other => panic!("{other:?}"),
        }
    }
}

//! Whether the table is a global table, and in which mode
//! (`check_replication`), on both clients: DynamoDB Local's tables are
//! single-region; global tables' descriptions come from a stand-in endpoint,
//! since DynamoDB Local has no replicas.

use std::sync::atomic::{AtomicUsize, Ordering};

use dynamodb_sessions::dynamodb::{
    AwsSdk, DynamoDbBackendOn, ProvisionError, Rusoto, TableReplication, TransactionsUnsupported,
    TtlStatus,
};
use dynamodb_sessions::store::{Record, StorageKey, StoredData};
use dynamodb_sessions::BackendError;
use dynamodb_sessions_core::users::{Keep, UserRef, UserSessions};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::stand_in::{stand_in, Answer};
use dynamodb_sessions_test_support::{builder_at, ClientHarness, TestClient};

/// A DescribeTable answer for a table with replicas in `regions` and the
/// MultiRegionConsistency `mode` (none when empty).
fn described(regions: &[&str], mode: &str) -> (u16, String) {
    let replicas: Vec<String> = regions
        .iter()
        .map(|region| format!(r#"{{"RegionName":"{region}","ReplicaStatus":"ACTIVE"}}"#))
        .collect();
    let mode = match mode {
        "" => String::new(),
        mode => format!(r#","MultiRegionConsistency":"{mode}""#),
    };
    (
        200,
        format!(
            r#"{{"Table":{{"TableName":"sessions","TableStatus":"ACTIVE","KeySchema":[{{"AttributeName":"sid","KeyType":"HASH"}}],"AttributeDefinitions":[{{"AttributeName":"sid","AttributeType":"B"}}],"Replicas":[{}]{mode}}}}}"#,
            replicas.join(",")
        ),
    )
}

const TWO: [&str; 2] = ["eu-west-1", "us-east-1"];

/// The stand-in's answers, and what each client makes of them: rusoto
/// cannot read the mode (it predates MRSC); the SDK reads it, and no mode
/// said is DynamoDB's default, eventual.
fn cases() -> [(&'static str, Answer, TableReplication, TableReplication); 4] {
    let two = || TWO.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>();
    [
        (
            "eventual",
            |_| described(&TWO, "EVENTUAL"),
            TableReplication::ModeUnknown { regions: two() },
            TableReplication::EventuallyConsistent { regions: two() },
        ),
        (
            "strong",
            |_| described(&TWO, "STRONG"),
            TableReplication::ModeUnknown { regions: two() },
            TableReplication::StronglyConsistent { regions: two() },
        ),
        (
            "no mode said",
            |_| described(&TWO, ""),
            TableReplication::ModeUnknown { regions: two() },
            TableReplication::EventuallyConsistent { regions: two() },
        ),
        (
            "one replica",
            |_| described(&["eu-west-1"], "EVENTUAL"),
            TableReplication::SingleRegion,
            TableReplication::SingleRegion,
        ),
    ]
}

fn verdict<C: TestClient>(endpoint: &str) -> Result<TableReplication, ProvisionError> {
    builder_at::<C>(endpoint, "sessions")
        .build()
        .expect("backend builds")
        .check_replication()
}

#[test]
fn global_tables_are_told_apart_by_their_mode() {
    for (name, answer, rusoto, sdk) in cases() {
        let endpoint = stand_in(answer);
        assert_eq!(
            verdict::<Rusoto>(&endpoint).unwrap(),
            rusoto,
            "rusoto, {name}"
        );
        assert_eq!(
            verdict::<AwsSdk>(&endpoint).unwrap(),
            sdk,
            "aws-sdk, {name}"
        );
    }
    let missing = stand_in(|_| {
        (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"}"#
                .to_owned(),
        )
    });
    assert!(matches!(
        verdict::<Rusoto>(&missing),
        Err(ProvisionError::NoTable { .. })
    ));
    assert!(matches!(
        verdict::<AwsSdk>(&missing),
        Err(ProvisionError::NoTable { .. })
    ));
}

#[test]
fn a_dynamodb_local_table_is_single_region() {
    let _share = beside_others();
    a_dynamodb_local_table_is_single_region_on::<Rusoto>();
    a_dynamodb_local_table_is_single_region_on::<AwsSdk>();
}

fn a_dynamodb_local_table_is_single_region_on<C: TestClient>() {
    let Some(harness) = ClientHarness::<DynamoDbBackendOn<C>>::shared() else {
        return;
    };
    let backend = harness.backend_on_new_table("replication");
    assert_eq!(
        backend.check_replication().unwrap(),
        TableReplication::SingleRegion,
        "{}",
        C::NAME
    );
}

// ------------------------------------------------ strong consistency (MRSC)

/// TTL updates and transactions the MRSC stand-in was sent.
static TTL_UPDATES: AtomicUsize = AtomicUsize::new(0);
static TRANSACTIONS: AtomicUsize = AtomicUsize::new(0);

/// A stand-in for a table in multi-Region strong consistency: DynamoDB
/// refuses TTL and transactions there (the developer guide's
/// `V2globaltables_HowItWorks`; the error it sends is not documented: a
/// `ValidationException` stands for it). Every other request (DescribeTable,
/// and DescribeTimeToLive, whose body is the same) gets the table's
/// description.
fn strong_table(request: &str) -> (u16, String) {
    let refused = |counter: &AtomicUsize| {
        counter.fetch_add(1, Ordering::SeqCst);
        (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"not supported"}"#
                .to_owned(),
        )
    };
    if request.contains("TimeToLiveSpecification") {
        return refused(&TTL_UPDATES);
    }
    if request.contains("TransactItems") {
        return refused(&TRANSACTIONS);
    }
    described(&["us-east-1", "us-east-2", "us-west-2"], "STRONG")
}

/// An advance that keeps a record: what ending a user's other sessions
/// sends.
fn advance_keeping<C: TestClient>(backend: &DynamoDbBackendOn<C>) -> Result<(), BackendError> {
    let record = Record::new(2, 1, 4_000_000_000, StoredData::Cbor(vec![0xa0]));
    let keep = Keep {
        key: &StorageKey::from_bytes([7; 32]),
        expected_version: 1,
        record: &record,
    };
    backend
        .advance(&UserRef::from_bytes([9; 32]), 0, Some(keep))
        .map(|_| ())
}

/// On a table in MRSC, provisioning succeeds without TTL (reported, and
/// said at warn level), and ending a user's other sessions fails typed,
/// never as an unknown outcome: the AWS SDK reads the mode and sends
/// neither a TTL update nor the transaction; rusoto cannot read the mode,
/// sends both, and takes DynamoDB's refusals as "no TTL" and "rejected".
#[test]
fn a_strongly_consistent_table_has_no_ttl_and_no_transactions() {
    let endpoint = stand_in(strong_table);

    let sdk = builder_at::<AwsSdk>(&endpoint, "sessions")
        .build()
        .expect("backend builds");
    let report = sdk.create_table_if_missing().expect("provisioned");
    assert_eq!((report.table_created, report.ttl_enabled), (false, false));
    assert_eq!(report.ttl, TtlStatus::Unavailable);
    assert_eq!(
        TTL_UPDATES.load(Ordering::SeqCst),
        0,
        "the SDK sent a TTL update"
    );
    match advance_keeping(&sdk) {
        Err(BackendError::Rejected { source, .. }) => {
            assert!(
                source.downcast_ref::<TransactionsUnsupported>().is_some(),
                "{source}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        TRANSACTIONS.load(Ordering::SeqCst),
        0,
        "the SDK sent a transaction"
    );

    let rusoto = builder_at::<Rusoto>(&endpoint, "sessions")
        .build()
        .expect("backend builds");
    let report = rusoto.create_table_if_missing().expect("provisioned");
    assert_eq!(report.ttl, TtlStatus::Unavailable);
    assert!(!report.ttl_enabled);
    assert_eq!(TTL_UPDATES.load(Ordering::SeqCst), 1);
    match advance_keeping(&rusoto) {
        Err(BackendError::Rejected { source, .. }) => {
            assert!(
                source.to_string().contains("ValidationException"),
                "{source}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(TRANSACTIONS.load(Ordering::SeqCst), 1);
}

/// A global table whose mode rusoto cannot read, where the TTL update is
/// refused for another reason (here a missing permission): an error, as
/// on any table, not "no TTL here".
fn global_table_without_ttl_permission(request: &str) -> (u16, String) {
    if request.contains("TimeToLiveSpecification") {
        return (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException","message":"no"}"#
                .to_owned(),
        );
    }
    // DescribeTable and DescribeTimeToLive (whose body is the same).
    described(&TWO, "")
}

#[test]
fn only_an_invalid_request_refusal_of_ttl_is_taken_for_strong_consistency() {
    let endpoint = stand_in(global_table_without_ttl_permission);
    let rusoto = builder_at::<Rusoto>(&endpoint, "sessions")
        .build()
        .expect("backend builds");
    match rusoto.create_table_if_missing() {
        Err(ProvisionError::Request { action, .. }) => assert_eq!(action, "UpdateTimeToLive"),
        other => panic!("{other:?}"),
    }
}

/// Whether the stand-in below refused a TTL update already.
static TTL_REFUSED: AtomicUsize = AtomicUsize::new(0);

/// A global table whose mode rusoto cannot read, where TTL was turned on
/// (by another process) between our DescribeTimeToLive and our
/// UpdateTimeToLive, which DynamoDB then refuses as invalid.
fn global_table_ttl_turned_on_meanwhile(request: &str) -> (u16, String) {
    if request.contains("TimeToLiveSpecification") {
        TTL_REFUSED.fetch_add(1, Ordering::SeqCst);
        return (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"TimeToLive is already enabled"}"#
                .to_owned(),
        );
    }
    // DescribeTable and DescribeTimeToLive: one answer holds both.
    let ttl = match TTL_REFUSED.load(Ordering::SeqCst) {
        0 => r#"{"TimeToLiveStatus":"DISABLED"}"#,
        _ => r#"{"TimeToLiveStatus":"ENABLED","AttributeName":"exp"}"#,
    };
    let (status, table) = described(&TWO, "");
    let body = table.strip_suffix('}').expect("a JSON object");
    (status, format!(r#"{body},"TimeToLiveDescription":{ttl}}}"#))
}

#[test]
fn ttl_turned_on_meanwhile_is_on_not_strong_consistency() {
    let endpoint = stand_in(global_table_ttl_turned_on_meanwhile);
    let rusoto = builder_at::<Rusoto>(&endpoint, "sessions")
        .build()
        .expect("backend builds");
    let report = rusoto.create_table_if_missing().expect("provisioned");
    assert_eq!((report.ttl, report.ttl_enabled), (TtlStatus::On, false));
    assert_eq!(TTL_REFUSED.load(Ordering::SeqCst), 1);
}

#[test]
fn a_dynamodb_local_table_has_ttl() {
    let _share = beside_others();
    let Some(harness) = ClientHarness::<DynamoDbBackendOn<AwsSdk>>::shared() else {
        return;
    };
    let backend = harness.backend_on_new_table("replication");
    // The harness turned TTL off after creating the table: on again.
    let report = backend.create_table_if_missing().expect("provisioned");
    assert_eq!((report.ttl, report.ttl_enabled), (TtlStatus::On, true));
    let report = backend.create_table_if_missing().expect("provisioned");
    assert_eq!((report.ttl, report.ttl_enabled), (TtlStatus::On, false));
}

//! Whether the table is a global table, and in which mode
//! (`check_replication`), on both clients: DynamoDB Local's tables are
//! single-region; global tables' descriptions come from a stand-in endpoint,
//! since DynamoDB Local has no replicas.

use dynamodb_sessions::dynamodb::{
    AwsSdk, DynamoDbBackendOn, ProvisionError, Rusoto, TableReplication,
};
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

//! The conformance suite on each DynamoDB client against AWS DynamoDB Local:
//! DynamoDbBackend (rusoto) and AwsSdkBackend (the AWS SDK), its cases and
//! its users' cases. Each run holds a share of the process beside the other
//! tests.

use dynamodb_sessions_conformance::{run_suite, run_user_suite};
use dynamodb_sessions_test_support::machine::BesideOthers;
use dynamodb_sessions_test_support::{AwsSdkHarness, DynamoDbHarness};

#[test]
fn conformance_suite_on_rusoto() {
    run_suite(BesideOthers::new(DynamoDbHarness::shared()));
}

#[test]
fn conformance_suite_on_the_aws_sdk() {
    run_suite(BesideOthers::new(AwsSdkHarness::shared()));
}

#[test]
fn conformance_suite_of_users_on_rusoto() {
    run_user_suite(BesideOthers::new(DynamoDbHarness::shared()));
}

#[test]
fn conformance_suite_of_users_on_the_aws_sdk() {
    run_user_suite(BesideOthers::new(AwsSdkHarness::shared()));
}

//! The conformance suite on each DynamoDB client against AWS DynamoDB Local:
//! DynamoDbBackend (rusoto) and AwsSdkBackend (the AWS SDK).

use dynamodb_sessions_conformance::run_suite;
use dynamodb_sessions_test_support::{AwsSdkHarness, DynamoDbHarness};

#[test]
fn conformance_suite_on_rusoto() {
    run_suite(DynamoDbHarness::shared());
}

#[test]
fn conformance_suite_on_the_aws_sdk() {
    run_suite(AwsSdkHarness::shared());
}

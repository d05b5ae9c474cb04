//! The conformance suite on each DynamoDB client against AWS DynamoDB Local:
//! DynamoDbBackend (rusoto) and AwsSdkBackend (the AWS SDK). Each case holds
//! a share of the process beside the others.

use dynamodb_sessions_conformance::conformance_suite;
use dynamodb_sessions_test_support::machine::BesideOthers;
use dynamodb_sessions_test_support::{AwsSdkHarness, DynamoDbHarness};

mod rusoto {
    use super::*;
    conformance_suite!(BesideOthers::new(DynamoDbHarness::shared()));
}

mod aws_sdk {
    use super::*;
    conformance_suite!(BesideOthers::new(AwsSdkHarness::shared()));
}

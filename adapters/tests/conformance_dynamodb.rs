//! The conformance suite on each DynamoDB client against AWS DynamoDB Local:
//! DynamoDbBackend (rusoto) and AwsSdkBackend (the AWS SDK).

use dynamodb_sessions_conformance::conformance_suite;
use dynamodb_sessions_test_support::{AwsSdkHarness, DynamoDbHarness};

mod rusoto {
    use super::*;
    conformance_suite!(DynamoDbHarness::shared());
}

mod aws_sdk {
    use super::*;
    conformance_suite!(AwsSdkHarness::shared());
}

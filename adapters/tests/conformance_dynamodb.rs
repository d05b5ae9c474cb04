//! The conformance suite on DynamoDbBackend against AWS DynamoDB Local.

use dynamodb_sessions_conformance::conformance_suite;
use dynamodb_sessions_test_support::DynamoDbHarness;

conformance_suite!(DynamoDbHarness::shared());

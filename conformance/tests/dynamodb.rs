//! The conformance suite on DynamoDbBackend against AWS DynamoDB Local.

use dynamodb_sessions_conformance::{conformance_suite, DynamoDbHarness};

conformance_suite!(DynamoDbHarness::shared());

//! The conformance suite on the in-memory backend.

use dynamodb_sessions_test_support::MemoryHarness;

#[test]
fn conformance_suite() {
    dynamodb_sessions_conformance::run_suite(Some(MemoryHarness));
}

#[test]
fn conformance_suite_of_users() {
    dynamodb_sessions_conformance::run_user_suite(Some(MemoryHarness));
}

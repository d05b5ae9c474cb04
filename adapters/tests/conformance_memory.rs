//! The conformance suite on the in-memory backend.

use dynamodb_sessions_conformance::conformance_suite;
use dynamodb_sessions_test_support::MemoryHarness;

conformance_suite!(Some(MemoryHarness));

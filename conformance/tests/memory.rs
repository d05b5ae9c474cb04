//! The conformance suite on the in-memory backend.

use dynamodb_sessions_conformance::{conformance_suite, MemoryHarness};

conformance_suite!(Some(MemoryHarness));

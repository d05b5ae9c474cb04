//! The session state machine, case by case, on the in-memory backend: the
//! conformance suite's session-level cases are core's own specification.

use dynamodb_sessions_conformance::{conformance_suite, MemoryHarness};

conformance_suite!(Some(MemoryHarness));

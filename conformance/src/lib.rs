//! One conformance suite for `dynamodb-sessions` backends.
//!
//! Every backend must pass the same cases: the [`Backend`](dynamodb_sessions_core::store::Backend)
//! contract method by method, then the whole session state machine through
//! the manager on a manual clock, hostile cookies, concurrency, corrupt
//! records, sealed records changed or moved in the store, the store calls
//! each kind of request costs, and the promises of the read cache in front
//! of the backend. A backend that passes behaves like DynamoDB as far as
//! sessions can tell.
//!
//! A backend runs every case from one line in a test, given a [`Harness`]
//! that makes fresh stores: [`run_suite`]. The cases are listed once, in
//! [`cases`]; a failing case is named in the test's failure, and
//! `CONFORMANCE_CASE=name` runs the cases whose name contains `name`.
//!
//! The crate depends on `dynamodb-sessions-core` only, so a backend of your
//! own runs the suite without compiling any DynamoDB client. The harnesses
//! of the two bundled backends live with this repository's own tests.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod backend_cases;
pub mod cache_cases;
pub mod concurrency_cases;
pub mod cookie_cases;
pub mod corruption_cases;
pub mod cost_cases;
pub mod degraded_cases;
pub mod fixture;
mod harness;
mod held_loads;
pub mod interleavings;
mod lagging_reads;
mod lost_answers;
pub mod sealing_cases;
pub mod session_cases;
mod suite;
pub mod turn_cases;

pub use harness::{Corruption, Harness};
pub use lagging_reads::LaggingReads;
pub use suite::{cases, run_suite, Case, CASE_FILTER_ENV};

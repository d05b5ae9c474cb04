//! One conformance suite for `dynamodb-sessions` backends.
//!
//! Every backend must pass the same list of cases, written once. A backend
//! that passes behaves like DynamoDB as far as sessions can tell. The cases
//! cover:
//!
//! - the [`Backend`](dynamodb_sessions_core::store::Backend) contract method
//!   by method: conditional create, replace and touch, end, both read
//!   consistencies, items at exactly 400 KB and one byte over, every byte
//!   value, keys one byte apart, the size limit on touch;
//! - every row of [the state
//!   table](dynamodb_sessions_core::SessionManager#what-commit-writes) through
//!   the manager on a manual clock, and the store calls each kind of request
//!   costs;
//! - idle expiry at exactly `timeout` and one second past, reissue at the
//!   `reissue_time` boundary, the absolute lifetime (set, and the 8-hour
//!   default, at exactly its end and one second past), sessions expiring
//!   mid-request;
//! - logout and replay of the old cookie, login rotation, ending records, a
//!   stale tab's logout after logins, flash and CSRF across requests,
//!   read-your-writes when eventual reads lag, JSON mode;
//! - 31 malformed cookie shapes that each cost no store call, and unknown
//!   IDs never adopted;
//! - 8 threads incrementing one counter with 0 lost updates, an update or a
//!   login racing a logout, writers of one session taking turns;
//! - corrupt records, and sealed records: no secret visible in the stored
//!   bytes, which setting reads sealed, plain and JSON records, plain CBOR
//!   planted straight into the store refused by default, every byte changed,
//!   data swapped, moved to another key or replayed into a newer version,
//!   `exp` moved ahead still ending at `crt` + 8 h, a sealed session at
//!   exactly 400 KB and one byte over;
//! - logouts that stand when their new data cannot be stored, failed
//!   reissues counted;
//! - the read cache's promises (12 cases, with a `ReadCache` in front of the
//!   backend).
//!
//! That is 82 cases, each listed once in [`cases`] (a unit test fails when
//! a case function is missing from the list). A backend that offers
//! [`UserSessions`](dynamodb_sessions_core::users::UserSessions) runs 11 more
//! with [`run_user_suite`] (listed in [`user_cases()`](fn@user_cases)): a user attached at
//! login, the calls of sessions without a user unchanged, ending all of a
//! user's sessions (an in-flight login and a stale tab included), all but
//! this one, one by its handle, the cap, and a lost end that a retry
//! finishes. This
//! repository runs them on `MemoryBackend` and, on DynamoDB Local, on each
//! DynamoDB client. The [`interleavings`] module is the randomized fault ×
//! interleaving checker, which drives the real manager over a backend
//! through faults and races.
//!
//! # Running the suite on your backend
//!
//! Depend on this crate as a dev-dependency (it depends on
//! `dynamodb-sessions-core` only, so it compiles no DynamoDB client),
//! implement [`Harness`] (how to make a fresh, empty store, and how to plant
//! an item broken in a way your backend itself never writes), and call
//! [`run_suite`] from one test: it runs the cases a few at a time and fails
//! naming each case that failed (`CONFORMANCE_CASE=name` runs the cases
//! whose name contains `name`). A backend
//! must also follow the contract's rules that the cases cannot force, such as
//! sending a create at most once per key
//! ([`Backend::create`](dynamodb_sessions_core::store::Backend::create)).
//!
//! ```
//! // tests/conformance.rs
//! use dynamodb_sessions::store::StorageKey;
//! use dynamodb_sessions::testing::MemoryBackendTesting as _; // for insert_corrupt
//! use dynamodb_sessions::MemoryBackend; // your backend here
//! use dynamodb_sessions_conformance::{run_suite, Corruption, Harness};
//!
//! struct MyHarness;
//!
//! impl Harness for MyHarness {
//!     type Backend = MemoryBackend;
//!
//!     fn fresh_backend(&self) -> MemoryBackend {
//!         MemoryBackend::new()
//!     }
//!
//!     fn put_corrupt(&self, backend: &MemoryBackend, key: &StorageKey, corruption: Corruption) {
//!         backend.insert_corrupt(*key, &format!("{corruption:?}"));
//!     }
//! }
//!
//! // In a test file: `#[test] fn conformance() { run_suite(Some(MyHarness)) }`.
//! # fn conformance() {
//! run_suite(Some(MyHarness));
//! # }
//! # fn main() {}
//! ```
//!
//! `None` instead of `Some(harness)` means the backend is not available here
//! (say, its server is not running): every case returns at once, so a
//! harness that returns `None` must say loudly why, and must not in CI.
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
mod lost_answers;
pub mod sealing_cases;
pub mod session_cases;
mod suite;
pub mod turn_cases;
pub mod user_cases;

pub use harness::{Corruption, Harness};
pub use suite::{cases, run_suite, run_user_suite, user_cases, Case, CASE_FILTER_ENV};

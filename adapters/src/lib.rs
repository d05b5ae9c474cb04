//! Storage backends for `dynamodb-sessions`.
//!
//! - [`MemoryBackend`]: an in-memory map with DynamoDB's conditions and size
//!   limit, for tests and single-process deployments.
//! - [`DynamoDbBackend`]: a blocking backend over rusoto's DynamoDB client,
//!   with retries, timeouts and a table-provisioning helper.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod dynamodb;
mod memory;

pub use dynamodb::DynamoDbBackend;
pub use memory::MemoryBackend;

//! Storage backends for `dynamodb-sessions`.
//!
//! - [`MemoryBackend`]: an in-memory map with DynamoDB's conditions and size
//!   limit, for tests and single-process deployments.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod memory;

pub use memory::MemoryBackend;

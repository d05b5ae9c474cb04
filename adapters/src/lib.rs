//! Storage backends for `dynamodb-sessions`.
//!
//! - [`MemoryBackend`]: an in-memory map with DynamoDB's conditions and size
//!   limit, for tests and single-process deployments.
//! - [`DynamoDbBackend`]: a blocking backend over rusoto's DynamoDB client,
//!   with retries, timeouts and a table-provisioning helper.
//!
//! The [`http`] module glues a session manager to blocking HTTP servers:
//! tiny_http with the `tiny-http` feature, rouille with the `rouille`
//! feature.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod dynamodb;
pub mod http;
mod memory;

pub use dynamodb::DynamoDbBackend;
pub use http::{HttpSessions, TrustForwardedProto};
pub use memory::MemoryBackend;

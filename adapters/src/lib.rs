//! Server-side web sessions for blocking Rust servers, stored in Amazon
//! DynamoDB or in memory.
//!
//! An application adds this one crate. The root holds what it uses: a
//! [`SessionManager`] over a backend ([`MemoryBackend`],
//! [`DynamoDbBackend`] with the default `dynamodb` feature, or
//! [`AwsSdkBackend`] with the `aws-sdk` feature), its
//! [`SessionConfig`], the per-request [`Session`], the errors, and the glue
//! for blocking servers ([`HttpSessions`], with the `tiny-http` and
//! `rouille` features). Wrapping the backend in a [`ReadCache`] (off by
//! default) answers a page load's repeated reads without a store call.
//!
//! ```
//! use dynamodb_sessions::Scheme;
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//!
//! let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
//! let mut session = manager.load(Some("session_id=garbage"));
//! let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//! session.insert("visits", &visits)?;
//! let set_cookie = manager.commit(session, Scheme::Https)?;
//! assert!(set_cookie.unwrap().starts_with("session_id="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `dynamodb` | yes | [`DynamoDbBackend`] and the [`dynamodb`] module (rusoto, tokio, hyper) |
//! | `aws-sdk` | no | [`AwsSdkBackend`] in the [`dynamodb`] module (the official AWS SDK for Rust, on the same tokio and hyper) |
//! | `tiny-http` | no | `http::tiny_http` |
//! | `rouille` | no | `http::rouille` |
//!
//! A memory-only build (`default-features = false`) compiles no DynamoDB
//! client. Backend authors implement [`store::Backend`] from the
//! `dynamodb-sessions-core` crate (re-exported here as [`store`]) and check
//! it with `dynamodb-sessions-conformance`; [`testing`] has the helpers for
//! testing session logic.
//!
// Without the feature, the AWS SDK's backend leads to the list of clients.
#![cfg_attr(
    all(feature = "dynamodb", not(feature = "aws-sdk")),
    doc = "[`AwsSdkBackend`]: dynamodb::Client"
)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "dynamodb", feature = "aws-sdk"))]
pub mod dynamodb;
pub mod http;
mod memory;
#[cfg(any(feature = "dynamodb", feature = "aws-sdk"))]
mod table;

#[cfg(feature = "aws-sdk")]
pub use dynamodb::AwsSdkBackend;
#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoDbBackend;
pub use dynamodb_sessions_core::{
    BackendError, CacheSettings, CacheStats, Clock, Coalescing, CommitError, ConfigError,
    DataEncoding, DataProtection, EncodeError, MonotonicClock, Operation, RandomError, ReadCache,
    SameSite, Scheme, Secure, Sequencing, Session, SessionConfig, SessionConfigBuilder,
    SessionError, SessionManager, SessionStats, SystemClock, SystemMonotonicClock,
};
pub use http::{CsrfError, Form, HttpSessions, OnConflict, TrustForwardedProto};
pub use memory::{MemoryBackend, MemoryLimits, WhenFull};

/// What a storage backend implements and uses (the `dynamodb-sessions-core`
/// crate's `store` module).
pub mod store {
    pub use dynamodb_sessions_core::store::*;
}

/// Helpers for testing session logic without AWS: a clock moved by hand, a
/// backend wrapper that counts calls, and [`MemoryBackend`]'s test knobs
/// ([`MemoryBackendTesting`](testing::MemoryBackendTesting): lagging
/// replicas, corrupt items, call counts).
///
/// [`MemoryBackend`]: crate::MemoryBackend
pub mod testing {
    pub use crate::memory::{MemoryBackendTesting, StaleReads};
    pub use dynamodb_sessions_core::testing::*;
}

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

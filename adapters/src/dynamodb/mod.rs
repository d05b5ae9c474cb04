//! The blocking DynamoDB backend, [`DynamoDbBackendOn`], on one of two
//! clients ([`Client`]): [`DynamoDbBackend`] on rusoto (feature `dynamodb`,
//! on by default) and [`AwsSdkBackend`] on the official AWS SDK for Rust
//! (feature `aws-sdk`). Both behave the same, from the same code: only the
//! client that carries the requests differs (see the README's "Which
//! DynamoDB client?").
//!
//! It implements [`Backend`](crate::store::Backend) with one DynamoDB item per
//! session, laid out as pyramid-dynamodb-sessions lays it out, so one table
//! serves both:
//!
//! | attribute | type | meaning |
//! | --- | --- | --- |
//! | `sid` | B, hash key | SHA-256 of the session token |
//! | `ver` | N | version: 1 on create, +1 on every replace |
//! | `iss` | N | unix seconds of the last write or reissue |
//! | `exp` | N | when the session idles out; the table's TTL attribute |
//! | `crt` | N | unix seconds of creation (absent in pyramid's items) |
//! | `dat` | B or S | the data: CBOR as B, or pyramid's JSON as S |
//! | `wid` | B | the identity of the write that stored the item (16 random bytes) |
//!
//! Every write is conditional: `create` is a PutItem with
//! `attribute_not_exists(sid)`, `replace` a PutItem with `ver = :expected`,
//! `touch` an UpdateItem of `iss` and `exp` with `ver = :expected` (it never
//! creates an item), and `end` a PutItem of a tombstone on a live item. No
//! item is ever deleted: versions of a key only grow, so no retried or
//! delayed request can apply late. At run time the backend needs only
//! `dynamodb:GetItem`, `PutItem` and `UpdateItem` on the table;
//! `create_table_if_missing` needs `DescribeTable`,
//! `CreateTable`, `DescribeTimeToLive` and `UpdateTimeToLive` besides.
//!
//! # Threads and runtimes
//!
//! A backend owns one multi-threaded tokio runtime (two workers by
//! default) and is cheap to clone; all clones share the runtime and the
//! client's connection pool. Its methods block the calling thread, and any
//! number of threads may call them at once. Called from inside a tokio
//! runtime (where blocking on another runtime would panic), a method runs
//! its requests on a short-lived helper thread and blocks until they are
//! done: it works, but it blocks that runtime's worker, so async code should
//! prefer `tokio::task::spawn_blocking`.
//!
//! # Failures
//!
//! Throttling, 5xx answers, transport errors and attempts that take longer
//! than the attempt timeout are retried with exponential backoff and full
//! jitter ([`RetryConfig`]); after the last attempt they become
//! [`BackendError::Throttled`](crate::BackendError::Throttled), [`BackendError::Unavailable`](crate::BackendError::Unavailable) or
//! [`BackendError::Timeout`](crate::BackendError::Timeout). An oversized item is
//! [`BackendError::ItemTooLarge`](crate::BackendError::ItemTooLarge), a malformed stored item
//! [`BackendError::Corrupt`](crate::BackendError::Corrupt), anything else [`BackendError::Rejected`](crate::BackendError::Rejected).
//! An error's source says what failed in fixed words — the kind of
//! failure, DynamoDB's error code, the HTTP status, the kind of I/O error —
//! and never carries the client's own text, which may quote the request or
//! the answer (storage keys, `dat`). A request that was never sent (it could
//! not be built, its endpoint not applied, or it could not be signed) is
//! never counted as one that may have been applied.
//!
//! A write whose attempt timed out or failed in transport may have been
//! applied even so. Each write carries a random identity (`wid`); if a retry
//! then fails its condition, the backend reads the item (strongly
//! consistent, within the same deadline) and decides by that identity
//! alone: ours, not ours (and never can be), or — when the item has moved
//! on since — [`BackendError::OutcomeUnknown`](crate::BackendError::OutcomeUnknown). It never guesses from
//! content. One deadline ([`RetryConfig::call_timeout`]) bounds each call.
//!
// Without the feature, the AWS SDK's name leads to the list of clients.
#![cfg_attr(not(feature = "aws-sdk"), doc = "[`AwsSdkBackend`]: Client")]

#[cfg(feature = "aws-sdk")]
mod aws_sdk;
mod backend;
mod build_error;
mod builder;
mod client;
mod client_error;
mod environment;
#[cfg(all(test, feature = "dynamodb"))]
mod fuzz_item;
mod home_regions;
mod names;
mod profile;
#[cfg(feature = "dynamodb")]
mod rusoto;
mod settings;

pub use crate::table::{ProvisionError, ProvisionReport, RetryConfig, TableReplication};
#[cfg(feature = "aws-sdk")]
pub use aws_sdk::AwsSdk;
pub use backend::DynamoDbBackendOn;
pub use build_error::BuildError;
pub use builder::DynamoDbBackendBuilderOn;
pub use client::Client;
pub use home_regions::HomeRegions;
pub use names::{ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB};
#[cfg(feature = "dynamodb")]
pub use rusoto::Rusoto;

/// The backend on rusoto ([`Rusoto`]), the default client: see
/// [`DynamoDbBackendOn`] for its methods and an example.
#[cfg(feature = "dynamodb")]
pub type DynamoDbBackend = DynamoDbBackendOn<Rusoto>;

/// Builds a [`DynamoDbBackend`]; see [`DynamoDbBackendBuilderOn`].
#[cfg(feature = "dynamodb")]
pub type DynamoDbBackendBuilder = DynamoDbBackendBuilderOn<Rusoto>;

/// The backend on the official AWS SDK for Rust ([`AwsSdk`]): see
/// [`DynamoDbBackendOn`] for its methods.
///
/// ```no_run
/// use dynamodb_sessions::store::{Backend, Consistency, LoadOutcome, StorageKey};
/// use dynamodb_sessions::dynamodb::AwsSdkBackend;
///
/// // Region, endpoint and credentials as the AWS SDKs find them.
/// let backend = AwsSdkBackend::new("sessions")?;
/// backend.create_table_if_missing()?;
/// let record = backend.load(&StorageKey::from_bytes([0; 32]), Consistency::Eventual)?;
/// assert_eq!(record, LoadOutcome::Missing);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "aws-sdk")]
pub type AwsSdkBackend = DynamoDbBackendOn<AwsSdk>;

/// Builds an [`AwsSdkBackend`]; see [`DynamoDbBackendBuilderOn`].
#[cfg(feature = "aws-sdk")]
pub type AwsSdkBackendBuilder = DynamoDbBackendBuilderOn<AwsSdk>;

#[cfg(test)]
mod tests {
    #[test]
    fn backends_are_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        #[cfg(feature = "dynamodb")]
        check::<super::DynamoDbBackend>();
        #[cfg(feature = "aws-sdk")]
        check::<super::AwsSdkBackend>();
    }
}

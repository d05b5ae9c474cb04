//! The backend on the official AWS SDK for Rust (feature `aws-sdk`).

mod config;
mod wire;

use std::sync::Arc;

use crate::table::BlockingTable;

pub use config::AwsSdkBackendBuilder;
use wire::SdkWire;

/// Session storage in a DynamoDB table through the official AWS SDK for
/// Rust (`aws-sdk-dynamodb`, configured by `aws-config`), with a blocking
/// API.
///
/// It behaves exactly as [`DynamoDbBackend`](super::DynamoDbBackend) does —
/// the same items, conditions, retries, deadlines, errors and decisions,
/// from the same code — and differs only in the client: the AWS SDKs'
/// configuration chain (SSO, web identity, `role_arn` profiles, ...) and
/// DynamoDB API model. The SDK's own retries and timeouts are off; the
/// [`RetryConfig`](super::RetryConfig) rules alone. See the
/// [module documentation](super) for the item layout, the threading model
/// and how failures are reported.
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
#[derive(Clone)]
pub struct AwsSdkBackend {
    inner: Arc<BlockingTable<SdkWire>>,
    placement: Arc<super::environment::Placement>,
}

super::api::backend_api!(AwsSdkBackend, AwsSdkBackendBuilder);

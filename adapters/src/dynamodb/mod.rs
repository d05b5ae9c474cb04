//! The blocking DynamoDB backend, on rusoto.
//!
//! [`DynamoDbBackend`] implements [`Backend`] with one DynamoDB item per
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
//!
//! Every write is conditional: `create` is a PutItem with
//! `attribute_not_exists(sid)`, `replace` a PutItem with `ver = :expected`,
//! `touch` an UpdateItem of `iss` and `exp` with `attribute_exists(sid)` (it
//! never creates an item); `delete` is an unconditional DeleteItem. At run
//! time the backend needs only `dynamodb:GetItem`, `PutItem`, `UpdateItem`
//! and `DeleteItem` on the table; [`DynamoDbBackend::create_table_if_missing`]
//! needs `DescribeTable`, `CreateTable`, `DescribeTimeToLive` and
//! `UpdateTimeToLive` besides.
//!
//! # Threads and runtimes
//!
//! The backend owns one multi-threaded tokio runtime (two workers by
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
//! [`BackendError::Throttled`], [`BackendError::Unavailable`] or
//! [`BackendError::Timeout`]. An oversized item is
//! [`BackendError::ItemTooLarge`], a malformed stored item
//! [`BackendError::Corrupt`], anything else [`BackendError::Rejected`] with
//! rusoto's error as its source.
//!
//! A `create` or `replace` whose attempt timed out or failed in transport
//! may have been applied even so; if a retry then fails its condition, the
//! backend reads the item (strongly consistent) and reports success when the
//! stored record is the one it wrote, instead of a false conflict.

mod config;
mod error;
#[cfg(test)]
mod fuzz_item;
mod item;
mod provision;
mod retry;

use std::future::Future;
use std::sync::Arc;

use dynamodb_sessions::{
    ensure_item_fits, Backend, BackendError, Consistency, CreateOutcome, DeleteOutcome, Operation,
    Record, ReplaceOutcome, StorageKey, TouchOutcome,
};
use rusoto_dynamodb::{
    DeleteItemInput, DynamoDb, DynamoDbClient, GetItemInput, PutItemInput, UpdateItemInput,
};
use std::collections::HashMap;

pub use config::{
    http_client, BuildError, DynamoDbBackendBuilder, ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB,
};
pub use provision::{ProvisionError, ProvisionReport};
pub use retry::RetryConfig;

use item::{from_item, key_item, number, to_item, EXP, ISS, SID, VER};
use retry::{execute, Stop};

/// Session storage in a DynamoDB table, with a blocking API.
///
/// See the [module documentation](self) for the item layout, the threading
/// model and how failures are reported.
///
/// ```no_run
/// use dynamodb_sessions::{Backend, Consistency, StorageKey};
/// use dynamodb_sessions_adapters::dynamodb::DynamoDbBackend;
///
/// // Region, endpoint and credentials from the environment, as AWS tools
/// // find them.
/// let backend = DynamoDbBackend::new("sessions")?;
/// backend.create_table_if_missing()?;
/// let record = backend.load(&StorageKey::from_bytes([0; 32]), Consistency::Eventual)?;
/// assert!(record.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DynamoDbBackend {
    inner: Arc<Inner>,
}

struct Inner {
    client: DynamoDbClient,
    table_name: String,
    retry: RetryConfig,
    check_item_size: bool,
    runtime: OwnedRuntime,
}

/// The backend's runtime. Dropped without waiting for its tasks, so that
/// dropping the last backend handle is safe even inside another runtime.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    fn new(runtime: tokio::runtime::Runtime) -> Self {
        OwnedRuntime(Some(runtime))
    }

    /// Runs `future` to completion on this runtime, blocking the caller.
    ///
    /// Inside another tokio runtime, `Runtime::block_on` would panic; there
    /// the future is driven from a scoped helper thread instead.
    fn block_on<F>(&self, future: F) -> Result<F::Output, std::io::Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.0.as_ref() else {
            return Err(std::io::Error::other("the backend's runtime is shut down"));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(future));
        }
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("dynamodb-sessions-call".to_owned())
                .spawn_scoped(scope, || runtime.block_on(future))?;
            match helper.join() {
                Ok(output) => Ok(output),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for DynamoDbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbBackend")
            .field("table_name", &self.inner.table_name)
            .field("retry", &self.inner.retry)
            .field("check_item_size", &self.inner.check_item_size)
            .finish_non_exhaustive()
    }
}

impl DynamoDbBackend {
    /// Starts building a backend for `table_name`; see
    /// [`DynamoDbBackendBuilder`] for the settings and their defaults.
    pub fn builder(table_name: impl Into<String>) -> DynamoDbBackendBuilder {
        DynamoDbBackendBuilder::new(table_name)
    }

    /// A backend for `table_name` with region, endpoint and credentials
    /// from the environment (see [`DynamoDbBackendBuilder`]) and default
    /// retries.
    ///
    /// # Errors
    ///
    /// As [`DynamoDbBackendBuilder::build`].
    pub fn new(table_name: impl Into<String>) -> Result<Self, BuildError> {
        Self::builder(table_name).build()
    }

    /// A backend for `table_name` that sends its requests through `client`,
    /// configured by the caller, with default retries.
    ///
    /// # Errors
    ///
    /// As [`DynamoDbBackendBuilder::build`].
    pub fn with_client(
        client: DynamoDbClient,
        table_name: impl Into<String>,
    ) -> Result<Self, BuildError> {
        Self::builder(table_name).client(client).build()
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.inner.table_name
    }

    /// The rusoto client the backend uses.
    pub fn client(&self) -> &DynamoDbClient {
        &self.inner.client
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.retry
    }

    /// Creates the table unless it exists, waits until it is `ACTIVE`, and
    /// enables TTL on `exp` unless it is enabled: on-demand billing
    /// (`PAY_PER_REQUEST`) with `sid` (binary) as the hash key. Safe to call
    /// every time the application starts. Each request is tried once, under
    /// the attempt timeout.
    ///
    /// # Errors
    ///
    /// [`ProvisionError::WrongKeySchema`] when the table exists with another
    /// key, [`ProvisionError::TtlOnOtherAttribute`] when its TTL is on
    /// another attribute, [`ProvisionError::NotActive`] when it does not
    /// become active within five minutes, and
    /// [`ProvisionError::Request`] / [`ProvisionError::Timeout`] when a
    /// request fails.
    pub fn create_table_if_missing(&self) -> Result<ProvisionReport, ProvisionError> {
        let inner = &*self.inner;
        inner
            .runtime
            .block_on(provision::provision(
                &inner.client,
                &inner.table_name,
                inner.retry.attempt_timeout,
            ))
            .map_err(ProvisionError::Thread)?
    }

    /// Runs one backend operation on the runtime.
    fn run<T: Send>(
        &self,
        operation: Operation,
        future: impl Future<Output = Result<T, BackendError>> + Send,
    ) -> Result<T, BackendError> {
        self.inner
            .runtime
            .block_on(future)
            .map_err(|error| BackendError::Unavailable {
                operation,
                attempts: 0,
                source: Box::new(error),
            })?
    }

    fn check_size(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
    ) -> Result<(), BackendError> {
        if !self.inner.check_item_size {
            return Ok(());
        }
        ensure_item_fits(operation, key, record)
    }
}

/// The placeholder names of the attributes in expressions; placeholders
/// keep clear of DynamoDB's reserved words.
fn names(attributes: &[&str]) -> Option<HashMap<String, String>> {
    Some(
        attributes
            .iter()
            .map(|name| (format!("#{name}"), (*name).to_owned()))
            .collect(),
    )
}

/// Whether the stored record is the one we tried to write.
fn is_ours(stored: &Record, ours: &Record) -> bool {
    stored.version == ours.version
        && stored.data == ours.data
        && stored.created_at == ours.created_at
}

impl Inner {
    async fn get(
        &self,
        operation: Operation,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        let input = GetItemInput {
            table_name: self.table_name.clone(),
            key: key_item(key),
            consistent_read: Some(consistency == Consistency::Strong),
            ..GetItemInput::default()
        };
        let output = execute(&self.retry, operation, || {
            self.client.get_item(input.clone())
        })
        .await
        .map_err(|stop| stop_error(operation, stop))?;
        output.item.as_ref().map(from_item).transpose()
    }

    /// After a conditional write failed its condition following an attempt
    /// that may have been applied: whether the stored record is ours.
    async fn wrote_ours(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
    ) -> Result<bool, BackendError> {
        let stored = self.get(operation, key, Consistency::Strong).await?;
        Ok(stored.is_some_and(|stored| is_ours(&stored, record)))
    }
}

/// The error for a stop that is not an expected condition failure.
fn stop_error(operation: Operation, stop: Stop) -> BackendError {
    match stop {
        Stop::Error(error) => error,
        // Only reachable for an operation without a condition.
        Stop::ConditionFailed { .. } => BackendError::Rejected {
            operation,
            source: "unexpected conditional check failure".into(),
        },
    }
}

impl Backend for DynamoDbBackend {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        let inner = &*self.inner;
        self.run(
            Operation::Load,
            inner.get(Operation::Load, key, consistency),
        )
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        let operation = Operation::Create;
        self.check_size(operation, key, record)?;
        let inner = &*self.inner;
        let input = PutItemInput {
            table_name: inner.table_name.clone(),
            item: to_item(operation, key, record)?,
            condition_expression: Some(format!("attribute_not_exists(#{SID})")),
            expression_attribute_names: names(&[SID]),
            ..PutItemInput::default()
        };
        self.run(operation, async {
            match execute(&inner.retry, operation, || {
                inner.client.put_item(input.clone())
            })
            .await
            {
                Ok(_) => Ok(CreateOutcome::Created),
                Err(Stop::ConditionFailed { ambiguous: true })
                    if inner.wrote_ours(operation, key, record).await? =>
                {
                    Ok(CreateOutcome::Created)
                }
                Err(Stop::ConditionFailed { .. }) => Ok(CreateOutcome::AlreadyExists),
                Err(Stop::Error(error)) => Err(error),
            }
        })
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        let operation = Operation::Replace;
        self.check_size(operation, key, record)?;
        let inner = &*self.inner;
        let input = PutItemInput {
            table_name: inner.table_name.clone(),
            item: to_item(operation, key, record)?,
            condition_expression: Some(format!("#{VER} = :expected")),
            expression_attribute_names: names(&[VER]),
            expression_attribute_values: Some(HashMap::from([(
                ":expected".to_owned(),
                number(expected_version),
            )])),
            ..PutItemInput::default()
        };
        self.run(operation, async {
            match execute(&inner.retry, operation, || {
                inner.client.put_item(input.clone())
            })
            .await
            {
                Ok(_) => Ok(ReplaceOutcome::Replaced),
                Err(Stop::ConditionFailed { ambiguous: true })
                    if inner.wrote_ours(operation, key, record).await? =>
                {
                    Ok(ReplaceOutcome::Replaced)
                }
                Err(Stop::ConditionFailed { .. }) => Ok(ReplaceOutcome::Conflict),
                Err(Stop::Error(error)) => Err(error),
            }
        })
    }

    fn touch(
        &self,
        key: &StorageKey,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let operation = Operation::Touch;
        let inner = &*self.inner;
        let input = UpdateItemInput {
            table_name: inner.table_name.clone(),
            key: key_item(key),
            update_expression: Some(format!("SET #{ISS} = :iss, #{EXP} = :exp")),
            condition_expression: Some(format!("attribute_exists(#{SID})")),
            expression_attribute_names: names(&[SID, ISS, EXP]),
            expression_attribute_values: Some(HashMap::from([
                (":iss".to_owned(), number(issued_at)),
                (":exp".to_owned(), number(expires_at)),
            ])),
            ..UpdateItemInput::default()
        };
        self.run(operation, async {
            // Setting the same two numbers again is harmless, so a touch
            // needs no check after an ambiguous attempt.
            match execute(&inner.retry, operation, || {
                inner.client.update_item(input.clone())
            })
            .await
            {
                Ok(_) => Ok(TouchOutcome::Touched),
                Err(Stop::ConditionFailed { .. }) => Ok(TouchOutcome::Missing),
                Err(Stop::Error(error)) => Err(error),
            }
        })
    }

    fn delete(&self, key: &StorageKey) -> Result<(), BackendError> {
        let operation = Operation::Delete;
        let inner = &*self.inner;
        let input = DeleteItemInput {
            table_name: inner.table_name.clone(),
            key: key_item(key),
            ..DeleteItemInput::default()
        };
        self.run(operation, async {
            execute(&inner.retry, operation, || {
                inner.client.delete_item(input.clone())
            })
            .await
            .map(|_| ())
            .map_err(|stop| stop_error(operation, stop))
        })
    }

    fn delete_at_version(
        &self,
        key: &StorageKey,
        expected_version: u64,
    ) -> Result<DeleteOutcome, BackendError> {
        let operation = Operation::Delete;
        let inner = &*self.inner;
        let input = DeleteItemInput {
            table_name: inner.table_name.clone(),
            key: key_item(key),
            condition_expression: Some(format!("#{VER} = :expected")),
            expression_attribute_names: names(&[VER]),
            expression_attribute_values: Some(HashMap::from([(
                ":expected".to_owned(),
                number(expected_version),
            )])),
            ..DeleteItemInput::default()
        };
        self.run(operation, async {
            match execute(&inner.retry, operation, || {
                inner.client.delete_item(input.clone())
            })
            .await
            {
                Ok(_) => Ok(DeleteOutcome::Deleted),
                // An earlier attempt may have deleted it: if the item is
                // gone, the delete has the outcome it was asked for.
                Err(Stop::ConditionFailed { ambiguous: true })
                    if inner
                        .get(operation, key, Consistency::Strong)
                        .await?
                        .is_none() =>
                {
                    Ok(DeleteOutcome::Deleted)
                }
                Err(Stop::ConditionFailed { .. }) => Ok(DeleteOutcome::Conflict),
                Err(Stop::Error(error)) => Err(error),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamodb_sessions::StoredData;

    #[test]
    fn ours_means_same_version_data_and_creation() {
        let ours = Record {
            version: 2,
            issued_at: 10,
            expires_at: 20,
            created_at: Some(1),
            data: StoredData::Cbor(vec![1]),
        };
        // A touch in between changes iss/exp only: still ours.
        let touched = Record {
            issued_at: 11,
            expires_at: 21,
            ..ours.clone()
        };
        assert!(is_ours(&touched, &ours));
        for other in [
            Record {
                version: 3,
                ..ours.clone()
            },
            Record {
                data: StoredData::Cbor(vec![2]),
                ..ours.clone()
            },
            Record {
                created_at: None,
                ..ours.clone()
            },
        ] {
            assert!(!is_ours(&other, &ours));
        }
    }

    #[test]
    fn backends_are_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<DynamoDbBackend>();
    }
}

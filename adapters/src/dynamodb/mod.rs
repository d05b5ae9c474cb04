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
//! | `wid` | B | the identity of the write that stored the item (16 random bytes) |
//!
//! Every write is conditional: `create` is a PutItem with
//! `attribute_not_exists(sid)`, `replace` a PutItem with `ver = :expected`,
//! `touch` an UpdateItem of `iss` and `exp` with `ver = :expected` (it never
//! creates an item), and `end` a PutItem of a tombstone on a live item. No
//! item is ever deleted: versions of a key only grow, so no retried or
//! delayed request can apply late. At run time the backend needs only
//! `dynamodb:GetItem`, `PutItem` and `UpdateItem` on the table;
//! [`DynamoDbBackend::create_table_if_missing`] needs `DescribeTable`,
//! `CreateTable`, `DescribeTimeToLive` and `UpdateTimeToLive` besides.
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
//! A write whose attempt timed out or failed in transport may have been
//! applied even so. Each write carries a random identity (`wid`); if a retry
//! then fails its condition, the backend reads the item (strongly
//! consistent, within the same deadline) and decides by that identity
//! alone: ours, not ours (and never can be), or — when the item has moved
//! on since — [`BackendError::OutcomeUnknown`]. It never guesses from
//! content. One deadline ([`RetryConfig::call_timeout`]) bounds each call.

mod config;
mod error;
#[cfg(test)]
mod fuzz_item;
mod item;
mod outcome;
mod provision;
mod retry;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use dynamodb_sessions_core::{
    store::{
        ensure_item_fits, ensure_version_grows, Backend, Consistency, CreateOutcome, EndOutcome,
        Record, ReplaceOutcome, StorageKey, TouchOutcome,
    },
    BackendError, Operation,
};
use rusoto_dynamodb::{DynamoDb, DynamoDbClient, GetItemInput, PutItemInput, UpdateItemInput};
use std::collections::HashMap;

pub use config::{BuildError, DynamoDbBackendBuilder, ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB};
pub use provision::{ProvisionError, ProvisionReport};
pub use retry::RetryConfig;

use item::{
    binary, from_item, key_item, number, stored_identity, to_item, Item, EXP, ISS, SID, VER, WID,
};
use outcome::{decide, new_write_id, Decision};
use retry::{execute, Stop};

/// Session storage in a DynamoDB table, with a blocking API.
///
/// See the [module documentation](self) for the item layout, the threading
/// model and how failures are reported.
///
/// ```no_run
/// use dynamodb_sessions::store::{Backend, Consistency, StorageKey};
/// use dynamodb_sessions::dynamodb::DynamoDbBackend;
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

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.inner.table_name
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

impl Inner {
    async fn get_item(
        &self,
        operation: Operation,
        key: &StorageKey,
        consistency: Consistency,
        deadline: Instant,
    ) -> Result<Option<Item>, BackendError> {
        let input = GetItemInput {
            table_name: self.table_name.clone(),
            key: key_item(key),
            consistent_read: Some(consistency == Consistency::Strong),
            ..GetItemInput::default()
        };
        let output = execute(&self.retry, operation, deadline, || {
            self.client.get_item(input.clone())
        })
        .await
        .map_err(|stop| stop_error(operation, stop))?;
        Ok(output.item)
    }

    /// A conditional PutItem of `record` under a fresh write identity. On
    /// a failed condition after an attempt that may have been applied, the
    /// item is read (strongly, within the same deadline) and the identity
    /// decides: never the content.
    async fn put(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
        condition: Condition,
        deadline: Instant,
    ) -> Result<Decision, BackendError> {
        let (decision, _) = self
            .put_keeping_check(operation, key, record, condition, deadline)
            .await?;
        Ok(decision)
    }

    /// As [`put`](Self::put), also returning the item the check read, if
    /// one was made (`Some(None)`: the key was empty).
    async fn put_keeping_check(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
        condition: Condition,
        deadline: Instant,
    ) -> Result<(Decision, Option<Option<Item>>), BackendError> {
        let write_id = new_write_id().ok_or(BackendError::Rejected {
            operation,
            source: "the operating system has no random bytes for a write identity".into(),
        })?;
        let mut item = to_item(operation, key, record)?;
        item.insert(WID.to_owned(), binary(&write_id));
        let (expression, names, values) = condition.expression();
        let input = PutItemInput {
            table_name: self.table_name.clone(),
            item,
            condition_expression: Some(expression),
            expression_attribute_names: Some(names),
            expression_attribute_values: values,
            ..PutItemInput::default()
        };
        match execute(&self.retry, operation, deadline, || {
            self.client.put_item(input.clone())
        })
        .await
        {
            Ok(_) => Ok((Decision::Applied, None)),
            Err(Stop::ConditionFailed { ambiguous: false }) => Ok((Decision::NotApplied, None)),
            Err(Stop::ConditionFailed { ambiguous: true }) => {
                let item = self
                    .get_item(operation, key, Consistency::Strong, deadline)
                    .await?;
                let stored = item.as_ref().map(stored_identity).transpose()?;
                let decision = decide(condition.expected(), record.version, &write_id, stored);
                log::debug!("session {operation}: a lost answer decided as {decision:?}");
                Ok((decision, Some(item)))
            }
            Err(Stop::Error(error)) => Err(error),
        }
    }
}

/// What a conditional put requires of the stored item.
#[derive(Debug, Clone, Copy)]
enum Condition {
    /// No item under the key (create).
    Absent,
    /// The item is at this version (replace, or a login's tombstone).
    AtVersion(u64),
    /// A live item: present and not ended (logout).
    Live,
}

impl Condition {
    /// The version the write starts from, if it names one.
    fn expected(self) -> Option<u64> {
        match self {
            Condition::AtVersion(version) => Some(version),
            Condition::Absent | Condition::Live => None,
        }
    }

    /// The condition expression with its placeholders; placeholders keep
    /// clear of DynamoDB's reserved words.
    fn expression(self) -> (String, HashMap<String, String>, Option<Item>) {
        match self {
            Condition::Absent => (
                format!("attribute_not_exists(#{SID})"),
                names(&[SID]),
                None,
            ),
            Condition::AtVersion(version) => (
                format!("#{VER} = :expected"),
                names(&[VER]),
                Some(HashMap::from([(":expected".to_owned(), number(version))])),
            ),
            // A corrupt item without `ver` is ended too.
            Condition::Live => (
                format!("attribute_exists(#{SID}) AND (attribute_not_exists(#{VER}) OR #{VER} <> :ended)"),
                names(&[SID, VER]),
                Some(HashMap::from([(
                    ":ended".to_owned(),
                    number(Record::ENDED_VERSION),
                )])),
            ),
        }
    }
}

fn names(attributes: &[&str]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|name| (format!("#{name}"), (*name).to_owned()))
        .collect()
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

/// A decision the caller must hear as an error: nothing proves either way.
fn known(operation: Operation, decision: Decision) -> Result<bool, BackendError> {
    match decision {
        Decision::Applied => Ok(true),
        Decision::NotApplied => Ok(false),
        Decision::Unknown => Err(BackendError::OutcomeUnknown { operation }),
    }
}

impl Backend for DynamoDbBackend {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        let operation = Operation::Load;
        let deadline = self.inner.retry.deadline();
        let item = self.run(
            operation,
            self.inner.get_item(operation, key, consistency, deadline),
        )?;
        item.as_ref().map(from_item).transpose()
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        let operation = Operation::Create;
        let deadline = self.inner.retry.deadline();
        self.check_size(operation, key, record)?;
        let decision = self.run(
            operation,
            self.inner
                .put(operation, key, record, Condition::Absent, deadline),
        )?;
        Ok(match known(operation, decision)? {
            true => CreateOutcome::Created,
            false => CreateOutcome::AlreadyExists,
        })
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        let operation = Operation::Replace;
        let deadline = self.inner.retry.deadline();
        ensure_version_grows(expected_version, record)?;
        self.check_size(operation, key, record)?;
        let condition = Condition::AtVersion(expected_version);
        let decision = self.run(
            operation,
            self.inner.put(operation, key, record, condition, deadline),
        )?;
        Ok(match known(operation, decision)? {
            true => ReplaceOutcome::Replaced,
            false => ReplaceOutcome::Conflict,
        })
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let operation = Operation::Touch;
        let deadline = self.inner.retry.deadline();
        let inner = &*self.inner;
        let input = UpdateItemInput {
            table_name: inner.table_name.clone(),
            key: key_item(key),
            update_expression: Some(format!("SET #{ISS} = :iss, #{EXP} = :exp")),
            condition_expression: Some(format!("#{VER} = :expected AND #{ISS} < :iss")),
            expression_attribute_names: Some(names(&[VER, ISS, EXP])),
            expression_attribute_values: Some(HashMap::from([
                (":expected".to_owned(), number(expected_version)),
                (":iss".to_owned(), number(issued_at)),
                (":exp".to_owned(), number(expires_at)),
            ])),
            ..UpdateItemInput::default()
        };
        self.run(operation, async {
            match execute(&inner.retry, operation, deadline, || {
                inner.client.update_item(input.clone())
            })
            .await
            {
                Ok(_) => Ok(TouchOutcome::Touched),
                Err(Stop::ConditionFailed { ambiguous: false }) => Ok(TouchOutcome::Conflict),
                // The record moved on after an attempt that may have touched
                // it: a touch leaves no identity to tell.
                Err(Stop::ConditionFailed { ambiguous: true }) => {
                    Err(BackendError::OutcomeUnknown { operation })
                }
                Err(Stop::Error(error)) => Err(error),
            }
        })
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        let operation = Operation::End;
        let deadline = self.inner.retry.deadline();
        self.check_size(operation, key, tombstone)?;
        let inner = &*self.inner;
        self.run(operation, async {
            let (decision, stored) = inner
                .put_keeping_check(operation, key, tombstone, Condition::Live, deadline)
                .await?;
            if decision == Decision::Applied {
                return Ok(EndOutcome::Ended);
            }
            // The condition failed: the record was missing or had ended. A
            // lost answer may hide our own end, which the identity decides.
            let stored = match stored {
                Some(stored) => stored,
                None => {
                    inner
                        .get_item(operation, key, Consistency::Strong, deadline)
                        .await?
                }
            };
            let Some(item) = stored else {
                return Ok(EndOutcome::Missing);
            };
            let record = from_item(&item)?;
            if !record.is_ended() {
                return Err(BackendError::OutcomeUnknown { operation });
            }
            Ok(EndOutcome::AlreadyEnded {
                successor: record.successor,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<DynamoDbBackend>();
    }
}

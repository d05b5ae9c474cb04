//! The storage trait every backend implements, and its typed outcomes.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::{Record, StorageKey};

/// How fresh a read must be.
///
/// The manager reads eventually consistent first (half the cost on DynamoDB)
/// and falls back to a strong read only when the record is missing or older
/// than the cookie says, which gives read-your-writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Consistency {
    /// May return a slightly stale version, or miss a just-created record.
    Eventual,
    /// Returns the latest acknowledged write.
    Strong,
}

/// Result of [`Backend::create`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum CreateOutcome {
    /// The record was written.
    Created,
    /// A record with that key exists; nothing was written.
    AlreadyExists,
}

/// Result of [`Backend::replace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ReplaceOutcome {
    /// The stored version matched and the record was replaced.
    Replaced,
    /// The stored version differs, or the record is gone; nothing was written.
    Conflict,
}

/// Result of [`Backend::delete_at_version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum DeleteOutcome {
    /// The record had the expected version and was deleted.
    Deleted,
    /// The stored version differs, or the record is gone; nothing was deleted.
    Conflict,
}

/// Result of [`Backend::touch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum TouchOutcome {
    /// The record's `iss` and `exp` were updated.
    Touched,
    /// There is no such record; none was created.
    Missing,
}

/// Storage for session records: a small synchronous trait.
///
/// Every write is conditional in the way DynamoDB's conditional writes are,
/// and every condition's outcome is a typed value, never an error and never a
/// silent fallback. There are deliberately no provided methods: a default
/// that, say, emulated `create` with an unconditional put would quietly
/// overwrite sessions.
///
/// Implementations must be safe to call from many threads at once.
///
/// ```
/// use dynamodb_sessions::{Backend, Consistency, CreateOutcome, Record, StoredData, Token};
/// # fn demo(backend: &dyn Backend) -> Result<(), dynamodb_sessions::BackendError> {
/// let key = Token::generate().unwrap().storage_key();
/// let record = Record {
///     version: 1,
///     issued_at: 0,
///     expires_at: 1200,
///     created_at: Some(0),
///     data: StoredData::Cbor(vec![0xa0]),
/// };
/// assert_eq!(backend.create(&key, &record)?, CreateOutcome::Created);
/// assert_eq!(backend.create(&key, &record)?, CreateOutcome::AlreadyExists);
/// assert_eq!(backend.load(&key, Consistency::Strong)?, Some(record));
/// # Ok(()) }
/// ```
pub trait Backend: Send + Sync {
    /// Reads the record stored under `key`, if any.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the store cannot be reached or answers with an
    /// error, and [`BackendError::Corrupt`] when the stored item is not a
    /// well-formed session record.
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError>;

    /// Writes `record` under `key` only if no record exists there.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure, or [`BackendError::ItemTooLarge`] when
    /// the item exceeds 400 KB. An existing record is not an error but
    /// [`CreateOutcome::AlreadyExists`].
    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError>;

    /// Replaces the record under `key` only if its stored version equals
    /// `expected_version`.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure or an oversized item. A version
    /// mismatch, or a missing record, is [`ReplaceOutcome::Conflict`].
    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError>;

    /// Sets `iss` and `exp` of the record under `key`, only if it exists.
    /// A touch never creates a record.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure. A missing record is
    /// [`TouchOutcome::Missing`].
    fn touch(
        &self,
        key: &StorageKey,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError>;

    /// Deletes the record under `key`. Deleting a missing record succeeds.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure.
    fn delete(&self, key: &StorageKey) -> Result<(), BackendError>;

    /// Deletes the record under `key` only if its stored version equals
    /// `expected_version`. A login moves a session with it, so that a session
    /// changed or logged out meanwhile is neither lost nor brought back.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure. A version mismatch, or a missing
    /// record, is [`DeleteOutcome::Conflict`].
    fn delete_at_version(
        &self,
        key: &StorageKey,
        expected_version: u64,
    ) -> Result<DeleteOutcome, BackendError>;
}

/// The backend operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// [`Backend::load`].
    Load,
    /// [`Backend::create`].
    Create,
    /// [`Backend::replace`].
    Replace,
    /// [`Backend::touch`].
    Touch,
    /// [`Backend::delete`] and [`Backend::delete_at_version`].
    Delete,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Load => "load",
            Operation::Create => "create",
            Operation::Replace => "replace",
            Operation::Touch => "touch",
            Operation::Delete => "delete",
        })
    }
}

/// The boxed cause of a backend failure.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// A storage failure. Never contains a token or storage key.
#[derive(Debug)]
#[non_exhaustive]
pub enum BackendError {
    /// The call did not complete within its time limit.
    Timeout {
        /// What was attempted.
        operation: Operation,
        /// The limit that ran out.
        after: Duration,
    },
    /// The store kept refusing for capacity reasons after all retries.
    Throttled {
        /// What was attempted.
        operation: Operation,
        /// How many attempts were made.
        attempts: u32,
        /// The last refusal.
        source: BoxError,
    },
    /// The store could not be reached or failed (transport errors, 5xx),
    /// after all retries.
    Unavailable {
        /// What was attempted.
        operation: Operation,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        source: BoxError,
    },
    /// The store rejected the request: missing permission, missing table,
    /// invalid request. Retrying will not help.
    Rejected {
        /// What was attempted.
        operation: Operation,
        /// The store's answer.
        source: BoxError,
    },
    /// The item would exceed the store's size limit; nothing was written.
    ItemTooLarge {
        /// What was attempted.
        operation: Operation,
        /// The item's size in bytes, when known.
        size: Option<usize>,
        /// The limit in bytes.
        limit: usize,
    },
    /// The stored item is not a well-formed session record (a missing or
    /// wrongly typed attribute).
    Corrupt {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Timeout { operation, after } => {
                write!(f, "session {operation} timed out after {after:?}")
            }
            BackendError::Throttled {
                operation,
                attempts,
                ..
            } => write!(
                f,
                "session {operation} throttled by the store after {attempts} attempts"
            ),
            BackendError::Unavailable {
                operation,
                attempts,
                ..
            } => write!(
                f,
                "session store unavailable for {operation} after {attempts} attempts"
            ),
            BackendError::Rejected { operation, .. } => {
                write!(f, "session store rejected {operation}")
            }
            BackendError::ItemTooLarge {
                operation,
                size: Some(size),
                limit,
            } => write!(
                f,
                "session {operation} refused: item of {size} bytes exceeds {limit} bytes"
            ),
            BackendError::ItemTooLarge {
                operation, limit, ..
            } => write!(f, "session {operation} refused: item exceeds {limit} bytes"),
            BackendError::Corrupt { reason } => {
                write!(f, "stored session record is corrupt: {reason}")
            }
        }
    }
}

impl Error for BackendError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BackendError::Throttled { source, .. }
            | BackendError::Unavailable { source, .. }
            | BackendError::Rejected { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// A shared backend is a backend, so one store can serve several managers.
impl<B: Backend + ?Sized> Backend for std::sync::Arc<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        (**self).load(key, consistency)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        (**self).create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        (**self).replace(key, expected_version, record)
    }

    fn touch(
        &self,
        key: &StorageKey,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        (**self).touch(key, issued_at, expires_at)
    }

    fn delete(&self, key: &StorageKey) -> Result<(), BackendError> {
        (**self).delete(key)
    }

    fn delete_at_version(
        &self,
        key: &StorageKey,
        expected_version: u64,
    ) -> Result<DeleteOutcome, BackendError> {
        (**self).delete_at_version(key, expected_version)
    }
}

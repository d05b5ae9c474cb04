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

/// Result of [`Backend::load`]: what is stored under the key.
///
/// A tombstone is a stored record, but not a session: it comes back as
/// [`Ended`](Self::Ended), never as [`Live`](Self::Live), so that "is there
/// a session?" is a match, not a version check every caller must remember.
///
/// ```
/// use dynamodb_sessions_core::{DataEncoding, store::{LoadOutcome, Record, StoredData}};
///
/// let live = Record::new(1, 0, 1200, StoredData::Cbor(vec![0xa0]));
/// assert_eq!(LoadOutcome::from_stored(Some(live.clone())), LoadOutcome::Live(live));
/// let tombstone = Record::tombstone(0, DataEncoding::Cbor);
/// assert_eq!(LoadOutcome::from_stored(Some(tombstone.clone())), LoadOutcome::Ended(tombstone));
/// assert_eq!(LoadOutcome::from_stored(None), LoadOutcome::Missing);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum LoadOutcome {
    /// There is no record under the key.
    Missing,
    /// A live session's record.
    Live(Record),
    /// An [ended](Record::is_ended) session's record (a tombstone, at
    /// [`Record::ENDED_VERSION`]).
    Ended(Record),
}

impl LoadOutcome {
    /// Classifies what a store holds under a key: nothing, a live record,
    /// or a tombstone (by its version). Backends build their answer with
    /// it, so that none can call a tombstone live.
    pub fn from_stored(stored: Option<Record>) -> LoadOutcome {
        match stored {
            None => LoadOutcome::Missing,
            Some(record) if record.is_ended() => LoadOutcome::Ended(record),
            Some(record) => LoadOutcome::Live(record),
        }
    }

    /// The stored record, live or ended; `None` when missing.
    pub fn into_record(self) -> Option<Record> {
        match self {
            LoadOutcome::Missing => None,
            LoadOutcome::Live(record) | LoadOutcome::Ended(record) => Some(record),
        }
    }
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

/// Result of [`Backend::touch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum TouchOutcome {
    /// The record's `iss` and `exp` were updated.
    Touched,
    /// The stored version differs, or the record is gone; nothing was
    /// written and no record was created.
    Conflict,
}

/// Result of [`Backend::end`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum EndOutcome {
    /// The live record was replaced by the tombstone.
    Ended,
    /// The record had ended already. If a login ended it, `successor` names
    /// the record the session moved to, which a logout then ends too.
    AlreadyEnded {
        /// The [successor](Record::successor) of the stored tombstone.
        successor: Option<StorageKey>,
    },
    /// There is no record under the key; nothing was written.
    Missing,
}

/// Storage for session records: a small synchronous trait.
///
/// Every write is conditional in the way DynamoDB's conditional writes are,
/// and every condition's outcome is a typed value, never an error and never a
/// silent fallback. There are deliberately no provided methods: a default
/// that, say, emulated `create` with an unconditional put would quietly
/// overwrite sessions. A wrapper that changes only some calls implements
/// [`Forward`](crate::store::Forward) instead, whose methods pass every
/// call on by default; references, boxes and `Arc`s of a backend are
/// backends through it.
///
/// # Exact outcomes
///
/// `Ok(outcome)` from a write means exactly that outcome happened: a backend
/// that retries must never report `Replaced` for a write it cannot prove was
/// applied, nor `Conflict` for one that may have been. When it cannot tell
/// (every answer lost, or the record changed again before it could check),
/// it returns an error, and the caller treats the write as possibly applied.
///
/// # Versions never repeat
///
/// A key's record is created at version 1, each replace moves it one up,
/// and ending it moves it to [`Record::ENDED_VERSION`], where it stays until
/// it expires. No record is ever deleted and re-created under the same key
/// by this library, so every condition names a state that, once left, never
/// comes back: a write retried or delayed in the network can never apply
/// late, and the record at a given version was written by exactly one call.
/// The table's TTL may remove an expired item (a tombstone, an idle
/// session) and leave the key free again; only a create's condition holds for a free key, and a create is
/// sent at most once per key (see [`create`](Backend::create)), so nothing
/// written before can land there.
///
/// Implementations must be safe to call from many threads at once.
///
/// ```
/// use dynamodb_sessions_core::store::{Backend, Consistency, CreateOutcome, LoadOutcome, Record, StoredData, Token};
/// # fn demo(backend: &dyn Backend) -> Result<(), dynamodb_sessions_core::BackendError> {
/// let key = Token::generate().unwrap().storage_key();
/// let record = Record::new(1, 0, 1200, StoredData::Cbor(vec![0xa0])).created_at(Some(0));
/// assert_eq!(backend.create(&key, &record)?, CreateOutcome::Created);
/// assert_eq!(backend.create(&key, &record)?, CreateOutcome::AlreadyExists);
/// assert_eq!(backend.load(&key, Consistency::Strong)?, LoadOutcome::Live(record));
/// # Ok(()) }
/// ```
pub trait Backend: Send + Sync {
    /// Reads what is stored under `key`: nothing, a live record, or a
    /// tombstone.
    ///
    /// # For implementors
    ///
    /// Build the answer with [`LoadOutcome::from_stored`] from the item
    /// found (or `None`): it tells a tombstone from a live record by its
    /// version, the same way for every backend.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the store cannot be reached or answers with an
    /// error, and [`BackendError::Corrupt`] when the stored item is not a
    /// well-formed session record.
    fn load(&self, key: &StorageKey, consistency: Consistency)
        -> Result<LoadOutcome, BackendError>;

    /// Writes `record` under `key` only if no record exists there.
    ///
    /// # For implementors
    ///
    /// Send a create at most once per key. An attempt refused for sure
    /// (throttled, never sent) may be tried again, but after one whose
    /// answer was lost (a timeout, a dropped connection, a 5xx) a second
    /// copy must not follow: one copy could make the session and the other,
    /// held up in the network, land after that session ended and the TTL
    /// removed its tombstone, reviving it. Read the key
    /// instead: the record just written (e.g. told by a write identity) is
    /// [`CreateOutcome::Created`], any other record
    /// [`CreateOutcome::AlreadyExists`], and nothing there
    /// [`BackendError::OutcomeUnknown`]. On that error the caller gives the
    /// key up and creates under a new one; nobody ever learns the abandoned
    /// key, so a record that lands there later is never reached and expires.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure, or [`BackendError::ItemTooLarge`] when
    /// the item exceeds 400 KB. An existing record is not an error but
    /// [`CreateOutcome::AlreadyExists`]. [`BackendError::OutcomeUnknown`]
    /// when the only attempt may still be applied.
    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError>;

    /// Replaces the record under `key` only if its stored version equals
    /// `expected_version`. `record` may be a [tombstone](Record::tombstone):
    /// a login ends the session's old ID this way, only at the version it
    /// loaded.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure or an oversized item, and
    /// [`BackendError::Rejected`] if `record.version` is not above
    /// `expected_version` (versions only grow). A version mismatch, or a
    /// missing record, is [`ReplaceOutcome::Conflict`].
    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError>;

    /// Sets `iss` and `exp` of the record under `key`, only if its stored
    /// version equals `expected_version` and its stored `iss` is older than
    /// `issued_at`, so that a touch held up in the network never moves a
    /// session's expiry back. A touch never creates a record.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure, or [`BackendError::ItemTooLarge`] if
    /// the new numbers would push the item over the limit. A version
    /// mismatch, a record touched as late already, or a missing record is
    /// [`TouchOutcome::Conflict`].
    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError>;

    /// Ends the session under `key` (logout): replaces its record with
    /// `tombstone` (an [ended](Record::is_ended) record, see
    /// [`Record::tombstone`]) unless there is no record or it has ended
    /// already. Afterwards no live record is stored under `key`, whoever
    /// ended it; a tombstone is never replaced by this call, so the first
    /// end of a key is the only write that ever puts
    /// [`Record::ENDED_VERSION`] there.
    ///
    /// # Errors
    ///
    /// [`BackendError`] on I/O failure.
    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError>;
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
    /// [`Backend::end`].
    End,
    /// [`UserSessions::load_checked`](crate::users::UserSessions::load_checked).
    LoadChecked,
    /// [`UserSessions::generation`](crate::users::UserSessions::generation).
    Generation,
    /// [`UserSessions::advance`](crate::users::UserSessions::advance).
    Advance,
    /// [`UserSessions::list`](crate::users::UserSessions::list).
    List,
    /// A sweep of expired sessions: a store's own housekeeping, where
    /// nothing removes expired items by itself (DynamoDB's
    /// `sweep_expired`), never a call of the manager's.
    Sweep,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Load => "load",
            Operation::Create => "create",
            Operation::Replace => "replace",
            Operation::Touch => "touch",
            Operation::End => "end",
            Operation::LoadChecked => "checked load",
            Operation::Generation => "generation read",
            Operation::Advance => "generation advance",
            Operation::List => "listing",
            Operation::Sweep => "sweep of expired sessions",
        })
    }
}

/// The boxed cause of a backend failure.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// A storage failure. Never contains a token or storage key.
///
/// From a write, an error means the write may or may not have been applied,
/// whatever the variant says about the last attempt (an earlier attempt
/// whose answer was lost, to a timeout or a dropped connection, may have
/// been applied before a retry was throttled or refused), except where the
/// variant says nothing was written ([`ItemTooLarge`](Self::ItemTooLarge),
/// [`Full`](Self::Full)). Outcomes (`Ok`) are exact: applied, or not
/// applied and never will be.
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
    /// or the request could not be signed (no credentials found), after all
    /// retries.
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
    /// A write may or may not have been applied, and the store could not
    /// tell which: an attempt's answer was lost and the record had already
    /// been changed again (or ended) when the backend looked, or, for a
    /// create, nothing was there yet (the attempt may still land).
    OutcomeUnknown {
        /// What was attempted.
        operation: Operation,
    },
    /// The store holds as many sessions, or bytes, as it is allowed to and
    /// refuses to grow (a bounded in-memory store; DynamoDB has no such
    /// limit). Nothing was written.
    Full {
        /// What was refused.
        operation: Operation,
        /// The limit reached, e.g. `"100000 sessions"`.
        limit: String,
    },
}

impl BackendError {
    /// Whether the store was busy, full or out of reach, so that the same
    /// request may well succeed a moment later: a timeout, throttling, an
    /// unreachable or failing store, or a full one. An HTTP server answers
    /// these with 503 and `Retry-After`, which tells clients and load
    /// balancers to back off instead of treating the server as broken.
    ///
    /// ```
    /// use std::time::Duration;
    /// use dynamodb_sessions_core::{BackendError, store::Operation};
    ///
    /// let busy = BackendError::Timeout { operation: Operation::Load, after: Duration::from_secs(5) };
    /// assert!(busy.is_temporary());
    /// let broken = BackendError::Corrupt { reason: "no ver".into() };
    /// assert!(!broken.is_temporary());
    /// ```
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            BackendError::Timeout { .. }
                | BackendError::Throttled { .. }
                | BackendError::Unavailable { .. }
                | BackendError::Full { .. }
        )
    }
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
            BackendError::OutcomeUnknown { operation } => write!(
                f,
                "session {operation} may or may not have been applied: its answer was lost and the stored record does not tell"
            ),
            BackendError::Full { operation, limit } => {
                write!(f, "session {operation} refused: the store is full ({limit})")
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

/// Refuses a replace that would not move the version up: the outcome of
/// writes is decided on versions that only grow (see [`Backend`]), so a
/// backend must not accept one that stays or goes back. Backends call it in
/// `replace`.
///
/// ```
/// use dynamodb_sessions_core::{DataEncoding, store::{ensure_version_grows, Record}};
///
/// let tombstone = Record::tombstone(0, DataEncoding::Cbor);
/// assert!(ensure_version_grows(3, &tombstone).is_ok());
/// assert!(ensure_version_grows(u64::MAX, &tombstone).is_err());
/// ```
///
/// # Errors
///
/// [`BackendError::Rejected`] when `record.version <= expected_version`.
pub fn ensure_version_grows(expected_version: u64, record: &Record) -> Result<(), BackendError> {
    if record.version > expected_version {
        return Ok(());
    }
    Err(BackendError::Rejected {
        operation: Operation::Replace,
        source: "a replace must move the record's version up".into(),
    })
}

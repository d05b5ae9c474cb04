//! The optional capability a backend offers to hold users' sessions.

use super::{UserRef, UserStamp};
use crate::{Backend, BackendError, LoadOutcome, Record, StorageKey};

/// A backend that can link sessions to users: it keeps one generation
/// number per user and lists a user's sessions. It is optional: a
/// [`Backend`] without it is a complete session store, and only a manager
/// built with [`SessionManager::with_users`](crate::SessionManager::with_users)
/// asks for it.
///
/// How the manager uses it (the contract each method is held to by the
/// conformance suite's user cases):
///
/// - A session record with a user carries the user's generation as it was
///   when they logged in ([`UserStamp::generation`]). It is alive only
///   while that is not below the user's current generation.
/// - Ending every session of a user is one [`advance`](Self::advance) of
///   the generation: O(1) whatever the number of sessions.
/// - A session with a user is loaded with [`load_checked`](Self::load_checked),
///   which reads the generation and then the record, both strongly.
///
/// # For implementors
///
/// - A generation item is never removed: not by expiry, not by a memory
///   bound. Removing one would set the user's generation back to 0 and
///   bring every session it ended back to life.
/// - A [`Record`] with a [`user`](Record::user) is stored with its stamp,
///   and given back with it by every read, including after a
///   [`touch`](Backend::touch) (which leaves it as it is).
/// - No method may answer from a read older than its call, except
///   [`list`](Self::list), which may lag (an index) and says so.
/// - As for [`Backend`], an error means "may or may not have happened";
///   the manager settles it by reading.
pub trait UserSessions: Backend {
    /// `user`'s current generation, then the record under `key`, both read
    /// strongly and in that order: a record written together with a new
    /// generation (see [`advance`](Self::advance)'s `keep`) is then never
    /// seen older than that generation. The generation is 0 for a user
    /// whose generation was never advanced.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when either read fails.
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError>;

    /// `user`'s current generation, read strongly (0 if never advanced).
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the read fails.
    fn generation(&self, user: &UserRef) -> Result<u64, BackendError>;

    /// Moves `user`'s generation from `expected` to `expected + 1`, if it is
    /// still `expected`. With `keep`, in the same atomic write, replaces the
    /// record under `keep.key` by `keep.record` if its version is still
    /// `keep.expected_version`: both or neither.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the write fails or its outcome is unknown.
    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError>;

    /// The records stamped with `user`, live ones at least; ended ones may
    /// be left out. It may lag behind writes by the store's index delay
    /// (DynamoDB's global secondary indexes: typically under a second), so
    /// the manager never decides what is alive from it alone.
    ///
    /// # Errors
    ///
    /// [`BackendError`] when the listing fails.
    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError>;
}

/// The record an [`advance`](UserSessions::advance) writes together with
/// the new generation: the session that stays logged in.
#[derive(Debug, Clone, Copy)]
pub struct Keep<'a> {
    /// Where the kept session is stored.
    pub key: &'a StorageKey,
    /// The version its record must still have.
    pub expected_version: u64,
    /// Its new record (a higher version, stamped with the new generation).
    pub record: &'a Record,
}

/// What an [`advance`](UserSessions::advance) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum AdvanceOutcome {
    /// The generation moved to `expected + 1` (and the kept record was
    /// written).
    Advanced,
    /// The generation was no longer `expected` when this outcome was
    /// decided. Nothing was written by the attempt that decided it; after a
    /// lost answer, the move found may be an earlier attempt of the same
    /// call (the manager then moves it once more, which is as good).
    GenerationMoved {
        /// The generation found.
        current: u64,
    },
    /// Nothing was written: the kept record's version had changed (or it
    /// was gone).
    KeptChanged,
}

/// One record of a user's, as [`list`](UserSessions::list) gives it: what
/// a "your sessions" page shows, without the session's data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listed {
    /// Where the record is stored.
    pub key: StorageKey,
    /// Its version (`ver`).
    pub version: u64,
    /// Its last write or reissue (`iss`).
    pub issued_at: i64,
    /// When it idles out (`exp`).
    pub expires_at: i64,
    /// Its creation (`crt`), if known.
    pub created_at: Option<i64>,
    /// Its user stamp.
    pub stamp: UserStamp,
}

impl Listed {
    /// The listing entry of `record` stored under `key`, or `None` when the
    /// record has no user.
    pub fn of(key: StorageKey, record: &Record) -> Option<Listed> {
        let stamp = record.user.clone()?;
        Some(Listed {
            key,
            version: record.version,
            issued_at: record.issued_at,
            expires_at: record.expires_at,
            created_at: record.created_at,
            stamp,
        })
    }
}

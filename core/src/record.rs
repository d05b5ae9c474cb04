//! What a backend stores for one session.

use crate::users::UserStamp;
use crate::{DataEncoding, StorageKey};

/// A session record as it lives in the store: the attributes of one DynamoDB
/// item except its key.
///
/// | field | attribute | meaning |
/// | --- | --- | --- |
/// | `version` | `ver` (N) | 1 on create, +1 on every replace |
/// | `issued_at` | `iss` (N) | unix seconds of the last write or reissue |
/// | `expires_at` | `exp` (N) | when the session idles out; the table's TTL attribute |
/// | `created_at` | `crt` (N) | unix seconds of creation, for the absolute lifetime |
/// | `data` | `dat` (B or S) | the session's data: sealed CBOR (the default), plain CBOR, or JSON text |
/// | `successor` | `nxt` (B) | for the tombstone a login leaves: where the session moved |
/// | `user` | `usr`, `uep`, `uin` | the session's user, if one is attached ([`UserStamp`]) |
///
/// Attributes may be added in later versions, so a record is built with
/// [`Record::new`] and the `with_*` methods; its fields stay public to read
/// and change.
///
/// ```
/// use dynamodb_sessions_core::store::{Record, StoredData};
///
/// let record = Record::new(1, 1_700_000_000, 1_700_001_200, StoredData::Cbor(vec![0xa0]))
///     .created_at(Some(1_700_000_000));
/// assert_eq!(record.data.len(), 1);
/// assert_eq!(record.successor, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// Optimistic-locking version (`ver`).
    pub version: u64,
    /// Unix seconds of the last write or reissue (`iss`).
    pub issued_at: i64,
    /// Unix seconds after which the session is expired (`exp`).
    pub expires_at: i64,
    /// Unix seconds of the session's creation (`crt`). pyramid-dynamodb-sessions
    /// does not write it, so it may be missing.
    pub created_at: Option<i64>,
    /// The encoded session data (`dat`).
    pub data: StoredData,
    /// For the tombstone a login leaves under the session's old ID: the
    /// storage key of the record the session moved to (`nxt`), so that the
    /// login can tell its own tombstone from a logout's after a lost answer,
    /// and a logout through the old ID can follow the session. Never a
    /// token: it opens nothing. `None` for every other record.
    pub successor: Option<StorageKey>,
    /// The session's user, for a session a user logged in to
    /// ([`Session::set_user`](crate::Session::set_user)); `None` for every
    /// other record, tombstones included.
    pub user: Option<UserStamp>,
}

impl Record {
    /// A record of this `version`, last written (or reissued) at `issued_at`
    /// and idling out after `expires_at` (unix seconds), holding `data`; no
    /// creation time and no successor.
    pub fn new(version: u64, issued_at: i64, expires_at: i64, data: StoredData) -> Record {
        Record {
            version,
            issued_at,
            expires_at,
            created_at: None,
            data,
            successor: None,
            user: None,
        }
    }

    /// This record with its user stamp set, or cleared by `None`.
    #[must_use]
    pub fn user(mut self, user: Option<UserStamp>) -> Record {
        self.user = user;
        self
    }

    /// This record with its creation time (`crt`) set, or cleared by `None`.
    #[must_use]
    pub fn created_at(mut self, created_at: Option<i64>) -> Record {
        self.created_at = created_at;
        self
    }

    /// This record with its successor (`nxt`) set, or cleared by `None`.
    #[must_use]
    pub fn successor(mut self, successor: Option<StorageKey>) -> Record {
        self.successor = successor;
        self
    }

    /// The version of an ended session's record (a tombstone). No write
    /// follows it: it cannot be put in a cookie's successor, and
    /// [`Backend::end`](crate::store::Backend::end) never replaces it.
    pub const ENDED_VERSION: u64 = u64::MAX;

    /// How long a tombstone written in [`DataEncoding::Cbor`] stays before
    /// the table's TTL may remove it: an hour, so that a stale tab's logout
    /// can still follow a login's [`successor`](Self::successor) and a login
    /// whose answer was lost can still find its own tombstone. Nothing else
    /// rests on it: this library recognises a tombstone by its version,
    /// whatever its `exp`, and never sends a create twice to one key (see
    /// [`Backend::create`](crate::store::Backend::create)), so a key freed
    /// by TTL is never written again.
    ///
    /// In [`DataEncoding::Json`] (a table shared with
    /// pyramid-dynamodb-sessions) a tombstone expires at once instead: see
    /// [`tombstone`](Self::tombstone).
    pub const TOMBSTONE_SECS: i64 = 3600;

    /// The record that ends a session at `now` (unix seconds): no data,
    /// [`ENDED_VERSION`](Self::ENDED_VERSION), and no
    /// [`successor`](Self::successor) (a login sets it). Its `dat` is an
    /// empty map in `encoding`.
    ///
    /// Its `exp` depends on `encoding`:
    ///
    /// - In [`DataEncoding::Cbor`], [`TOMBSTONE_SECS`](Self::TOMBSTONE_SECS)
    ///   after `now`.
    /// - In [`DataEncoding::Json`], one second before `now`, already past:
    ///   pyramid-dynamodb-sessions knows nothing of ended versions and takes
    ///   any item as a live session unless `exp < time()`: with an `exp`
    ///   still ahead it would serve a replayed stale cookie an empty
    ///   session under the ended ID, and its next write would revive that
    ///   ID at a version (2^64) this library cannot read. A past `exp`
    ///   makes it start a new session under a new ID, as for any expired
    ///   one. The table's TTL may then remove the tombstone early, which
    ///   costs only what [`TOMBSTONE_SECS`](Self::TOMBSTONE_SECS) describes.
    ///
    /// ```
    /// use dynamodb_sessions_core::{DataEncoding, store::Record};
    ///
    /// let tombstone = Record::tombstone(1_700_000_000, DataEncoding::Cbor);
    /// assert!(tombstone.is_ended());
    /// assert_eq!(tombstone.expires_at, 1_700_003_600);
    ///
    /// let shared = Record::tombstone(1_700_000_000, DataEncoding::Json);
    /// assert!(shared.is_ended());
    /// assert_eq!(shared.expires_at, 1_699_999_999);
    /// ```
    pub fn tombstone(now: i64, encoding: DataEncoding) -> Record {
        let (expires_at, data) = match encoding {
            DataEncoding::Cbor => (
                now.saturating_add(Self::TOMBSTONE_SECS),
                StoredData::Cbor(vec![0xa0]),
            ),
            DataEncoding::Json => (now.saturating_sub(1), StoredData::Json("{}".to_owned())),
        };
        Record {
            version: Self::ENDED_VERSION,
            issued_at: now,
            expires_at,
            created_at: None,
            data,
            successor: None,
            user: None,
        }
    }

    /// Whether this record marks an ended session (logout, or the old ID
    /// of a login): it loads as no session.
    pub fn is_ended(&self) -> bool {
        self.version == Self::ENDED_VERSION
    }
}

/// Encoded session data, tagged with its encoding so that each backend can
/// store it in the matching attribute type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredData {
    /// CBOR bytes (ciborium), stored as binary (`B`). What this library
    /// writes: by default sealed (a `0x1c` format byte, a 24-byte nonce,
    /// the encrypted map and a 16-byte tag, which only the session's token
    /// opens), else a plain CBOR map. Backends store the bytes as they are.
    Cbor(Vec<u8>),
    /// JSON text, stored as a string (`S`): what pyramid-dynamodb-sessions writes.
    Json(String),
}

impl StoredData {
    /// Size of the encoded value in bytes, as DynamoDB counts it.
    pub fn len(&self) -> usize {
        match self {
            StoredData::Cbor(bytes) => bytes.len(),
            StoredData::Json(text) => text.len(),
        }
    }

    /// Whether the encoded value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

//! Errors of the session API, one enum per kind of call.

use std::error::Error;
use std::fmt;

use crate::BackendError;

/// Why a session could not be read or changed during a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// Loading the session from the store failed.
    Load(BackendError),
    /// A value could not be converted to the session's data model.
    Encode {
        /// The session key being written.
        key: String,
        /// The serializer's complaint.
        source: ciborium::value::Error,
    },
    /// A stored value does not have the requested type. The deserializer's
    /// own message is not kept: it quotes the value, which may be a secret
    /// such as the CSRF token.
    Decode {
        /// The session key being read.
        key: String,
        /// The type that was requested.
        expected: &'static str,
    },
    /// The operating system could not provide random bytes (for a CSRF token).
    Random(getrandom::Error),
    /// The session writes JSON ([`DataEncoding::Json`](crate::DataEncoding))
    /// and JSON cannot hold this value exactly.
    NotJson {
        /// The session key being written.
        key: String,
        /// What JSON cannot hold, e.g. "a byte string".
        reason: &'static str,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Load(_) => f.write_str("could not load the session"),
            SessionError::Encode { key, .. } => {
                write!(f, "could not store session value {key:?}")
            }
            SessionError::Decode { key, expected } => {
                write!(f, "session value {key:?} is not a {expected}")
            }
            SessionError::Random(_) => f.write_str("no random bytes for a CSRF token"),
            SessionError::NotJson { key, reason } => {
                write!(
                    f,
                    "session value {key:?} holds {reason}, which JSON cannot store"
                )
            }
        }
    }
}

impl Error for SessionError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SessionError::Load(e) => Some(e),
            SessionError::Encode { source, .. } => Some(source),
            SessionError::Decode { .. } | SessionError::NotJson { .. } => None,
            SessionError::Random(e) => Some(e),
        }
    }
}

/// Why a session could not be committed. In every case the stored record is
/// as it was before the commit, except where a variant says otherwise.
#[derive(Debug)]
#[non_exhaustive]
pub enum CommitError {
    /// Another request changed or ended the session since it was loaded.
    /// Nothing was written; reload and redo the change to retry.
    Conflict,
    /// The session passed its idle timeout or absolute lifetime while the
    /// request ran, and the request changed it (or logged in). Nothing was
    /// written: an expired session's data is never written again, not even
    /// under a new ID. Reload (the session is then new) and redo the change.
    Expired,
    /// The session's item would exceed the store's limit. Nothing was written.
    TooLarge {
        /// The item's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Every freshly drawn session ID already existed. With 256-bit IDs this
    /// points at a broken random source or a broken backend.
    IdCollision {
        /// How many IDs were tried.
        attempts: u32,
    },
    /// The session data could not be encoded.
    Encode(ciborium::ser::Error<std::io::Error>),
    /// The operating system could not provide random bytes for a new ID.
    Random(getrandom::Error),
    /// The session writes JSON and a value (for example one loaded from a
    /// CBOR record) is one JSON cannot hold. Nothing was written.
    NotJson {
        /// The top-level session key holding the value.
        key: String,
        /// What JSON cannot hold, e.g. "a byte string".
        reason: &'static str,
    },
    /// The store failed, and the write that failed may or may not have been
    /// applied. If the commit makes several writes (logout then new data, or
    /// a login), the earlier ones happened; a login whose last step is
    /// unknown leaves the data in the old record or the new one, never in
    /// neither.
    Backend(BackendError),
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitError::Conflict => {
                f.write_str("session was changed by another request since it was loaded")
            }
            CommitError::Expired => {
                f.write_str("session expired while the request ran; nothing was written")
            }
            CommitError::TooLarge { size, limit } => write!(
                f,
                "session of {size} bytes exceeds the store's limit of {limit} bytes"
            ),
            CommitError::IdCollision { attempts } => {
                write!(f, "{attempts} new session IDs in a row already existed")
            }
            CommitError::Encode(_) => f.write_str("could not encode the session data"),
            CommitError::Random(_) => f.write_str("no random bytes for a new session ID"),
            CommitError::NotJson { key, reason } => {
                write!(
                    f,
                    "session value {key:?} holds {reason}, which JSON cannot store"
                )
            }
            CommitError::Backend(_) => f.write_str("could not save the session"),
        }
    }
}

impl Error for CommitError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            CommitError::Encode(e) => Some(e),
            CommitError::Random(e) => Some(e),
            CommitError::Backend(e) => Some(e),
            _ => None,
        }
    }
}

impl From<BackendError> for CommitError {
    fn from(error: BackendError) -> Self {
        CommitError::Backend(error)
    }
}

//! Errors of the session API, one enum per kind of call.

use std::error::Error;
use std::fmt;

use crate::BackendError;

/// A value that could not be encoded: the encoder's message.
///
/// The encoder's own error type is kept private, so that updating the
/// encoder cannot change this crate's API. Its message is the cause's; the
/// value itself is never quoted.
#[derive(Debug)]
pub struct EncodeError(Box<dyn Error + Send + Sync + 'static>);

impl EncodeError {
    pub(crate) fn new(cause: impl Error + Send + Sync + 'static) -> Self {
        EncodeError(Box::new(cause))
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for EncodeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// The operating system could not provide random bytes, or what it gave
/// was plainly not random (every session ID of a long run of draws fell
/// outside the key slots asked for).
///
/// The random source's own error type is kept private, so that updating it
/// cannot change this crate's API.
#[derive(Debug)]
pub struct RandomError(RandomFailure);

/// What went wrong with the random source.
#[derive(Debug)]
enum RandomFailure {
    /// The operating system refused.
    Os(getrandom::Error),
    /// Every draw of a bounded number fell outside the key slots asked
    /// for: never the case of a working source (see
    /// [`Token::generate_in`](crate::store::Token::generate_in)).
    OutsideSlots {
        /// How many tokens were drawn.
        draws: u32,
    },
}

impl RandomError {
    pub(crate) fn new(cause: getrandom::Error) -> Self {
        RandomError(RandomFailure::Os(cause))
    }

    pub(crate) fn outside_slots(draws: u32) -> Self {
        RandomError(RandomFailure::OutsideSlots { draws })
    }

    /// The operating system's error code (`errno` on Unix), if the failure
    /// came with one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match &self.0 {
            RandomFailure::Os(cause) => cause.raw_os_error(),
            RandomFailure::OutsideSlots { .. } => None,
        }
    }
}

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            RandomFailure::Os(cause) => fmt::Display::fmt(cause, f),
            RandomFailure::OutsideSlots { draws } => write!(
                f,
                "{draws} random session IDs in a row fell outside the key slots asked for: \
                 the random source is broken"
            ),
        }
    }
}

impl Error for RandomError {}

/// Why a session could not be read or changed during a request.
///
/// Its `Display` names the cause too (e.g. "could not load the session:
/// session load timed out after 2s"), so printing the error alone is enough
/// for a log line; the cause is also its [`source`](Error::source).
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
        source: EncodeError,
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
    Random(RandomError),
    /// The session writes JSON ([`DataEncoding::Json`](crate::DataEncoding))
    /// and JSON cannot hold this value exactly.
    NotJson {
        /// The session key being written.
        key: String,
        /// What JSON cannot hold, e.g. "a byte string".
        reason: &'static str,
    },
    /// A call about the session's user failed (see [`crate::users`]).
    Users(crate::users::UsersError),
}

impl SessionError {
    /// Whether loading failed because the store was busy, full or out of
    /// reach ([`BackendError::is_temporary`]): worth a 503 and a retry.
    pub fn is_temporary(&self) -> bool {
        matches!(self, SessionError::Load(error) if error.is_temporary())
    }

    /// A value under `key` that the serializer refused.
    pub(crate) fn encode(key: &str, cause: impl Error + Send + Sync + 'static) -> Self {
        SessionError::Encode {
            key: key.to_owned(),
            source: EncodeError::new(cause),
        }
    }

    /// No random bytes for a CSRF token.
    pub(crate) fn random(cause: getrandom::Error) -> Self {
        SessionError::Random(RandomError::new(cause))
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Load(e) => write!(f, "could not load the session: {e}"),
            SessionError::Encode { key, source } => {
                write!(f, "could not store session value {key:?}: {source}")
            }
            SessionError::Decode { key, expected } => {
                write!(f, "session value {key:?} is not a {expected}")
            }
            SessionError::Random(e) => write!(f, "no random bytes for a CSRF token: {e}"),
            SessionError::NotJson { key, reason } => {
                write!(
                    f,
                    "session value {key:?} holds {reason}, which JSON cannot store"
                )
            }
            SessionError::Users(e) => write!(f, "session user: {e}"),
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
            SessionError::Users(e) => Some(e),
        }
    }
}

/// Why a session could not be committed. In every case the stored record is
/// as it was before the commit, except where a variant says otherwise.
///
/// Its `Display` names the cause too (e.g. "could not save the session:
/// session store unavailable for replace after 3 attempts"); the cause is
/// also its [`source`](Error::source).
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
    Encode(EncodeError),
    /// The operating system could not provide random bytes for a new ID or
    /// for the nonce that seals the data.
    Random(RandomError),
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
    /// The session was loaded by another [`SessionManager`](crate::SessionManager)
    /// (not a clone of this one), whose store and settings it belongs to.
    /// Nothing was written; commit a session through the manager that
    /// loaded it.
    OtherManager,
}

impl CommitError {
    /// Whether the store was busy, full or out of reach
    /// ([`BackendError::is_temporary`]): worth a 503, and a retry once the
    /// user has seen the session as it is now, since a write whose answer
    /// was lost may have been applied even so. A
    /// [`Conflict`](Self::Conflict) is not temporary: nothing was written,
    /// and the request must be redone on the session as it is now.
    pub fn is_temporary(&self) -> bool {
        matches!(self, CommitError::Backend(error) if error.is_temporary())
    }

    /// The session data could not be encoded.
    pub(crate) fn encode(cause: impl Error + Send + Sync + 'static) -> Self {
        CommitError::Encode(EncodeError::new(cause))
    }
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
            CommitError::Encode(e) => write!(f, "could not encode the session data: {e}"),
            CommitError::Random(e) => {
                write!(f, "no random bytes for a new session ID or nonce: {e}")
            }
            CommitError::NotJson { key, reason } => {
                write!(
                    f,
                    "session value {key:?} holds {reason}, which JSON cannot store"
                )
            }
            CommitError::Backend(e) => write!(f, "could not save the session: {e}"),
            CommitError::OtherManager => {
                f.write_str("session was loaded by another session manager; nothing was written")
            }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Operation;

    #[test]
    fn display_names_the_cause_and_source_keeps_it() {
        let load = SessionError::Load(BackendError::Timeout {
            operation: Operation::Load,
            after: Duration::from_secs(2),
        });
        assert_eq!(
            load.to_string(),
            "could not load the session: session load timed out after 2s"
        );
        assert!(load.source().unwrap().is::<BackendError>());

        let save = CommitError::Backend(BackendError::Unavailable {
            operation: Operation::Replace,
            attempts: 3,
            source: "connection refused".into(),
        });
        assert_eq!(
            save.to_string(),
            "could not save the session: session store unavailable for replace after 3 attempts"
        );
        assert!(save.source().unwrap().is::<BackendError>());
    }

    #[test]
    fn only_a_busy_full_or_unreachable_store_is_temporary() {
        let timeout = || BackendError::Timeout {
            operation: Operation::Load,
            after: Duration::from_secs(2),
        };
        let full = || BackendError::Full {
            operation: Operation::Create,
            limit: "1 sessions".into(),
        };
        assert!(SessionError::Load(timeout()).is_temporary());
        assert!(CommitError::Backend(full()).is_temporary());
        assert!(!CommitError::Conflict.is_temporary());
        assert!(!CommitError::Backend(BackendError::OutcomeUnknown {
            operation: Operation::Replace
        })
        .is_temporary());
        assert!(!SessionError::Load(BackendError::Rejected {
            operation: Operation::Load,
            source: "no such table".into(),
        })
        .is_temporary());
    }

    #[test]
    fn foreign_causes_are_wrapped_in_our_types() {
        let encode = CommitError::encode(std::io::Error::other("disk full"));
        assert_eq!(
            encode.to_string(),
            "could not encode the session data: disk full"
        );
        assert!(encode.source().unwrap().is::<EncodeError>());

        let random = CommitError::Random(RandomError::new(getrandom::Error::UNSUPPORTED));
        assert!(random
            .to_string()
            .starts_with("no random bytes for a new session ID or nonce: "));
        let cause = random.source().unwrap().downcast_ref::<RandomError>();
        assert_eq!(cause.unwrap().raw_os_error(), None);
    }
}

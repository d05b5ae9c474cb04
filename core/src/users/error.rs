//! What can go wrong with a user's sessions.

use std::error::Error;
use std::fmt;

use crate::BackendError;

/// Why a call on a user's sessions failed. Like every error of this crate,
/// its text holds no user id, token or data.
#[derive(Debug)]
#[non_exhaustive]
pub enum UsersError {
    /// The manager was built without users
    /// ([`SessionManager::with_users`](crate::SessionManager::with_users)).
    NotEnabled,
    /// The session has no user (nobody logged in, or its user's sessions
    /// were ended meanwhile): nothing to list or keep.
    NoUser,
    /// Every session of the user was ended by another call while this one
    /// ran, this one included: the user must log in again.
    EndedElsewhere,
    /// The current session was written by another request meanwhile;
    /// nothing was ended. Reload and try again.
    Conflict,
    /// The handle names none of this user's sessions; nothing was ended.
    UnknownHandle,
    /// The store's answer was lost and reading back could not tell whether
    /// the sessions were ended. Calling again finishes it.
    OutcomeUnknown,
    /// The store failed.
    Backend(BackendError),
}

impl fmt::Display for UsersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsersError::NotEnabled => f.write_str("this session manager was built without users"),
            UsersError::NoUser => f.write_str("the session has no user"),
            UsersError::EndedElsewhere => {
                f.write_str("the user's sessions, this one included, were ended by another call")
            }
            UsersError::Conflict => f.write_str("the session changed meanwhile; nothing was ended"),
            UsersError::UnknownHandle => f.write_str("no session of this user has that handle"),
            UsersError::OutcomeUnknown => f.write_str(
                "ending the sessions may or may not have been applied; call again to finish it",
            ),
            UsersError::Backend(error) => write!(f, "session store failed: {error}"),
        }
    }
}

impl Error for UsersError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            UsersError::Backend(error) => Some(error),
            _ => None,
        }
    }
}

impl From<BackendError> for UsersError {
    fn from(error: BackendError) -> UsersError {
        UsersError::Backend(error)
    }
}

/// A user secret that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserSecretError {
    /// Fewer than [`UserSecret::MIN_LEN`](crate::users::UserSecret::MIN_LEN) bytes.
    TooShort {
        /// How many bytes were given.
        len: usize,
    },
}

impl fmt::Display for UserSecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserSecretError::TooShort { len } => {
                write!(f, "a user secret needs at least 32 bytes, got {len}")
            }
        }
    }
}

impl Error for UserSecretError {}

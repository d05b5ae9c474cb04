//! What a session record carries once a user is attached to it.

use super::UserRef;

/// The user part of a session [`Record`](crate::store::Record): who the
/// session belongs to, the user's generation when they logged in, and the
/// user id and label, sealed.
///
/// | field | attribute | meaning |
/// | --- | --- | --- |
/// | `user` | `usr` (B, 32 bytes) | the user's pseudonym; the key of the user index |
/// | `generation` | `uep` (N) | the user's generation read at login: the session is alive while it is not below the user's current one |
/// | `sealed` | `uin` (B) | the user id and the session's label, sealed under the app's user secret and bound to `sid` and `usr` |
///
/// A backend stores the three as they are and gives them back; only the
/// manager reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserStamp {
    /// The user's pseudonym (`usr`).
    pub user: UserRef,
    /// The user's generation at login (`uep`).
    pub generation: u64,
    /// The user id and label, sealed (`uin`).
    pub sealed: Vec<u8>,
}

impl UserStamp {
    /// A stamp of `user` at `generation`, with the sealed id and label.
    pub fn new(user: UserRef, generation: u64, sealed: Vec<u8>) -> UserStamp {
        UserStamp {
            user,
            generation,
            sealed,
        }
    }
}

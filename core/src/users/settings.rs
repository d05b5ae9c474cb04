//! How a manager treats users' sessions.

use std::num::NonZeroU32;

use super::UserSecret;

/// Settings for users' sessions, given to
/// [`SessionManager::with_users`](crate::SessionManager::with_users).
///
/// ```
/// use std::num::NonZeroU32;
/// use dynamodb_sessions_core::users::{UserSecret, UserSettings};
///
/// let secret = UserSecret::from_bytes(&[7; 32])?;
/// let settings = UserSettings::new(secret).max_sessions_per_user(NonZeroU32::new(5).unwrap());
/// assert_eq!(settings.max_sessions(), NonZeroU32::new(5));
/// # Ok::<(), dynamodb_sessions_core::users::UserSecretError>(())
/// ```
#[derive(Debug, Clone)]
pub struct UserSettings {
    pub(crate) secret: UserSecret,
    max_sessions: Option<NonZeroU32>,
}

impl UserSettings {
    /// Users' sessions under `secret`, with no cap on sessions per user.
    pub fn new(secret: UserSecret) -> UserSettings {
        UserSettings {
            secret,
            max_sessions: None,
        }
    }

    /// At most this many sessions per user: a login past it ends the
    /// user's least recently used sessions (off by default, as a user who
    /// logs in from a new device expects to stay logged in elsewhere).
    ///
    /// Each session it ends is ended exactly; the count itself is read from
    /// the store's index, which lags (DynamoDB: under a second), so logins
    /// within that lag of each other may leave the user that many sessions
    /// over the cap, until the next login corrects it.
    #[must_use]
    pub fn max_sessions_per_user(mut self, max: NonZeroU32) -> UserSettings {
        self.max_sessions = Some(max);
        self
    }

    /// The cap on sessions per user, if any.
    pub fn max_sessions(&self) -> Option<NonZeroU32> {
        self.max_sessions
    }
}

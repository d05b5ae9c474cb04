//! Users in schedules: who the browsers belong to, the manager's user
//! settings, and the calls that end users' sessions.

use std::num::NonZeroU32;

use dynamodb_sessions_core::users::{UserRef, UserSecret, UserSettings};

/// Whether a schedule's sessions carry users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Users {
    /// No users: the manager is built without them, and schedules draw
    /// exactly what they drew before users existed (same seeds, same
    /// traces).
    #[default]
    Off,
    /// Two users: browsers 0 and 1 belong to `u0` (so that one can end the
    /// other's session), any further browser to `u1`. Requests may log in
    /// as their browser's user, end the user's other sessions, end one by
    /// its handle; an admin request without a cookie ends all sessions of
    /// a user. A third of the schedules cap users at two sessions. Needs a
    /// store that offers `UserSessions` ([`run_with_users`](super::run_with_users)).
    On,
}

/// A user's number in a schedule: `u0`, `u1`.
pub(crate) type UserIndex = usize;

/// The users' ids, by number.
pub(crate) const USER_IDS: [&str; 2] = ["u0", "u1"];

/// The user a browser belongs to.
pub(crate) fn user_of_browser(browser: usize) -> UserIndex {
    usize::from(browser >= 2)
}

/// The number of a user id, if it is one of the schedule's.
pub(crate) fn user_index(id: &str) -> Option<UserIndex> {
    USER_IDS.iter().position(|known| *known == id)
}

/// The user secret of `seed`'s schedule: the same on every replay, and
/// another for every seed, so that schedules sharing one table (DynamoDB
/// Local) never share users, their generations or their index entries.
fn secret(seed: u64) -> UserSecret {
    let mut bytes = [7; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    UserSecret::from_bytes(&bytes).expect("32 bytes make a user secret")
}

/// The users' pseudonyms in `seed`'s schedule, by number, as the store
/// sees them.
pub(crate) fn user_refs(seed: u64) -> [UserRef; 2] {
    let secret = secret(seed);
    USER_IDS.map(|id| secret.user_ref(id))
}

/// The manager's user settings in `seed`'s schedule: with a cap of two
/// sessions per user, or none.
pub(crate) fn settings(seed: u64, capped: bool) -> UserSettings {
    let settings = UserSettings::new(secret(seed));
    match capped {
        true => settings.max_sessions_per_user(NonZeroU32::MIN.saturating_add(1)),
        false => settings,
    }
}

/// Which call ended users' sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndKind {
    /// `SessionManager::end_all_sessions` of this user.
    All(UserIndex),
    /// `Session::end_other_sessions`.
    Others,
    /// `Session::end_session` of another session's handle.
    One,
}

//! What went wrong without failing a request, counted for the application
//! to read.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of commits that succeeded with something left undone, since the
/// manager was made; see [`SessionManager::stats`](crate::SessionManager::stats).
///
/// Neither fails the request, because the user's request did what it was
/// for; but a count that keeps growing means the store refuses writes the
/// sessions need (a missing permission, a full store), which the
/// application should alert on rather than learn from users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Reissues (touches) that failed. A session whose touches keep failing
    /// idles out `timeout` after its last successful write, however active
    /// its user is: with a store that refuses `UpdateItem` (a missing IAM
    /// permission), every active session would.
    pub failed_reissues: u64,
    /// Logouts whose session ended but whose new data (say, a "logged out"
    /// flash message) could not be stored, e.g. in a full store: the user
    /// is logged out and gets the expiring cookie; the message is dropped.
    pub dropped_after_logout: u64,
    /// Sessions a login past the per-user cap
    /// ([`UserSettings::max_sessions_per_user`](crate::users::UserSettings::max_sessions_per_user))
    /// should have ended but could not (the store failed): the login
    /// stands, and the user keeps more sessions than the cap until the next
    /// login.
    pub failed_cap_evictions: u64,
}

/// The live counters behind [`SessionStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    failed_reissues: AtomicU64,
    dropped_after_logout: AtomicU64,
    failed_cap_evictions: AtomicU64,
}

impl Counters {
    pub(crate) fn failed_reissue(&self) {
        self.failed_reissues.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dropped_after_logout(&self) {
        self.dropped_after_logout.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed_cap_eviction(&self) {
        self.failed_cap_evictions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> SessionStats {
        SessionStats {
            failed_reissues: self.failed_reissues.load(Ordering::Relaxed),
            dropped_after_logout: self.dropped_after_logout.load(Ordering::Relaxed),
            failed_cap_evictions: self.failed_cap_evictions.load(Ordering::Relaxed),
        }
    }
}

//! What the simulated application knows it did: every write it attempted
//! (its unique tag, the tag it continued, the lineage's creation time), the
//! writes it was told succeeded, and the logouts.
//!
//! Tags link writes into lineages: a write's parent is the tag of the record
//! its request loaded. "Data survives" then means: the tag is in the
//! ancestry of a record the store still holds.

use std::collections::BTreeMap;

use super::shared::RequestId;
use super::store::{KeyId, Tag};
use super::users::UserIndex;

/// One attempted write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) request: RequestId,
    /// The tag of the record the request loaded, if any.
    pub(crate) parent: Option<Tag>,
    /// When the lineage's first record was created: what `crt` must say.
    pub(crate) root_created: i64,
    /// The counter value written.
    pub(crate) n: u64,
}

/// A write the application was told succeeded: `Ok` with a cookie for `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ack {
    pub(crate) request: RequestId,
    pub(crate) tag: Tag,
    pub(crate) key: KeyId,
}

/// A logout the application was told succeeded, and the tag of the live
/// record its `end` found (and ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogoutAck {
    pub(crate) request: RequestId,
    pub(crate) key: KeyId,
    pub(crate) ended: Tag,
    /// The step at which the logout's commit returned.
    pub(crate) step: u64,
    /// The process that served it.
    pub(crate) process: usize,
}

/// A login as a user: its request's write roots a lineage of that user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Login {
    pub(crate) user: UserIndex,
    /// The step at which `set_user` returned.
    pub(crate) returned: u64,
}

/// What an acknowledged call ended of a user's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every session (`end_all_sessions`).
    All,
    /// Every session but the lineage of the one that asked
    /// (`end_other_sessions`).
    Others { kept: Tag },
    /// The session under `key`, by its handle (`end_session`). The key
    /// only: a session that a `regenerate_id` moved on before the end
    /// lives on under its new key (the end finds a tombstone naming it),
    /// as does a sibling a failed login left.
    One { key: KeyId },
    /// The session under `key`, past the user's cap: as for `One` (a
    /// session moved on was listed, and counted, under its new key too).
    Evicted { key: KeyId },
}

/// A call ending a user's sessions that returned `Ok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserAck {
    pub(crate) request: RequestId,
    pub(crate) user: UserIndex,
    pub(crate) ended: Ended,
    /// The step at which the call started.
    pub(crate) started: u64,
    /// The step at which it returned `Ok`.
    pub(crate) acked: u64,
}

/// The application's side of the story.
#[derive(Debug, Clone, Default)]
pub(crate) struct Oracle {
    pub(crate) writes: BTreeMap<Tag, Written>,
    pub(crate) acks: Vec<Ack>,
    /// Tags of records a logout's `end` found when it was applied,
    /// acknowledged or not, and of user sessions ended by their handle or
    /// the cap: their lineages may legitimately be gone.
    pub(crate) logged_out: Vec<Tag>,
    pub(crate) logout_acks: Vec<LogoutAck>,
    /// Logins as a user, by the tag their request wrote.
    pub(crate) logins: BTreeMap<Tag, Login>,
    pub(crate) user_acks: Vec<UserAck>,
}

impl Oracle {
    /// Whether `ancestor` is `tag` or one of its ancestors.
    pub(crate) fn descends(&self, tag: Tag, ancestor: Tag) -> bool {
        let mut current = Some(tag);
        // Parent links only point to earlier writes; the bound guards
        // against a hand-made history with a cycle.
        for _ in 0..=self.writes.len() {
            match current {
                Some(t) if t == ancestor => return true,
                Some(t) => current = self.writes.get(&t).and_then(|w| w.parent),
                None => return false,
            }
        }
        false
    }

    /// The creation time of `tag`'s lineage.
    pub(crate) fn root_created(&self, tag: Tag) -> Option<i64> {
        self.writes.get(&tag).map(|w| w.root_created)
    }

    /// The login that `tag`'s lineage of a user starts from: `tag` or its
    /// nearest ancestor written by a login as a user.
    pub(crate) fn lineage(&self, tag: Tag) -> Option<Tag> {
        let mut current = Some(tag);
        for _ in 0..=self.writes.len() {
            match current {
                Some(t) if self.logins.contains_key(&t) => return Some(t),
                Some(t) => current = self.writes.get(&t).and_then(|w| w.parent),
                None => return None,
            }
        }
        None
    }

    /// Whether a logout ended a record that carried `tag`'s data.
    pub(crate) fn logged_out(&self, tag: Tag) -> bool {
        self.logged_out
            .iter()
            .any(|ended| self.descends(*ended, tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestry_follows_parent_links() {
        let mut oracle = Oracle::default();
        for (tag, parent) in [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(1))] {
            oracle.writes.insert(
                tag,
                Written {
                    request: 0,
                    parent,
                    root_created: 100,
                    n: 0,
                },
            );
        }
        assert!(oracle.descends(3, 1) && oracle.descends(3, 3) && oracle.descends(4, 1));
        assert!(!oracle.descends(4, 2) && !oracle.descends(1, 3));
        oracle.logged_out.push(3);
        assert!(oracle.logged_out(2) && !oracle.logged_out(4));
        oracle.logins.insert(
            2,
            Login {
                user: 0,
                returned: 5,
            },
        );
        assert_eq!(oracle.lineage(3), Some(2));
        assert_eq!(oracle.lineage(2), Some(2));
        assert_eq!(oracle.lineage(1), None);
        assert_eq!(oracle.lineage(4), None);
    }
}

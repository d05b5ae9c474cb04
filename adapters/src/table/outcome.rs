//! Deciding exactly what a conditional write did when an attempt's answer
//! was lost and a retry then failed its condition.
//!
//! Content cannot decide it: two requests can write the same data at the
//! same version. Each write therefore carries a random identity (`wid`,
//! [`WriteId`]) that only it could have stored, and the decision rests on
//! two facts of the item protocol (see [`Backend`](crate::store::Backend)):
//! a key's version only ever grows, and exactly one write ever produces a
//! given version of a key.

use dynamodb_sessions_core::store::WRITE_ID_LEN;

/// The identity of one write call, stored with the item it writes.
pub(crate) type WriteId = [u8; WRITE_ID_LEN];

/// A fresh write identity, or `None` if the OS has no random bytes.
pub(crate) fn new_write_id() -> Option<WriteId> {
    let mut id = [0; WRITE_ID_LEN];
    getrandom::getrandom(&mut id).ok()?;
    Some(id)
}

/// What the check read found under the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) version: u64,
    pub(crate) write_id: Option<WriteId>,
}

/// The write's outcome, as far as the stored item proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The item carries our identity: our write was applied.
    Applied,
    /// Our write was not applied, and its condition can never hold again, so
    /// no delayed attempt of it can apply later.
    NotApplied,
    /// The item no longer shows which: our write may have been applied and
    /// then superseded or ended.
    Unknown,
}

/// Decides a write that would have moved the item from `expected` (`None`:
/// from any live version, an end) to version `target`, given what is
/// stored now. A create, sent only once, is decided by [`decide_create`].
pub(crate) fn decide(
    expected: Option<u64>,
    target: u64,
    ours: &WriteId,
    stored: Option<Stored>,
) -> Decision {
    let Some(stored) = stored else {
        // Gone (removed by TTL or by hand): nothing says whether we wrote.
        return Decision::Unknown;
    };
    if stored.write_id.as_ref() == Some(ours) {
        return Decision::Applied;
    }
    // Had ours been applied, the version would be `target` or more, and the
    // item at `target` would be ours.
    if stored.version == target {
        return Decision::NotApplied;
    }
    // Below our target but past what we expected (e.g. a login's tombstone
    // after another request's change): ours is not there, and the expected
    // version never comes back.
    let past_expected = expected.is_some_and(|expected| stored.version > expected);
    if stored.version < target && past_expected {
        return Decision::NotApplied;
    }
    Decision::Unknown
}

/// Decides a create whose only attempt's answer was lost, given what is
/// stored under its key now: ours (applied), another record (not applied:
/// the key is taken, and the caller gives it up), or nothing: the attempt
/// may not have arrived yet and may still land, which no read can rule out.
pub(crate) fn decide_create(ours: &WriteId, stored: Option<Stored>) -> Decision {
    match stored {
        Some(stored) if stored.write_id.as_ref() == Some(ours) => Decision::Applied,
        Some(_) => Decision::NotApplied,
        None => Decision::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamodb_sessions_core::store::Record;

    const TOMBSTONE: u64 = Record::ENDED_VERSION;

    const OURS: WriteId = [1; WRITE_ID_LEN];
    const THEIRS: WriteId = [2; WRITE_ID_LEN];

    fn stored(version: u64, write_id: Option<WriteId>) -> Option<Stored> {
        Some(Stored { version, write_id })
    }

    #[test]
    fn our_identity_means_applied_whatever_the_version() {
        for target in [1, 6, TOMBSTONE] {
            assert_eq!(
                decide(Some(5), target, &OURS, stored(target, Some(OURS))),
                Decision::Applied
            );
        }
    }

    #[test]
    fn another_write_at_our_target_means_not_applied() {
        // Same version, same data, other writer: not ours.
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(6, Some(THEIRS))),
            Decision::NotApplied
        );
        // A write by pyramid-dynamodb-sessions carries no identity.
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(6, None)),
            Decision::NotApplied
        );
        // Creates: someone else's item at version 1.
        assert_eq!(
            decide(None, 1, &OURS, stored(1, Some(THEIRS))),
            Decision::NotApplied
        );
        // A login's tombstone after another request's logout: not ours.
        assert_eq!(
            decide(Some(5), TOMBSTONE, &OURS, stored(TOMBSTONE, Some(THEIRS))),
            Decision::NotApplied
        );
    }

    #[test]
    fn a_login_tombstone_after_a_concurrent_change_is_not_applied() {
        assert_eq!(
            decide(Some(5), TOMBSTONE, &OURS, stored(6, Some(THEIRS))),
            Decision::NotApplied
        );
    }

    #[test]
    fn superseded_ended_or_gone_is_unknown() {
        // Ours may have been version 6 before someone wrote 7 on top.
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(7, Some(THEIRS))),
            Decision::Unknown
        );
        // Ours may have been applied before a logout ended the session.
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(TOMBSTONE, Some(THEIRS))),
            Decision::Unknown
        );
        assert_eq!(decide(Some(5), 6, &OURS, None), Decision::Unknown);
        assert_eq!(decide(None, 1, &OURS, None), Decision::Unknown);
        assert_eq!(
            decide(None, 1, &OURS, stored(2, Some(THEIRS))),
            Decision::Unknown
        );
    }

    #[test]
    fn a_create_is_ours_taken_or_unknown() {
        assert_eq!(
            decide_create(&OURS, stored(1, Some(OURS))),
            Decision::Applied
        );
        for other in [
            stored(1, Some(THEIRS)),
            stored(1, None),
            stored(TOMBSTONE, Some(THEIRS)),
        ] {
            assert_eq!(decide_create(&OURS, other), Decision::NotApplied);
        }
        // Not there yet: it may still land.
        assert_eq!(decide_create(&OURS, None), Decision::Unknown);
    }

    #[test]
    fn a_version_that_went_back_is_unknown() {
        // Outside the protocol (a foreign writer): never guess.
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(5, Some(THEIRS))),
            Decision::Unknown
        );
        assert_eq!(
            decide(Some(5), 6, &OURS, stored(3, Some(THEIRS))),
            Decision::Unknown
        );
    }
}

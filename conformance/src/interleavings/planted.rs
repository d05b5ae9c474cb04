//! A planted bug, to show that the checker notices when ended users'
//! sessions come back: a store whose checked loads answer with an
//! eventually consistent read of the user's generation.

use std::collections::HashMap;
use std::sync::Mutex;

use dynamodb_sessions_core::store::{Forward, LoadOutcome, StorageKey};
use dynamodb_sessions_core::users::{AdvanceOutcome, Keep, UserRef, UserSessions};
use dynamodb_sessions_core::BackendError;

use super::shared::lock;

/// `load_checked` answers with each user's generation as it was before
/// its last advance: the read a replica that has not seen the advance yet
/// would give. Everything else is the store's.
pub(crate) struct StaleGeneration<B> {
    inner: B,
    before_last_advance: Mutex<HashMap<UserRef, u64>>,
}

impl<B> StaleGeneration<B> {
    pub(crate) fn new(inner: B) -> Self {
        StaleGeneration {
            inner,
            before_last_advance: Mutex::new(HashMap::new()),
        }
    }
}

impl<B: UserSessions> Forward for StaleGeneration<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError>
    where
        B: UserSessions,
    {
        let (current, outcome) = self.inner.load_checked(key, user)?;
        let stale = lock(&self.before_last_advance).get(user).copied();
        Ok((stale.unwrap_or(current).min(current), outcome))
    }

    fn forward_advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError>
    where
        B: UserSessions,
    {
        let outcome = self.inner.advance(user, expected, keep)?;
        if outcome == AdvanceOutcome::Advanced {
            lock(&self.before_last_advance).insert(*user, expected);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use dynamodb_sessions::MemoryBackend;

    use super::*;
    use crate::interleavings::{run_with_users, Invariant, Options, Users};

    /// Within 300 schedules with users the checker reports h on the
    /// planted bug, and nothing on the same schedules without it.
    #[test]
    fn checker_finds_stale_generation_reads() {
        let options = Options {
            users: Users::On,
            requests: (10, 20),
            ..Options::default()
        };
        let found = (0..300).find_map(|seed| {
            let store = MemoryBackend::new();
            let planted = Arc::new(StaleGeneration::new(store.clone()));
            run_with_users(seed, &options, planted, Arc::new(store)).err()
        });
        let violation = found.expect("300 schedules and the planted bug not found");
        println!(
            "planted bug found by seed {}: {}",
            violation.seed, violation.message
        );
        assert_eq!(
            violation.invariant,
            Invariant::UsersEndedStayEnded,
            "{violation}"
        );
        for seed in 0..=violation.seed {
            let store = Arc::new(MemoryBackend::new());
            let clean = run_with_users(seed, &options, Arc::clone(&store), store);
            assert!(clean.is_ok(), "{}", clean.unwrap_err());
        }
    }
}

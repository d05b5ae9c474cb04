//! Users' sessions in memory: generations and an exact index, under the
//! same lock as the records.

use dynamodb_sessions_core::store::{
    ensure_item_fits, ensure_version_grows, LoadOutcome, Operation, StorageKey,
};
use dynamodb_sessions_core::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};
use dynamodb_sessions_core::BackendError;

use super::slot::Slot;
use super::MemoryBackend;

/// Exact where DynamoDB is eventually consistent: the listing has no lag,
/// and an advance with a kept record is one step under the store's lock.
/// Generations live outside [`MemoryLimits`](super::MemoryLimits): they
/// are never evicted or swept.
impl UserSessions for MemoryBackend {
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        let items = self.inner.items.read();
        let generation = items.generation(user);
        match items.get(key) {
            None => Ok((generation, LoadOutcome::Missing)),
            Some(Slot::Corrupt { reason }) => Err(BackendError::Corrupt {
                reason: reason.clone(),
            }),
            Some(Slot::Record { current }) => {
                Ok((generation, LoadOutcome::from_stored(Some(current.clone()))))
            }
        }
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        Ok(self.inner.items.read().generation(user))
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let next = expected
            .checked_add(1)
            .ok_or_else(|| BackendError::Corrupt {
                reason: "a user's generation is at its maximum".into(),
            })?;
        if let Some(keep) = &keep {
            ensure_version_grows(keep.expected_version, keep.record)?;
            ensure_item_fits(Operation::Replace, keep.key, keep.record)?;
        }
        let mut items = self.inner.items.write();
        let current = items.generation(user);
        if current != expected {
            return Ok(AdvanceOutcome::GenerationMoved { current });
        }
        if let Some(keep) = keep {
            let old_size = match items.get(keep.key) {
                Some(slot @ Slot::Record { current })
                    if current.version == keep.expected_version =>
                {
                    slot.size(keep.key)
                }
                _ => return Ok(AdvanceOutcome::KeptChanged),
            };
            let slot = Slot::Record {
                current: keep.record.clone(),
            };
            let time = keep.record.issued_at;
            self.write(
                &mut items,
                Operation::Replace,
                keep.key,
                time,
                old_size,
                slot,
            )?;
        }
        items.set_generation(*user, next);
        Ok(AdvanceOutcome::Advanced)
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        let items = self.inner.items.read();
        Ok(items
            .keys_of(user)
            .filter_map(|key| match items.get(key) {
                Some(Slot::Record { current }) => Listed::of(*key, current),
                _ => None,
            })
            .collect())
    }
}

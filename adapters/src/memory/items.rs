//! The map behind a [`MemoryBackend`](super::MemoryBackend) and what keeps
//! it bounded: items indexed by expiry, for a TTL sweep like DynamoDB's and
//! for eviction, and the bytes held.

use std::collections::{BTreeSet, HashMap};

use dynamodb_sessions_core::store::StorageKey;
use dynamodb_sessions_core::users::UserRef;

use super::slot::Slot;

#[derive(Debug, Default)]
pub(super) struct Items {
    slots: HashMap<StorageKey, Slot>,
    /// `(exp, key)` of every record, soonest first.
    by_expiry: BTreeSet<(i64, StorageKey)>,
    /// The same for ended records (tombstones) only, which eviction takes
    /// first: they hold no user's data.
    ended_by_expiry: BTreeSet<(i64, StorageKey)>,
    /// Sum of the items' sizes.
    bytes: usize,
    /// The same for ended records only.
    ended_bytes: usize,
    /// Each user's generation. Outside the limits and never swept: a
    /// generation lost would bring back the sessions it ended.
    generations: HashMap<UserRef, u64>,
    /// The keys of each user's records: the index a listing reads, kept
    /// exact on every write.
    by_user: HashMap<UserRef, BTreeSet<StorageKey>>,
}

impl Items {
    pub(super) fn get(&self, key: &StorageKey) -> Option<&Slot> {
        self.slots.get(key)
    }

    /// Every item, live or ended.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Ended records (tombstones).
    pub(super) fn ended_len(&self) -> usize {
        self.ended_by_expiry.len()
    }

    /// Items that are not ended: live sessions (and corrupt items).
    pub(super) fn live_len(&self) -> usize {
        self.len() - self.ended_len()
    }

    /// Bytes of every item, live or ended.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes of the items that are not ended.
    pub(super) fn live_bytes(&self) -> usize {
        self.bytes - self.ended_bytes
    }

    /// Puts `slot` under `key`, replacing what was there.
    pub(super) fn put(&mut self, key: StorageKey, slot: Slot) {
        self.remove(&key);
        let size = slot.size(&key);
        self.bytes += size;
        if let Some(expires_at) = slot.expires_at() {
            self.by_expiry.insert((expires_at, key));
            if slot.is_ended() {
                self.ended_by_expiry.insert((expires_at, key));
                self.ended_bytes += size;
            }
        }
        if let Some(user) = slot.user() {
            self.by_user.entry(user).or_default().insert(key);
        }
        self.slots.insert(key, slot);
    }

    pub(super) fn generation(&self, user: &UserRef) -> u64 {
        self.generations.get(user).copied().unwrap_or(0)
    }

    pub(super) fn set_generation(&mut self, user: UserRef, generation: u64) {
        self.generations.insert(user, generation);
    }

    pub(super) fn keys_of(&self, user: &UserRef) -> impl Iterator<Item = &StorageKey> {
        self.by_user.get(user).into_iter().flatten()
    }

    pub(super) fn remove(&mut self, key: &StorageKey) -> Option<Slot> {
        let slot = self.slots.remove(key)?;
        if let Some(user) = slot.user() {
            if let Some(keys) = self.by_user.get_mut(&user) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_user.remove(&user);
                }
            }
        }
        let size = slot.size(key);
        self.bytes -= size;
        if let Some(expires_at) = slot.expires_at() {
            self.by_expiry.remove(&(expires_at, *key));
            if self.ended_by_expiry.remove(&(expires_at, *key)) {
                self.ended_bytes -= size;
            }
        }
        Some(slot)
    }

    /// Removes up to `budget` records whose `exp` is before `before`,
    /// soonest first, never the one under `keep` (the key being written);
    /// returns how many it removed.
    pub(super) fn sweep(&mut self, before: i64, budget: usize, keep: Option<&StorageKey>) -> usize {
        let due: Vec<StorageKey> = self
            .by_expiry
            .iter()
            .take_while(|(expires_at, _)| *expires_at < before)
            .map(|(_, key)| *key)
            .filter(|key| Some(key) != keep)
            .take(budget)
            .collect();
        for key in &due {
            self.remove(key);
        }
        due.len()
    }

    /// Removes the ended record that expires soonest (the oldest: every
    /// tombstone is kept for the same hour), never the one under `keep`
    /// (the key being written). Says whether there was one.
    pub(super) fn evict_ended(&mut self, keep: &StorageKey) -> bool {
        let victim = self
            .ended_by_expiry
            .iter()
            .map(|(_, key)| *key)
            .find(|key| key != keep);
        victim.is_some_and(|key| self.remove(&key).is_some())
    }

    /// Removes the ended record that expires soonest or, if there is none,
    /// the live one (the least recently active session); never the one
    /// under `keep` (the key being written), nor a live record created at
    /// `spare` (a login's new record keeps its session's creation time: the
    /// record it moves away from is not to be evicted for it). Says whether
    /// there was one.
    pub(super) fn evict_soonest(&mut self, keep: &StorageKey, spare: Option<i64>) -> bool {
        if self.evict_ended(keep) {
            return true;
        }
        let spared = |slot: &Slot| spare.is_some() && slot.created_at() == spare;
        let victim = self
            .by_expiry
            .iter()
            .map(|(_, key)| *key)
            .find(|key| key != keep && !self.slots.get(key).is_some_and(spared));
        victim.is_some_and(|key| self.remove(&key).is_some())
    }
}

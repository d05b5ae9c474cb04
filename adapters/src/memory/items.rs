//! The map behind a [`MemoryBackend`](super::MemoryBackend) and what keeps
//! it bounded: items indexed by expiry, for a TTL sweep like DynamoDB's and
//! for eviction, and the bytes held.

use std::collections::{BTreeSet, HashMap};

use dynamodb_sessions_core::store::StorageKey;

use super::slot::Slot;

#[derive(Debug, Default)]
pub(super) struct Items {
    slots: HashMap<StorageKey, Slot>,
    /// `(exp, key)` of every record, soonest first.
    by_expiry: BTreeSet<(i64, StorageKey)>,
    /// Sum of the items' sizes.
    bytes: usize,
    /// The latest write time seen (`iss`, unix seconds): the store's clock
    /// for its TTL. Writes carry the application's clock, so a store driven
    /// by a test's manual clock expires on that clock, and a store nobody
    /// writes to has nothing new to bound.
    now: i64,
}

impl Items {
    pub(super) fn get(&self, key: &StorageKey) -> Option<&Slot> {
        self.slots.get(key)
    }

    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(super) fn now(&self) -> i64 {
        self.now
    }

    /// Moves the store's clock to `time` if that is later.
    pub(super) fn observe(&mut self, time: i64) {
        self.now = self.now.max(time);
    }

    /// Puts `slot` under `key`, replacing what was there.
    pub(super) fn put(&mut self, key: StorageKey, slot: Slot) {
        self.remove(&key);
        self.bytes += slot.size(&key);
        if let Some(expires_at) = slot.expires_at() {
            self.by_expiry.insert((expires_at, key));
        }
        self.slots.insert(key, slot);
    }

    pub(super) fn remove(&mut self, key: &StorageKey) -> Option<Slot> {
        let slot = self.slots.remove(key)?;
        self.bytes -= slot.size(key);
        if let Some(expires_at) = slot.expires_at() {
            self.by_expiry.remove(&(expires_at, *key));
        }
        Some(slot)
    }

    /// Removes up to `budget` records whose `exp` is before `now`, soonest
    /// first; returns how many it removed.
    pub(super) fn sweep(&mut self, now: i64, budget: usize) -> usize {
        let mut removed = 0;
        while removed < budget {
            match self.by_expiry.first() {
                Some(&(expires_at, key)) if expires_at < now => {
                    self.remove(&key);
                    removed += 1;
                }
                _ => break,
            }
        }
        removed
    }

    /// Removes the record that expires soonest, other than `keep`; says
    /// whether there was one.
    pub(super) fn evict_soonest(&mut self, keep: &StorageKey) -> bool {
        let victim = self
            .by_expiry
            .iter()
            .map(|(_, key)| *key)
            .find(|key| key != keep);
        victim.is_some_and(|key| self.remove(&key).is_some())
    }
}

//! An in-memory backend with DynamoDB's semantics, for tests and small deployments.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dynamodb_sessions_core::{
    store::{
        ensure_item_fits, ensure_version_grows, Backend, Consistency, CreateOutcome, EndOutcome,
        Record, ReplaceOutcome, StorageKey, TouchOutcome,
    },
    testing::CallCounter,
    BackendError, Operation,
};
use parking_lot::RwLock;

mod testing;
pub use testing::{MemoryBackendTesting, StaleReads};

/// What the map holds under one key.
#[derive(Debug, Clone)]
enum Slot {
    /// A record, with what a lagging replica still shows of it.
    Record { current: Record, previous: Lag },
    /// An item that is not a well-formed session record, as a foreign writer
    /// could leave in a DynamoDB table.
    Corrupt { reason: String },
}

/// The state a record had before its last write, kept only for writes made
/// in stale-read mode: outside it nothing lags, and keeping every record's
/// previous version would double the memory a session holds.
#[derive(Debug, Clone)]
enum Lag {
    /// Written outside stale-read mode: replicas have caught up.
    CaughtUp,
    /// Created in stale-read mode: replicas do not have it yet.
    Absent,
    /// Written in stale-read mode: replicas still have this.
    Was(Box<Record>),
}

impl Lag {
    /// What an eventually consistent read returns in stale-read mode.
    fn visible(&self, current: &Record) -> Option<Record> {
        match self {
            Lag::CaughtUp => Some(current.clone()),
            Lag::Absent => None,
            Lag::Was(previous) => Some(Record::clone(previous)),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    items: RwLock<HashMap<StorageKey, Slot>>,
    stale_reads: AtomicBool,
    /// Every call, counted for [`MemoryBackendTesting::counts`].
    counters: CallCounter,
}

/// Session records in a map, under exactly DynamoDB's conditions: create only
/// if absent, replace and touch only at the expected version, end only a
/// live record, and the same 400 KB item limit on every write, counted the
/// same way. What passes on it passes on DynamoDB.
///
/// The handle is cheap to clone; clones share the same map, so one backend
/// can serve many threads and a test can keep a handle to inspect it.
/// Test knobs (lagging replicas, corrupt items, call counts) are in
/// [`testing::MemoryBackendTesting`](crate::testing::MemoryBackendTesting).
///
/// ```
/// use dynamodb_sessions::Scheme;
/// use dynamodb_sessions::{SessionConfig, SessionManager};
/// use dynamodb_sessions::MemoryBackend;
///
/// let backend = MemoryBackend::new();
/// let manager = SessionManager::new(backend.clone(), SessionConfig::default());
/// let mut session = manager.load(None);
/// session.insert("user", "ada")?;
/// manager.commit(session, Scheme::Http)?;
/// assert_eq!(backend.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    inner: Arc<Inner>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items held.
    pub fn len(&self) -> usize {
        self.inner.items.read().len()
    }

    /// Whether the store holds no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes records whose `exp` is before `now` (unix seconds), as
    /// DynamoDB's TTL does in the background; returns how many it removed.
    /// Call it now and then in a long-running process.
    pub fn purge_expired(&self, now: i64) -> usize {
        let mut items = self.inner.items.write();
        let before = items.len();
        items.retain(|_, slot| match slot {
            Slot::Record { current, .. } => current.expires_at >= now,
            Slot::Corrupt { .. } => true,
        });
        before - items.len()
    }
}

impl MemoryBackend {
    fn stale(&self) -> bool {
        self.inner.stale_reads.load(Ordering::SeqCst)
    }

    /// What a lagging replica shows after a write that replaced `old`.
    fn lag_after_write(&self, old: Record) -> Lag {
        if self.stale() {
            Lag::Was(Box::new(old))
        } else {
            Lag::CaughtUp
        }
    }
}

impl Backend for MemoryBackend {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        self.inner.counters.count_load(consistency);
        let stale = consistency == Consistency::Eventual && self.stale();
        match self.inner.items.read().get(key) {
            None => Ok(None),
            Some(Slot::Corrupt { reason }) => Err(BackendError::Corrupt {
                reason: reason.clone(),
            }),
            Some(Slot::Record { current, previous }) if stale => Ok(previous.visible(current)),
            Some(Slot::Record { current, .. }) => Ok(Some(current.clone())),
        }
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.inner.counters.count_create();
        ensure_item_fits(Operation::Create, key, record)?;
        let mut items = self.inner.items.write();
        if items.contains_key(key) {
            return Ok(CreateOutcome::AlreadyExists);
        }
        let slot = Slot::Record {
            current: record.clone(),
            previous: if self.stale() {
                Lag::Absent
            } else {
                Lag::CaughtUp
            },
        };
        items.insert(*key, slot);
        Ok(CreateOutcome::Created)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.inner.counters.count_replace();
        ensure_version_grows(expected_version, record)?;
        ensure_item_fits(Operation::Replace, key, record)?;
        let mut items = self.inner.items.write();
        match items.get_mut(key) {
            Some(Slot::Record { current, previous }) if current.version == expected_version => {
                let old = std::mem::replace(current, record.clone());
                *previous = self.lag_after_write(old);
                Ok(ReplaceOutcome::Replaced)
            }
            _ => Ok(ReplaceOutcome::Conflict),
        }
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.inner.counters.count_touch();
        let mut items = self.inner.items.write();
        match items.get_mut(key) {
            Some(Slot::Record { current, previous })
                if current.version == expected_version && current.issued_at < issued_at =>
            {
                let mut touched = current.clone();
                touched.issued_at = issued_at;
                touched.expires_at = expires_at;
                // DynamoDB refuses an update that makes the item too large.
                ensure_item_fits(Operation::Touch, key, &touched)?;
                let old = std::mem::replace(current, touched);
                *previous = self.lag_after_write(old);
                Ok(TouchOutcome::Touched)
            }
            // A corrupt item has no version to match, as on DynamoDB.
            _ => Ok(TouchOutcome::Conflict),
        }
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.inner.counters.count_end();
        ensure_item_fits(Operation::End, key, tombstone)?;
        let mut items = self.inner.items.write();
        match items.get_mut(key) {
            Some(Slot::Record { current, .. }) if current.is_ended() => {
                Ok(EndOutcome::AlreadyEnded {
                    successor: current.successor,
                })
            }
            Some(Slot::Record { current, previous }) => {
                let old = std::mem::replace(current, tombstone.clone());
                *previous = self.lag_after_write(old);
                Ok(EndOutcome::Ended)
            }
            Some(slot @ Slot::Corrupt { .. }) => {
                *slot = Slot::Record {
                    current: tombstone.clone(),
                    previous: Lag::CaughtUp,
                };
                Ok(EndOutcome::Ended)
            }
            // A logout never creates an item.
            None => Ok(EndOutcome::Missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamodb_sessions_core::store::StoredData;

    fn record(version: u64) -> Record {
        Record::new(version, 100, 1000, StoredData::Cbor(vec![version as u8]))
            .with_created_at(Some(100))
    }

    #[test]
    fn only_writes_made_in_stale_mode_lag() {
        let backend = MemoryBackend::new();
        let key = StorageKey::from_bytes([1; 32]);
        let _ = backend.create(&key, &record(1)).unwrap();
        let _ = backend.replace(&key, 1, &record(2)).unwrap();
        backend.set_stale_reads(StaleReads::On);
        // Written before the mode was on: the replica has caught up.
        let eventual = backend.load(&key, Consistency::Eventual).unwrap();
        assert_eq!(eventual, Some(record(2)));
        let _ = backend.replace(&key, 2, &record(3)).unwrap();
        let eventual = backend.load(&key, Consistency::Eventual).unwrap();
        assert_eq!(eventual, Some(record(2)));
        let _ = backend.touch(&key, 3, 200, 1200).unwrap();
        let eventual = backend.load(&key, Consistency::Eventual).unwrap();
        assert_eq!(eventual, Some(record(3)));
        backend.set_stale_reads(StaleReads::Off);
        let _ = backend.touch(&key, 3, 300, 1300).unwrap();
        backend.set_stale_reads(StaleReads::On);
        let eventual = backend.load(&key, Consistency::Eventual).unwrap();
        assert_eq!(eventual.map(|r| r.issued_at), Some(300));
    }
}

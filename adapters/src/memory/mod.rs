//! An in-memory backend with DynamoDB's semantics, for tests and small deployments.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dynamodb_sessions::{
    ensure_item_fits, Backend, BackendError, CallCounter, CallCounts, Consistency, CreateOutcome,
    DeleteOutcome, Operation, Record, ReplaceOutcome, StorageKey, TouchOutcome,
};
use parking_lot::RwLock;

/// What the map holds under one key.
#[derive(Debug, Clone)]
enum Slot {
    /// A record, with the state it had before its last write (`None`: it did
    /// not exist), which stale reads return.
    Record {
        current: Record,
        previous: Option<Record>,
    },
    /// An item that is not a well-formed session record, as a foreign writer
    /// could leave in a DynamoDB table.
    Corrupt { reason: String },
}

#[derive(Debug, Default)]
struct Inner {
    items: RwLock<HashMap<StorageKey, Slot>>,
    stale_reads: AtomicBool,
    counters: CallCounter,
}

/// Session records in a map, under exactly DynamoDB's conditions: create only
/// if absent, replace only at the expected version, touch only if present,
/// and the same 400 KB item limit counted the same way. What passes on it
/// passes on DynamoDB.
///
/// The handle is cheap to clone; clones share the same map, so one backend
/// can serve many threads and a test can keep a handle to inspect it.
///
/// ```
/// use dynamodb_sessions::{SessionConfig, SessionManager};
/// use dynamodb_sessions_adapters::MemoryBackend;
///
/// let backend = MemoryBackend::new();
/// let manager = SessionManager::new(backend.clone(), SessionConfig::default());
/// let mut session = manager.load(None);
/// session.insert("user", "ada")?;
/// manager.commit(session, false)?;
/// assert_eq!(backend.len(), 1);
/// assert_eq!(backend.counts().creates, 1);
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

    /// Turns stale-read mode on or off. When on, eventually consistent loads
    /// return each record as it was before its last write (nothing, for a
    /// record created once), the way a lagging DynamoDB replica can; strong
    /// loads are always current. For testing read-your-writes without AWS.
    pub fn set_stale_reads(&self, on: bool) {
        self.inner.stale_reads.store(on, Ordering::SeqCst);
    }

    /// How many calls of each kind this store has served.
    pub fn counts(&self) -> CallCounts {
        self.inner.counters.snapshot()
    }

    /// Sets every call counter back to zero.
    pub fn reset_counts(&self) {
        self.inner.counters.reset();
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

    /// Puts an item under `key` that is not a well-formed session record, so
    /// that tests can check what happens when a foreign writer leaves one.
    /// Loading it gives [`BackendError::Corrupt`] with `reason`.
    pub fn insert_corrupt(&self, key: StorageKey, reason: impl Into<String>) {
        let reason = reason.into();
        self.inner
            .items
            .write()
            .insert(key, Slot::Corrupt { reason });
    }
}

impl Backend for MemoryBackend {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        self.inner.counters.count_load(consistency);
        let stale =
            consistency == Consistency::Eventual && self.inner.stale_reads.load(Ordering::SeqCst);
        match self.inner.items.read().get(key) {
            None => Ok(None),
            Some(Slot::Corrupt { reason }) => Err(BackendError::Corrupt {
                reason: reason.clone(),
            }),
            Some(Slot::Record { previous, .. }) if stale => Ok(previous.clone()),
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
            previous: None,
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
        ensure_item_fits(Operation::Replace, key, record)?;
        let mut items = self.inner.items.write();
        match items.get_mut(key) {
            Some(Slot::Record { current, previous }) if current.version == expected_version => {
                *previous = Some(std::mem::replace(current, record.clone()));
                Ok(ReplaceOutcome::Replaced)
            }
            _ => Ok(ReplaceOutcome::Conflict),
        }
    }

    fn touch(
        &self,
        key: &StorageKey,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.inner.counters.count_touch();
        let mut items = self.inner.items.write();
        match items.get_mut(key) {
            Some(Slot::Record { current, previous }) => {
                *previous = Some(current.clone());
                current.issued_at = issued_at;
                current.expires_at = expires_at;
                Ok(TouchOutcome::Touched)
            }
            // DynamoDB's `attribute_exists(sid)` holds for any item, well-formed or not.
            Some(Slot::Corrupt { .. }) => Ok(TouchOutcome::Touched),
            None => Ok(TouchOutcome::Missing),
        }
    }

    fn delete(&self, key: &StorageKey) -> Result<(), BackendError> {
        self.inner.counters.count_delete();
        self.inner.items.write().remove(key);
        Ok(())
    }

    fn delete_at_version(
        &self,
        key: &StorageKey,
        expected_version: u64,
    ) -> Result<DeleteOutcome, BackendError> {
        self.inner.counters.count_delete();
        let mut items = self.inner.items.write();
        match items.get(key) {
            Some(Slot::Record { current, .. }) if current.version == expected_version => {
                items.remove(key);
                Ok(DeleteOutcome::Deleted)
            }
            _ => Ok(DeleteOutcome::Conflict),
        }
    }
}

//! [`MemoryBackend`]'s test knob, kept off its own API so that an
//! application reading it sees only what a deployment uses. Reached through
//! [`crate::testing`].

use dynamodb_sessions_core::store::StorageKey;

use super::slot::Slot;
use super::MemoryBackend;

/// Test knob of [`MemoryBackend`]: corrupt items, for testing how session
/// logic treats what a foreign writer left. Lagging replicas and call
/// counts come from wrappers that serve every backend alike:
/// [`LaggingReads`](crate::testing::LaggingReads) and
/// [`CountingBackend`](crate::testing::CountingBackend).
///
/// ```
/// use dynamodb_sessions::store::{Backend, Consistency, StorageKey};
/// use dynamodb_sessions::testing::MemoryBackendTesting;
/// use dynamodb_sessions::{BackendError, MemoryBackend};
///
/// let backend = MemoryBackend::new();
/// let key = StorageKey::from_bytes([7; 32]);
/// backend.insert_corrupt(key, "missing attribute ver");
/// let loaded = backend.load(&key, Consistency::Strong);
/// assert!(matches!(loaded, Err(BackendError::Corrupt { .. })));
/// ```
pub trait MemoryBackendTesting: sealed::Sealed {
    /// Puts an item under `key` that is not a well-formed session record,
    /// as a foreign writer could leave in a DynamoDB table. Loading it gives
    /// [`BackendError::Corrupt`](crate::BackendError::Corrupt) with `reason`.
    fn insert_corrupt(&self, key: StorageKey, reason: &str);
}

impl MemoryBackendTesting for MemoryBackend {
    fn insert_corrupt(&self, key: StorageKey, reason: &str) {
        let reason = reason.to_owned();
        self.inner.items.write().put(key, Slot::Corrupt { reason });
    }
}

mod sealed {
    /// Only this crate's backends carry the knobs.
    pub trait Sealed {}
    impl Sealed for super::MemoryBackend {}
}

//! [`MemoryBackend`]'s test knobs, kept off its own API so that an
//! application reading it sees only what a deployment uses. Reached through
//! [`crate::testing`].

use std::sync::atomic::Ordering;

use dynamodb_sessions_core::store::StorageKey;
use dynamodb_sessions_core::testing::CallCounts;

use super::slot::Slot;
use super::MemoryBackend;

/// Whether eventually consistent loads see a lagging replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleReads {
    /// Every load is current (the default).
    #[default]
    Off,
    /// Eventually consistent loads return each record as it was before its
    /// last write made in this mode (nothing, for a record created in it),
    /// the way a lagging DynamoDB replica can; records last written outside
    /// the mode read as they are. Strong loads are always current.
    On,
}

/// Test knobs of [`MemoryBackend`]: lagging replicas, corrupt items and
/// call counts, for testing session logic without AWS.
///
/// ```
/// use dynamodb_sessions::testing::{MemoryBackendTesting, StaleReads};
/// use dynamodb_sessions::{MemoryBackend, Scheme, SessionConfig, SessionManager};
///
/// let backend = MemoryBackend::new();
/// backend.set_stale_reads(StaleReads::On);
/// let manager = SessionManager::new(backend.clone(), SessionConfig::default());
/// let mut session = manager.load(None);
/// session.insert("user", "ada")?;
/// manager.commit(session, Scheme::Http)?;
/// assert_eq!(backend.counts().creates, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait MemoryBackendTesting: sealed::Sealed {
    /// Turns lagging replicas on or off; see [`StaleReads`].
    fn set_stale_reads(&self, mode: StaleReads);

    /// Puts an item under `key` that is not a well-formed session record,
    /// as a foreign writer could leave in a DynamoDB table. Loading it gives
    /// [`BackendError::Corrupt`](crate::BackendError::Corrupt) with `reason`.
    fn insert_corrupt(&self, key: StorageKey, reason: &str);

    /// How many calls of each kind the store has served.
    fn counts(&self) -> CallCounts;

    /// Sets every call counter back to zero.
    fn reset_counts(&self);
}

impl MemoryBackendTesting for MemoryBackend {
    fn set_stale_reads(&self, mode: StaleReads) {
        self.inner
            .stale_reads
            .store(mode == StaleReads::On, Ordering::SeqCst);
    }

    fn insert_corrupt(&self, key: StorageKey, reason: &str) {
        let reason = reason.to_owned();
        self.inner.items.write().put(key, Slot::Corrupt { reason });
    }

    fn counts(&self) -> CallCounts {
        self.inner.counters.snapshot()
    }

    fn reset_counts(&self) {
        self.inner.counters.reset();
    }
}

mod sealed {
    /// Only this crate's backends carry the knobs.
    pub trait Sealed {}
    impl Sealed for super::MemoryBackend {}
}

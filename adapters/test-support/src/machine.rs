//! Shares of this test process, for tests that need it to themselves: a
//! private DynamoDB Local killed and restarted, the process's thread count
//! sampled, the process's environment changed. Every test of a binary that
//! has such tests holds a share for its whole run: [`beside_others`], or
//! [`alone`] for those.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dynamodb_sessions::store::StorageKey;
use dynamodb_sessions_conformance::{Corruption, Harness};

/// A test's share of the process, held for the whole test.
pub enum Share {
    /// Beside the other tests that share.
    Shared(RwLockReadGuard<'static, ()>),
    /// Alone in this test process.
    Alone(RwLockWriteGuard<'static, ()>),
}

static MACHINE: RwLock<()> = RwLock::new(());

/// Waits until no other test that holds a share runs, for a test that needs
/// the process to itself.
pub fn alone() -> Share {
    Share::Alone(MACHINE.write().unwrap_or_else(PoisonError::into_inner))
}

/// Runs beside other such tests, but never beside one that is [`alone`].
pub fn beside_others() -> Share {
    Share::Shared(MACHINE.read().unwrap_or_else(PoisonError::into_inner))
}

/// A conformance harness that holds a share [`beside_others`] while
/// `run_suite` runs the cases with it.
pub struct BesideOthers<H> {
    harness: H,
    _share: Share,
}

impl<H> BesideOthers<H> {
    /// `harness` (when it can run) with a share of the process.
    pub fn new(harness: Option<H>) -> Option<Self> {
        let share = beside_others();
        harness.map(|harness| BesideOthers {
            harness,
            _share: share,
        })
    }
}

impl<H: Harness> Harness for BesideOthers<H> {
    type Backend = H::Backend;

    fn fresh_backend(&self) -> H::Backend {
        self.harness.fresh_backend()
    }

    fn put_corrupt(&self, backend: &H::Backend, key: &StorageKey, corruption: Corruption) {
        self.harness.put_corrupt(backend, key, corruption);
    }
}

//! A wrapper that holds one load's answer back until the test lets it go,
//! so that other calls on the same key can be made while it is in flight.

use std::time::Duration;

use dynamodb_sessions_core::{
    store::Operation,
    store::{Backend, Consistency, Forward, LoadOutcome, StorageKey},
    BackendError,
};
use parking_lot::{Condvar, Mutex};

/// A held load waits at most this long for its release, so that a failing
/// test cannot hang.
const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// How a held load ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// It answers what the store said.
    Answer,
    /// It fails.
    Fail,
    /// It panics, as a broken backend might.
    Panic,
}

#[derive(Debug, Default)]
struct Gate {
    hold_next: bool,
    held: bool,
    release: Option<Release>,
}

/// Passes every call through, except that after
/// [`hold_next_load`](Self::hold_next_load) the next load reads the store
/// and then waits for [`release`](Self::release) before answering.
pub(crate) struct HeldLoads<B> {
    inner: B,
    gate: Mutex<Gate>,
    changed: Condvar,
}

impl<B: Backend> HeldLoads<B> {
    pub(crate) fn new(inner: B) -> Self {
        HeldLoads {
            inner,
            gate: Mutex::new(Gate::default()),
            changed: Condvar::new(),
        }
    }

    /// The wrapped backend.
    pub(crate) fn inner(&self) -> &B {
        &self.inner
    }

    /// The next load will wait for a release.
    pub(crate) fn hold_next_load(&self) {
        *self.gate.lock() = Gate {
            hold_next: true,
            ..Gate::default()
        };
    }

    /// Waits until the held load has read the store.
    pub(crate) fn wait_until_held(&self) {
        let mut gate = self.gate.lock();
        while !gate.held {
            assert!(
                !self.changed.wait_for(&mut gate, HOLD_LIMIT).timed_out(),
                "no load arrived to be held"
            );
        }
    }

    /// Lets the held load go, as `how` says.
    pub(crate) fn release(&self, how: Release) {
        self.gate.lock().release = Some(how);
        self.changed.notify_all();
    }

    fn hold(&self) -> Option<Release> {
        let mut gate = self.gate.lock();
        if !gate.hold_next {
            return None;
        }
        gate.hold_next = false;
        gate.held = true;
        self.changed.notify_all();
        while gate.release.is_none() {
            if self.changed.wait_for(&mut gate, HOLD_LIMIT).timed_out() {
                return Some(Release::Answer);
            }
        }
        gate.release
    }
}

impl<B: Backend> Forward for HeldLoads<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let answer = self.inner.load(key, consistency);
        match self.hold() {
            None | Some(Release::Answer) => answer,
            Some(Release::Fail) => Err(BackendError::Unavailable {
                operation: Operation::Load,
                attempts: 1,
                source: "held load released with a failure".into(),
            }),
            Some(Release::Panic) => panic!("held load released with a panic"),
        }
    }
}

//! Call counters, so that tests and benchmarks can see what a request cost.

use std::sync::atomic::{AtomicU64, Ordering};

use dynamodb_sessions::Consistency;

/// A relaxed atomic counter: exact totals, no ordering between counters.
#[derive(Debug, Default)]
pub(super) struct Counter(AtomicU64);

impl Counter {
    pub(super) fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) eventual_loads: Counter,
    pub(super) strong_loads: Counter,
    pub(super) creates: Counter,
    pub(super) replaces: Counter,
    pub(super) touches: Counter,
    pub(super) deletes: Counter,
}

impl Counters {
    pub(super) fn count_load(&self, consistency: Consistency) {
        match consistency {
            Consistency::Eventual => self.eventual_loads.increment(),
            Consistency::Strong => self.strong_loads.increment(),
        }
    }

    pub(super) fn snapshot(&self) -> CallCounts {
        CallCounts {
            eventual_loads: self.eventual_loads.get(),
            strong_loads: self.strong_loads.get(),
            creates: self.creates.get(),
            replaces: self.replaces.get(),
            touches: self.touches.get(),
            deletes: self.deletes.get(),
        }
    }

    pub(super) fn reset(&self) {
        for counter in [
            &self.eventual_loads,
            &self.strong_loads,
            &self.creates,
            &self.replaces,
            &self.touches,
            &self.deletes,
        ] {
            counter.reset();
        }
    }
}

/// How many calls of each kind a [`MemoryBackend`](super::MemoryBackend)
/// served, attempted ones included.
///
/// ```
/// use dynamodb_sessions_adapters::CallCounts;
///
/// let counts = CallCounts { eventual_loads: 1, creates: 1, ..CallCounts::default() };
/// assert_eq!(counts.loads(), 1);
/// assert_eq!(counts.writes(), 1);
/// assert_eq!(counts.total(), 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Eventually consistent loads.
    pub eventual_loads: u64,
    /// Strongly consistent loads.
    pub strong_loads: u64,
    /// Creates.
    pub creates: u64,
    /// Replaces.
    pub replaces: u64,
    /// Touches.
    pub touches: u64,
    /// Deletes.
    pub deletes: u64,
}

impl CallCounts {
    /// Loads of either consistency.
    pub fn loads(&self) -> u64 {
        self.eventual_loads + self.strong_loads
    }

    /// Creates, replaces, touches and deletes.
    pub fn writes(&self) -> u64 {
        self.creates + self.replaces + self.touches + self.deletes
    }

    /// Every call.
    pub fn total(&self) -> u64 {
        self.loads() + self.writes()
    }
}

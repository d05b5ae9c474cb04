//! How a [`ReadCache`](super::ReadCache) bounds staleness, memory and
//! waiting.

use std::time::Duration;

/// Whether concurrent loads of one key share one store call.
///
/// A load shares only a call sent less than
/// [`max_staleness`](CacheSettings::max_staleness) before the load
/// started. A call's answer may show the store as it was when the call was
/// sent, like a cached record produced by it; so a load that joined an
/// older call, still waiting on the store, could miss a logout made
/// elsewhere more than `max_staleness` before it started, which it would
/// see with coalescing off. A load that finds only such a call in flight
/// makes its own, which later loads share; and the older call's answer,
/// when it comes, never replaces the newer one in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coalescing {
    /// Every load that misses the cache makes its own store call.
    Off,
    /// A load that finds another load of the same key in flight, sent less
    /// than `max_staleness` before it started, waits for its answer, at
    /// most this long; after that, or if that call fails, it makes its own
    /// call. No load ever waits longer.
    WaitUpTo(Duration),
}

/// Bounds of a [`ReadCache`](super::ReadCache). Fields may be added in later
/// versions: start from [`CacheSettings::DEFAULT`] and change what you need
/// with the `const` `with_*` methods.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions_core::cache::{CacheSettings, Coalescing};
///
/// const SETTINGS: CacheSettings = CacheSettings::DEFAULT
///     .max_staleness(Duration::from_millis(500))
///     .coalescing(Coalescing::Off);
/// assert_eq!(SETTINGS.max_entries, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheSettings {
    /// The oldest a cached record may be when it is served, counted from
    /// the moment the store call that produced it was sent. Another
    /// process's write or logout is seen here at most this late. Default
    /// 1 s.
    pub max_staleness: Duration,
    /// Most records held. Default 10,000.
    pub max_entries: usize,
    /// Most bytes held, counted as each record's data plus
    /// [`ENTRY_OVERHEAD`](Self::ENTRY_OVERHEAD). A record larger than this
    /// is never cached. Default 32 MiB.
    pub max_bytes: usize,
    /// Whether, and how long, concurrent loads of one key wait for one
    /// store call. Default [`Coalescing::WaitUpTo`] 500 ms.
    pub coalescing: Coalescing,
}

impl CacheSettings {
    /// What each cached record costs on top of its data, in the byte
    /// count: its key, numbers and the bookkeeping around them.
    pub const ENTRY_OVERHEAD: usize = 160;

    /// 1 s of staleness, 10,000 records, 32 MiB, loads wait up to 500 ms
    /// for a shared call:
    ///
    /// - **1 s**: the staleness an eventually consistent read already
    ///   accepts (see the known limits in the `dynamodb-sessions` guide),
    ///   and long enough to cover one page load's burst of requests and the
    ///   next click's redirect;
    /// - **10,000 records**: the sessions a busy process sees within one
    ///   second; beyond that the oldest (stalest) records go first;
    /// - **32 MiB**: 10,000 sessions of 3 KB, or 80 of DynamoDB's largest
    ///   items: a fixed ceiling whatever a flood of cookies brings;
    /// - **500 ms**: a hundred times a healthy read, so a burst shares one
    ///   call; a call slower than that is being retried, and a waiter does
    ///   better with its own call than by waiting up to the 5 s call bound.
    pub const DEFAULT: CacheSettings = CacheSettings {
        max_staleness: Duration::from_secs(1),
        max_entries: 10_000,
        max_bytes: 32 * 1024 * 1024,
        coalescing: Coalescing::WaitUpTo(Duration::from_millis(500)),
    };

    /// These settings with [`max_staleness`](Self::max_staleness) set.
    #[must_use]
    pub const fn max_staleness(mut self, max_staleness: Duration) -> Self {
        self.max_staleness = max_staleness;
        self
    }

    /// These settings with [`max_entries`](Self::max_entries) set.
    #[must_use]
    pub const fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// These settings with [`max_bytes`](Self::max_bytes) set.
    #[must_use]
    pub const fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// These settings with [`coalescing`](Self::coalescing) set.
    #[must_use]
    pub const fn coalescing(mut self, coalescing: Coalescing) -> Self {
        self.coalescing = coalescing;
        self
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

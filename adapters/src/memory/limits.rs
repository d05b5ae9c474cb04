//! How large a [`MemoryBackend`](super::MemoryBackend) may grow, and what
//! it does when full.

/// What a full store does with a write that needs more room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Refuse it with [`BackendError::Full`](crate::BackendError::Full):
    /// sessions already held are kept, new ones fail until old ones expire.
    /// New sessions may fill only 90% of either limit; the last 10% is kept
    /// for the sessions already there, so that they can still grow and log
    /// in. The default, because a flood of new visitors (or one client
    /// sending cookie-less writes) must not log out the users already there.
    #[default]
    RefuseNew,
    /// Drop ended records (tombstones), then the sessions that would idle
    /// out soonest (the least recently active), until the write fits: new
    /// sessions succeed, and a flood pushes out the quietest users first. A
    /// write too large for the whole store is refused without evicting
    /// anything.
    EvictSoonestExpiring,
}

/// Bounds of a [`MemoryBackend`](super::MemoryBackend). Fields may be added
/// in later versions: start from [`MemoryLimits::DEFAULT`] and change what
/// you need with the `with_*` methods.
///
/// ```
/// use dynamodb_sessions::{MemoryBackend, MemoryLimits, WhenFull};
///
/// let backend = MemoryBackend::with_limits(
///     MemoryLimits::DEFAULT
///         .with_max_sessions(10_000)
///         .with_when_full(WhenFull::EvictSoonestExpiring),
/// );
/// assert_eq!(backend.limits().max_sessions, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryLimits {
    /// Most items held: sessions not ended plus the ended ones kept for an
    /// hour (tombstones);
    /// [`MemoryBackend::len`](super::MemoryBackend::len) and
    /// [`ended_len`](super::MemoryBackend::ended_len) count them. Default
    /// 100,000.
    pub max_sessions: usize,
    /// Most bytes of items held, counted as DynamoDB counts item sizes (the
    /// process uses somewhat more; see the README's measurements). Default
    /// 256 MiB.
    pub max_bytes: usize,
    /// What a write that needs more room does. Default
    /// [`WhenFull::RefuseNew`].
    pub when_full: WhenFull,
}

impl MemoryLimits {
    /// 100,000 sessions, 256 MiB, refuse new sessions when full: room for a
    /// small deployment's users at a few KB each, and a hard ceiling on
    /// what a flood of cookie-less requests can take.
    pub const DEFAULT: MemoryLimits = MemoryLimits {
        max_sessions: 100_000,
        max_bytes: 256 * 1024 * 1024,
        when_full: WhenFull::RefuseNew,
    };

    /// These limits with [`max_sessions`](Self::max_sessions) set.
    #[must_use]
    pub const fn with_max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// These limits with [`max_bytes`](Self::max_bytes) set.
    #[must_use]
    pub const fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// These limits with [`when_full`](Self::when_full) set.
    #[must_use]
    pub const fn with_when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }
}

impl Default for MemoryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

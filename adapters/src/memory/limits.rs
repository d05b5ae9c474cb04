//! How large a [`MemoryBackend`](super::MemoryBackend) may grow, and what
//! it does when full.

/// What a full store does with a write that needs more room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Refuse it with [`BackendError::Full`](crate::BackendError::Full):
    /// sessions already held are kept, new ones fail until old ones expire.
    /// The default, because a flood of new visitors (or one client sending
    /// cookie-less writes) must not log out the users already there, nor
    /// keep them from logging in.
    ///
    /// New sessions may fill only 90% of either limit with sessions that
    /// have not ended, and take only room nobody holds: the last 10% is
    /// kept for the sessions already there, so that they can still grow and
    /// log in (a login writes a new record before it ends the old one).
    ///
    /// Ended records (tombstones) hold that room only until those sessions
    /// need it: their writes remove ended records, oldest first, before
    /// they are refused. Each login leaves a tombstone under the ID it
    /// leaves, so without this one account logging in over and over could
    /// fill the room kept for everyone with its own tombstones. In memory a
    /// tombstone guards little: a write to a key no longer there fails as
    /// it would on the tombstone, and new keys are always fresh random
    /// ones, so a logged-out session never comes back. What goes with it is
    /// only its [`successor`](crate::store::Record::successor): a logout
    /// from a stale tab still holding the ID a login left then ends nothing
    /// (rather than the session the login moved to). For the same reason a
    /// tombstone does not count towards the new sessions' 90%: the place a
    /// logout frees is a new session's again.
    ///
    /// Live sessions are never removed for room: a write of a session
    /// already there is refused when live sessions alone fill a limit (say,
    /// when sessions already there have grown into the last 10% of
    /// bytes).
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
/// Under the default [`WhenFull::RefuseNew`], new sessions may fill 90% of
/// either limit and the rest is kept for the sessions already there; ended
/// records give up their room to those sessions' writes. Size the limits
/// for the users you expect at 90%.
///
/// ```
/// use dynamodb_sessions::{MemoryBackend, MemoryLimits, WhenFull};
///
/// let backend = MemoryBackend::with_limits(
///     MemoryLimits::DEFAULT
///         .max_sessions(10_000)
///         .when_full(WhenFull::EvictSoonestExpiring),
/// );
/// assert_eq!(backend.limits().max_sessions, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryLimits {
    /// Most items held: sessions not ended plus the ended ones
    /// (tombstones), kept for an hour unless their room is needed (see
    /// [`WhenFull`]); [`MemoryBackend::len`](super::MemoryBackend::len)
    /// and [`ended_len`](super::MemoryBackend::ended_len) count them.
    /// Default 100,000.
    pub max_sessions: usize,
    /// Most bytes of items held, counted as DynamoDB counts item sizes (the
    /// process uses somewhat more; see the measurements in the repository's
    /// `adapters/BENCHMARKS.md`). Default
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
    pub const fn max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// These limits with [`max_bytes`](Self::max_bytes) set.
    #[must_use]
    pub const fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// How much of each limit, sessions and bytes, new sessions may fill
    /// with live records under [`WhenFull::RefuseNew`]: 90%.
    pub(super) const fn new_sessions_share(&self) -> (usize, usize) {
        (
            self.max_sessions - self.max_sessions / 10,
            self.max_bytes - self.max_bytes / 10,
        )
    }

    /// These limits with [`when_full`](Self::when_full) set.
    #[must_use]
    pub const fn when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }
}

impl Default for MemoryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

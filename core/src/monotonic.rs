//! Monotonic time, behind a trait so that tests (and the interleavings
//! checker) can drive the read cache's staleness bound by hand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A time source that never goes back, for measuring how old a cached
/// record is. Unlike [`Clock`](crate::Clock) (wall-clock seconds, which a
/// clock adjustment can move), it only counts time passing.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions_core::testing::{MonotonicClock, SystemMonotonicClock};
///
/// let clock = SystemMonotonicClock::new();
/// let before = clock.elapsed();
/// assert!(clock.elapsed() >= before);
/// ```
pub trait MonotonicClock: Send + Sync {
    /// Time since an origin of the source's choosing. Successive calls
    /// never return less than an earlier call did.
    fn elapsed(&self) -> Duration;
}

/// The operating system's monotonic clock ([`Instant`]), counted from the
/// moment it was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonicClock {
    origin: Instant,
}

impl SystemMonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemMonotonicClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemMonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl MonotonicClock for SystemMonotonicClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A monotonic clock that stands still until told to move, for tests.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions_core::testing::{ManualMonotonicClock, MonotonicClock};
///
/// let clock = ManualMonotonicClock::new();
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.elapsed(), Duration::from_millis(1500));
/// ```
#[derive(Debug, Default)]
pub struct ManualMonotonicClock {
    nanos: AtomicU64,
}

impl ManualMonotonicClock {
    /// A clock at its origin (zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (saturating after about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by))
            });
    }
}

impl MonotonicClock for ManualMonotonicClock {
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

impl<C: MonotonicClock + ?Sized> MonotonicClock for std::sync::Arc<C> {
    fn elapsed(&self) -> Duration {
        (**self).elapsed()
    }
}

//! Time, behind a trait so that tests can move it by hand.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in whole seconds since the Unix epoch
/// (sessions and their records count whole seconds).
///
/// Implementing it needs no date-time crate:
///
/// ```
/// use dynamodb_sessions_core::testing::{Clock, SystemClock};
///
/// struct Frozen(i64);
///
/// impl Clock for Frozen {
///     fn now(&self) -> i64 {
///         self.0
///     }
/// }
///
/// assert_eq!(Frozen(1_700_000_000).now(), 1_700_000_000);
/// assert!(SystemClock.now() > 1_600_000_000);
/// ```
pub trait Clock: Send + Sync {
    /// The current time in whole seconds since 1970-01-01T00:00:00Z
    /// (negative before it), rounded down.
    fn now(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        unix_seconds(SystemTime::now())
    }
}

/// Whole seconds since the Unix epoch, rounded down (towards the past).
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = before.as_secs() + u64::from(before.subsec_nanos() > 0);
            i64::try_from(whole).map_or(i64::MIN, |seconds| -seconds)
        }
    }
}

/// A clock that stands still until told to move, for tests.
///
/// It counts whole seconds, as session records do.
///
/// ```
/// use dynamodb_sessions_core::testing::{ManualClock, Clock};
///
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(120);
/// assert_eq!(clock.now(), 1_700_000_120);
/// clock.set(5);
/// assert_eq!(clock.now(), 5);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    unix_seconds: AtomicI64,
}

impl ManualClock {
    /// A clock showing `unix_seconds`.
    pub fn new(unix_seconds: i64) -> Self {
        ManualClock {
            unix_seconds: AtomicI64::new(unix_seconds),
        }
    }

    /// Sets the time to `unix_seconds`.
    pub fn set(&self, unix_seconds: i64) {
        self.unix_seconds.store(unix_seconds, Ordering::SeqCst);
    }

    /// Moves the time forward by `seconds` (backward if negative).
    pub fn advance(&self, seconds: i64) {
        self.unix_seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.unix_seconds.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> i64 {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn unix_seconds_round_towards_the_past() {
        let at = |offset: Duration, after: bool| {
            unix_seconds(if after {
                UNIX_EPOCH + offset
            } else {
                UNIX_EPOCH - offset
            })
        };
        assert_eq!(at(Duration::ZERO, true), 0);
        assert_eq!(
            at(Duration::from_millis(1_700_000_000_999), true),
            1_700_000_000
        );
        assert_eq!(at(Duration::from_millis(500), false), -1);
        assert_eq!(at(Duration::from_secs(2), false), -2);
    }
}

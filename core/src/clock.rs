//! Time, behind a trait so that tests can move it by hand.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A source of the current time.
///
/// ```
/// use dynamodb_sessions_core::{Clock, SystemClock};
///
/// assert!(SystemClock.now().timestamp() > 1_600_000_000);
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move, for tests.
///
/// It counts whole seconds, as session records do.
///
/// ```
/// use dynamodb_sessions_core::{Clock, testing::ManualClock};
///
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(120);
/// assert_eq!(clock.now().timestamp(), 1_700_000_120);
/// clock.set(5);
/// assert_eq!(clock.now().timestamp(), 5);
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
    fn now(&self) -> DateTime<Utc> {
        let seconds = self.unix_seconds.load(Ordering::SeqCst);
        DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

//! Bounded retries with exponential backoff and full jitter, and a time
//! limit on every attempt.

use std::future::Future;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::{store::Operation, store::MAX_ITEM_SIZE, BackendError};

use super::failure::Failure;

/// How the backend retries and times out its calls.
///
/// A call is tried up to [`max_attempts`](Self::max_attempts) times. Between
/// attempts it sleeps for a random time between zero and
/// `min(max_delay, base_delay * 2^(attempt - 1))` ("full jitter"). Only
/// throttling, 5xx answers, transport errors, requests that could not be
/// signed for want of credentials, and attempts that ran out of time are
/// retried; everything else is final at once. A create is the exception:
/// after an attempt whose answer was lost (a 5xx, a transport error, a
/// timeout) it is never sent again, and the backend reads the key instead.
///
/// One deadline, [`call_timeout`](Self::call_timeout), covers the whole
/// backend call: every attempt, every backoff and the read that decides a
/// write whose answer was lost. No call returns later than that, and no
/// attempt runs past it: `max_attempts × attempt_timeout` (plus backoffs)
/// above `call_timeout` is normal (the defaults, 4 × 2 s against 5 s, give
/// a store that never answers three attempts), and an `attempt_timeout`
/// above `call_timeout` leaves one attempt per call, cut off at the
/// deadline. A call that runs out of time is
/// [`BackendError::Timeout`](crate::BackendError::Timeout) with `after` the
/// time its caller waited.
///
/// Fields may be added in later versions, so a policy is built from
/// [`RetryConfig::DEFAULT`] with the `with_*` methods, which are `const`:
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions::dynamodb::RetryConfig;
///
/// const RETRY: RetryConfig = RetryConfig::DEFAULT
///     .max_attempts(6)
///     .attempt_timeout(Duration::from_millis(500));
/// assert_eq!(RETRY.max_attempts, 6);
/// assert_eq!(RETRY.base_delay, Duration::from_millis(25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts per call, the first included. 0 is taken as 1. Default 4.
    pub max_attempts: u32,
    /// Backoff before the second attempt, doubling after each. Default 25 ms.
    pub base_delay: Duration,
    /// Upper bound of any one backoff. Default 1 s.
    pub max_delay: Duration,
    /// Time limit of a single attempt, never past the call's deadline, and
    /// of each request of `create_table_if_missing`. Default 2 s.
    pub attempt_timeout: Duration,
    /// Time limit of a whole backend call, all attempts and checks
    /// included. Default 5 s: room for a slow attempt and a retry or two,
    /// short enough that a request waiting on the store fails while its
    /// user is still there.
    pub call_timeout: Duration,
}

/// The stand-in for a call timeout too large to add to an instant.
const A_YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

impl Default for RetryConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl RetryConfig {
    /// The default policy: 4 attempts, backoff from 25 ms up to 1 s, 2 s per
    /// attempt, 5 s per call.
    pub const DEFAULT: RetryConfig = RetryConfig {
        max_attempts: 4,
        base_delay: Duration::from_millis(25),
        max_delay: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_secs(5),
    };

    /// This policy with [`max_attempts`](Self::max_attempts) set.
    #[must_use]
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// This policy with [`base_delay`](Self::base_delay) set.
    #[must_use]
    pub const fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// This policy with [`max_delay`](Self::max_delay) set.
    #[must_use]
    pub const fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// This policy with [`attempt_timeout`](Self::attempt_timeout) set.
    #[must_use]
    pub const fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// This policy with [`call_timeout`](Self::call_timeout) set.
    #[must_use]
    pub const fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// The deadline of a call starting now; a timeout too large to add
    /// (`Duration::MAX` for "no limit") is a year.
    pub(crate) fn deadline(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.call_timeout)
            .or_else(|| now.checked_add(A_YEAR))
            .unwrap_or(now)
    }

    /// How long the call whose [`deadline`](Self::deadline) is `deadline`
    /// has run, to the millisecond: what its caller has waited.
    fn waited(&self, deadline: Instant) -> Duration {
        let started = deadline
            .checked_sub(self.call_timeout)
            .or_else(|| deadline.checked_sub(A_YEAR))
            .unwrap_or(deadline);
        let waited = started.elapsed();
        Duration::from_millis(u64::try_from(waited.as_millis()).unwrap_or(u64::MAX))
    }

    /// The longest backoff after failed attempt number `attempt` (1-based).
    pub(crate) fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// A random backoff between zero and [`backoff_ceiling`](Self::backoff_ceiling).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff_ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let mut bytes = [0u8; 8];
        // Without randomness, wait the full ceiling: slower, still correct.
        if nanos == 0 || getrandom::getrandom(&mut bytes).is_err() {
            return ceiling;
        }
        Duration::from_nanos(u64::from_le_bytes(bytes) % (nanos + 1).max(1))
    }
}

/// Why a call stopped without a result.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The write's condition failed. `ambiguous` says whether an earlier
    /// attempt may have been applied (it timed out or failed in transport),
    /// in which case the condition may have failed because of our own write.
    ConditionFailed {
        /// Whether an earlier attempt may have been applied.
        ambiguous: bool,
    },
    /// A final error.
    Error(BackendError),
    /// Under [`Resend::OnlyIfRefused`]: an attempt may have been applied
    /// (its answer was lost), so the call was not sent again. Its error.
    MaybeApplied(BackendError),
}

/// Which failed attempts a call may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// After every failure worth retrying: reads, and writes whose
    /// condition no second copy can pass.
    AfterAnyRetryable,
    /// Only after a certain refusal (throttled, never sent): a create,
    /// which must never be sent twice to one key.
    OnlyIfRefused,
}

/// Runs `call` under `config`'s retry policy, giving up at `deadline`.
/// `call` makes one attempt with whichever client and says what its
/// failure means; the policy is the same for every client.
pub(crate) async fn execute<T, F, Fut>(
    config: &RetryConfig,
    operation: Operation,
    deadline: Instant,
    call: F,
) -> Result<T, Stop>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    execute_with(config, operation, deadline, Resend::AfterAnyRetryable, call).await
}

/// [`execute`], resending only as `resend` allows.
pub(crate) async fn execute_with<T, F, Fut>(
    config: &RetryConfig,
    operation: Operation,
    deadline: Instant,
    resend: Resend,
    mut call: F,
) -> Result<T, Stop>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let max_attempts = config.max_attempts.max(1);
    let mut ambiguous = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Stop::Error(BackendError::Timeout {
                operation,
                after: config.waited(deadline),
            }));
        }
        let limit = config.attempt_timeout.min(remaining);
        let failure = match tokio::time::timeout(limit, call()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(failure)) => Some(failure),
            Err(_elapsed) => None,
        };
        let error = match failure {
            Some(Failure::ConditionFailed) => return Err(Stop::ConditionFailed { ambiguous }),
            Some(Failure::TooLarge) => {
                return Err(Stop::Error(BackendError::ItemTooLarge {
                    operation,
                    size: None,
                    limit: MAX_ITEM_SIZE,
                }))
            }
            Some(Failure::Rejected(source)) => {
                return Err(Stop::Error(BackendError::Rejected { operation, source }))
            }
            Some(Failure::Throttled(source)) => BackendError::Throttled {
                operation,
                attempts: attempt,
                source,
            },
            Some(Failure::Transient(source)) => {
                ambiguous = true;
                BackendError::Unavailable {
                    operation,
                    attempts: attempt,
                    source,
                }
            }
            Some(Failure::NotSent(source)) => BackendError::Unavailable {
                operation,
                attempts: attempt,
                source,
            },
            // What the caller waited, every attempt and backoff included
            // (the attempt's own limit is the policy's, not news).
            None => {
                ambiguous = true;
                BackendError::Timeout {
                    operation,
                    after: config.waited(deadline),
                }
            }
        };
        if ambiguous && resend == Resend::OnlyIfRefused {
            return Err(Stop::MaybeApplied(error));
        }
        let pause = config.backoff(attempt);
        if attempt >= max_attempts || Instant::now() + pause >= deadline {
            return Err(Stop::Error(error));
        }
        log::debug!("session {operation} attempt {attempt} failed, retrying: {error}");
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fast() -> RetryConfig {
        RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            attempt_timeout: Duration::from_millis(200),
            call_timeout: Duration::from_secs(2),
        }
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let config = RetryConfig::default();
        assert_eq!(config.backoff_ceiling(1), Duration::from_millis(25));
        assert_eq!(config.backoff_ceiling(2), Duration::from_millis(50));
        assert_eq!(config.backoff_ceiling(3), Duration::from_millis(100));
        assert_eq!(config.backoff_ceiling(7), Duration::from_secs(1));
        assert_eq!(config.backoff_ceiling(40), Duration::from_secs(1));
        assert_eq!(config.backoff_ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn backoff_is_jittered_within_the_ceiling() {
        let config = RetryConfig::default();
        let delays: Vec<Duration> = (0..50).map(|_| config.backoff(3)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(100)));
        assert!(delays.iter().any(|d| *d != delays[0]), "no jitter");
        let zero = RetryConfig {
            base_delay: Duration::ZERO,
            ..config
        };
        assert_eq!(zero.backoff(2), Duration::ZERO);
    }

    #[test]
    fn throttling_is_retried_then_reported() {
        let calls = Cell::new(0);
        let result: Result<(), Stop> = run(execute(
            &fast(),
            Operation::Create,
            fast().deadline(),
            || {
                calls.set(calls.get() + 1);
                async { Err(Failure::Throttled("slow".into())) }
            },
        ));
        assert_eq!(calls.get(), 3);
        match result {
            Err(Stop::Error(BackendError::Throttled { attempts: 3, .. })) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_transient_failure_then_success_succeeds() {
        let calls = Cell::new(0);
        let result = run(execute(&fast(), Operation::Load, fast().deadline(), || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n == 1 {
                    Err(Failure::Transient("reset".into()))
                } else {
                    Ok(n)
                }
            }
        }));
        assert_eq!(result.ok(), Some(2));
    }

    #[test]
    fn a_request_never_sent_is_retried_and_leaves_no_doubt() {
        let calls = Cell::new(0);
        let result: Result<(), Stop> = run(execute(
            &fast(),
            Operation::Replace,
            fast().deadline(),
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n == 1 {
                        Err(Failure::NotSent("no credentials yet".into()))
                    } else {
                        Err(Failure::ConditionFailed)
                    }
                }
            },
        ));
        assert_eq!(calls.get(), 2);
        assert!(matches!(
            result,
            Err(Stop::ConditionFailed { ambiguous: false })
        ));
    }

    #[test]
    fn a_condition_failure_after_a_timeout_is_ambiguous() {
        let calls = Cell::new(0);
        let result: Result<(), Stop> = run(execute(
            &fast(),
            Operation::Replace,
            fast().deadline(),
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n == 1 {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    Err(Failure::ConditionFailed)
                }
            },
        ));
        assert!(matches!(
            result,
            Err(Stop::ConditionFailed { ambiguous: true })
        ));
        let result: Result<(), Stop> = run(execute(
            &fast(),
            Operation::Replace,
            fast().deadline(),
            || async { Err(Failure::ConditionFailed) },
        ));
        assert!(matches!(
            result,
            Err(Stop::ConditionFailed { ambiguous: false })
        ));
    }

    #[test]
    fn only_refusals_are_resent_when_asked() {
        let calls = Cell::new(0);
        let result: Result<(), Stop> = run(execute_with(
            &fast(),
            Operation::Create,
            fast().deadline(),
            Resend::OnlyIfRefused,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    match n {
                        1 => Err(Failure::Throttled("slow".into())),
                        2 => Err(Failure::NotSent("no credentials yet".into())),
                        _ => Err(Failure::Transient("reset".into())),
                    }
                }
            },
        ));
        assert_eq!(calls.get(), 3, "refusals resent, then one lost answer");
        assert!(matches!(
            result,
            Err(Stop::MaybeApplied(BackendError::Unavailable { .. }))
        ));
        let calls = Cell::new(0);
        let result: Result<(), Stop> = run(execute_with(
            &fast(),
            Operation::Create,
            fast().deadline(),
            Resend::OnlyIfRefused,
            || {
                calls.set(calls.get() + 1);
                async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(())
                }
            },
        ));
        assert_eq!(calls.get(), 1, "a timed-out attempt is not resent");
        assert!(matches!(
            result,
            Err(Stop::MaybeApplied(BackendError::Timeout { .. }))
        ));
    }

    #[test]
    fn a_call_timeout_too_large_to_add_is_no_overflow() {
        let config = RetryConfig {
            call_timeout: Duration::MAX,
            ..RetryConfig::default()
        };
        assert!(config.deadline() > Instant::now() + Duration::from_secs(3600));
    }

    #[test]
    fn one_deadline_bounds_every_attempt() {
        let config = RetryConfig {
            max_attempts: 20,
            attempt_timeout: Duration::from_millis(100),
            call_timeout: Duration::from_millis(250),
            ..fast()
        };
        let started = Instant::now();
        let result: Result<(), Stop> = run(execute(
            &config,
            Operation::Load,
            config.deadline(),
            || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Err(Failure::Rejected("unreachable".into()))
            },
        ));
        assert!(matches!(
            result,
            Err(Stop::Error(BackendError::Timeout { .. }))
        ));
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn timeouts_are_reported_as_timeouts() {
        let result: Result<(), Stop> = run(execute(
            &fast(),
            Operation::Touch,
            fast().deadline(),
            || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Err(Failure::Rejected("unreachable".into()))
            },
        ));
        // Three attempts of 200 ms each, and two short backoffs: the
        // caller waited all of that, not the last attempt's 200 ms.
        match result {
            Err(Stop::Error(BackendError::Timeout { after, .. })) => {
                assert!(after >= Duration::from_millis(600), "{after:?}");
                assert!(after < Duration::from_millis(900), "{after:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_call_cut_off_by_its_deadline_reports_the_deadline() {
        let config = RetryConfig {
            max_attempts: 20,
            attempt_timeout: Duration::from_millis(150),
            call_timeout: Duration::from_millis(400),
            ..fast()
        };
        let started = Instant::now();
        let result: Result<(), Stop> = run(execute(
            &config,
            Operation::Load,
            config.deadline(),
            || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            },
        ));
        let waited = started.elapsed();
        match result {
            Err(Stop::Error(BackendError::Timeout { after, .. })) => {
                assert!(after >= Duration::from_millis(400), "{after:?}");
                assert!(after <= waited, "{after:?} > {waited:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejections_are_final_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), Stop> =
            run(execute(&fast(), Operation::End, fast().deadline(), || {
                calls.set(calls.get() + 1);
                async { Err(Failure::Rejected("no table".into())) }
            }));
        assert_eq!(calls.get(), 1);
        assert!(matches!(
            result,
            Err(Stop::Error(BackendError::Rejected { .. }))
        ));
    }
}

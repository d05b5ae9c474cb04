//! Cases with a [`ReadCache`](dynamodb_sessions_core::cache::ReadCache) in front of
//! the backend: what the cache promises, on every backend. Two fixtures
//! over one store, each with its own cache, are two processes.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::{
    cache::CacheSettings,
    cache::CacheStats,
    cache::Coalescing,
    store::{Backend, Consistency},
    testing::{CallCounts, ManualClock, ManualMonotonicClock},
    CommitError, SessionConfig,
};

use crate::fixture::{cookie_pair, key_of, now, Fixture};
use crate::held_loads::{HeldLoads, Release};
use crate::lost_answers::LostAnswers;
use crate::Harness;

/// The defaults: 1 s of staleness.
const SETTINGS: CacheSettings = CacheSettings::DEFAULT;

const MILLI: Duration = Duration::from_millis(1);

/// One strongly consistent load, nothing else.
const ONE_STRONG_LOAD: CallCounts = CallCounts {
    eventual_loads: 0,
    strong_loads: 1,
    creates: 0,
    replaces: 0,
    touches: 0,
    ends: 0,
    checked_loads: 0,
    generation_reads: 0,
    advances: 0,
    lists: 0,
};

/// One process with a cache on `backend`, and the cache's clock.
fn process<B: Backend + 'static>(
    backend: B,
    config: SessionConfig,
    settings: CacheSettings,
) -> (Fixture<B>, Arc<ManualMonotonicClock>) {
    let time = Arc::new(ManualMonotonicClock::new());
    let clock = Arc::new(ManualClock::new(now()));
    let f = Fixture::cached(backend, config, settings, clock, Arc::clone(&time));
    (f, time)
}

/// Two processes, each with its own cache and settings, over one store,
/// on shared clocks.
#[allow(clippy::type_complexity)]
fn two_processes<H: Harness>(
    harness: &H,
    here: SessionConfig,
    there: SessionConfig,
) -> (
    Fixture<Arc<H::Backend>>,
    Fixture<Arc<H::Backend>>,
    Arc<ManualMonotonicClock>,
) {
    let store = Arc::new(harness.fresh_backend());
    let time = Arc::new(ManualMonotonicClock::new());
    let clock = Arc::new(ManualClock::new(now()));
    let process = |config| {
        Fixture::cached(
            Arc::clone(&store),
            config,
            SETTINGS,
            Arc::clone(&clock),
            Arc::clone(&time),
        )
    };
    (process(here), process(there), time)
}

/// Reads `n` through `f` with `cookie`, counting the calls that reached
/// the store.
fn read_n<B: Backend + 'static>(f: &Fixture<B>, cookie: &str) -> (Option<i64>, CallCounts) {
    let ((n, _), counts) = f.counting(|| f.request(Some(cookie), |s| s.get::<i64>("n").unwrap()));
    (n, counts)
}

/// Reads `n` through `f` with `cookie`, from any thread.
fn read<B: Backend + 'static>(f: &Fixture<B>, cookie: &str) -> Option<i64> {
    f.request(Some(cookie), |s| s.get::<i64>("n").unwrap()).0
}

fn stats<B: Backend + 'static>(f: &Fixture<B>) -> CacheStats {
    f.cache.as_ref().expect("a cached fixture").stats()
}

/// Polls `condition` until it holds, failing after 10 s.
fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(MILLI);
    }
}

/// Repeated reads within `max_staleness` of the store call behind the
/// cached record cost no store call; at the bound the store is read again
/// (strongly), and that answer is cached in turn.
pub fn cache_serves_reads_within_the_staleness_bound<H: Harness>(harness: &H) {
    let (f, time) = process(harness.fresh_backend(), SessionConfig::default(), SETTINGS);
    let cookie = f.start_session("n", 1);
    let (n, counts) = read_n(&f, &cookie);
    assert_eq!(n, Some(1));
    assert_eq!(counts.total(), 0, "the create's record, from the cache");
    time.advance(SETTINGS.max_staleness - MILLI);
    assert_eq!(read_n(&f, &cookie), (Some(1), CallCounts::default()));
    time.advance(MILLI);
    assert_eq!(
        read_n(&f, &cookie),
        (Some(1), ONE_STRONG_LOAD),
        "at the bound"
    );
    assert_eq!(read_n(&f, &cookie), (Some(1), CallCounts::default()));
}

/// A cookie newer than the cached record (another process wrote it) is
/// read from the store, and the answer refreshes the cache; strongly
/// consistent loads never come from the cache.
pub fn cache_newer_cookie_reads_the_store<H: Harness>(harness: &H) {
    let config = SessionConfig::default;
    let (here, there, _time) = two_processes(harness, config(), config());
    let cookie = here.start_session("n", 1);
    let (_, set_cookie) = there.request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    let newer = cookie_pair(&set_cookie.expect("a write sets a cookie"));

    assert_eq!(
        read_n(&here, &newer),
        (Some(2), ONE_STRONG_LOAD),
        "read-your-writes across processes"
    );
    assert_eq!(
        read_n(&here, &newer),
        (Some(2), CallCounts::default()),
        "refreshed"
    );
    let cache = here.cache.as_ref().expect("a cached fixture");
    for _ in 0..2 {
        let (record, counts) =
            here.counting(|| cache.load(&key_of(&newer), Consistency::Strong).unwrap());
        assert_eq!(record.into_record().map(|r| r.version), Some(2));
        assert_eq!(counts, ONE_STRONG_LOAD, "a strong load reaches the store");
    }
}

/// Writes, logins and logouts through this process replace the cached
/// record at once: the next request sees them without a store call, and
/// a logged-out or logged-in-from ID loads no session.
pub fn cache_shows_this_process_writes_at_once<H: Harness>(harness: &H) {
    let (f, _time) = process(harness.fresh_backend(), SessionConfig::default(), SETTINGS);
    let cookie = f.start_session("n", 1);
    let (_, set_cookie) = f.request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    let written = cookie_pair(&set_cookie.expect("a write sets a cookie"));
    assert_eq!(read_n(&f, &written), (Some(2), CallCounts::default()));

    let (_, set_cookie) = f.request(Some(&written), |s| s.regenerate_id().unwrap());
    let logged_in = cookie_pair(&set_cookie.expect("a login sets a cookie"));
    assert_eq!(read_n(&f, &logged_in), (Some(2), CallCounts::default()));
    assert_eq!(
        read_n(&f, &written),
        (None, CallCounts::default()),
        "the ID a login left is ended, in the cache too"
    );

    f.request(Some(&logged_in), |s| s.invalidate());
    assert_eq!(
        read_n(&f, &logged_in),
        (None, CallCounts::default()),
        "a logout here is never served from the cache"
    );
    assert!(f.is_ended(&logged_in));
}

/// A stale cached record (another process wrote or logged out since) makes
/// a write a `Conflict`, never a lost update or a resurrected session, and
/// the conflict drops the record.
pub fn cache_stale_record_conflicts_never_loses_an_update<H: Harness>(harness: &H) {
    let config = SessionConfig::default;
    let (here, there, _time) = two_processes(harness, config(), config());
    let cookie = here.start_session("n", 1);
    there.request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    let (seen, committed) = here.try_request(Some(&cookie), |s| {
        let seen = s.get::<i64>("n").unwrap();
        s.insert("n", &10).unwrap();
        seen
    });
    assert_eq!(seen, Some(1), "the stale cached record");
    assert!(
        matches!(committed, Err(CommitError::Conflict)),
        "{committed:?}"
    );
    let stored = here.stored(&cookie).expect("stored");
    assert_eq!(stored.version, 2, "the other process's write stands");
    assert_eq!(
        read_n(&here, &cookie),
        (Some(2), ONE_STRONG_LOAD),
        "the conflict dropped the cached record"
    );

    there.request(Some(&cookie), |s| s.invalidate());
    let (_, committed) = here.try_request(Some(&cookie), |s| s.insert("n", &11).unwrap());
    assert!(
        matches!(committed, Err(CommitError::Conflict)),
        "{committed:?}"
    );
    assert!(here.is_ended(&cookie), "a logged-out session stays ended");
}

/// A read that was under way when this process logged the session out
/// may answer with the session (it read before the logout), but its answer
/// is never cached: the next load does not get the logged-out session,
/// whether the logout was acknowledged or its answer was lost.
pub fn cache_never_keeps_a_read_a_logout_overtook<H: Harness>(harness: &H) {
    let (f, time) = process(
        HeldLoads::new(LostAnswers::new(harness.fresh_backend())),
        SessionConfig::default(),
        SETTINGS,
    );
    let held = f.backend.inner();
    for answer_lost in [false, true] {
        let cookie = f.start_session("n", 1);
        time.advance(SETTINGS.max_staleness);
        held.hold_next_load();
        thread::scope(|scope| {
            let reader = scope.spawn(|| read(&f, &cookie));
            held.wait_until_held();
            if answer_lost {
                held.inner().arm();
            }
            let (_, committed) = f.try_request(Some(&cookie), |s| s.invalidate());
            assert_eq!(committed.is_err(), answer_lost, "{committed:?}");
            held.release(Release::Answer);
            assert_eq!(
                reader.join().expect("no panic"),
                Some(1),
                "read before the logout"
            );
        });
        assert_eq!(
            read(&f, &cookie),
            None,
            "answer lost: {answer_lost}; a logout here is never undone by the cache"
        );
        assert!(f.is_ended(&cookie));
    }
}

/// A write whose outcome is unknown (here: applied, answer lost) drops
/// the cached record, so the next load reads what the store holds.
pub fn cache_drops_the_record_on_a_write_error<H: Harness>(harness: &H) {
    let (f, _time) = process(
        LostAnswers::new(harness.fresh_backend()),
        SessionConfig::default(),
        SETTINGS,
    );
    let cookie = f.start_session("n", 1);
    f.backend.inner().arm();
    let (_, committed) = f.try_request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    assert!(
        matches!(committed, Err(CommitError::Backend(_))),
        "{committed:?}"
    );
    assert_eq!(read_n(&f, &cookie), (Some(2), ONE_STRONG_LOAD));

    f.backend.inner().arm();
    let (_, committed) = f.try_request(Some(&cookie), |s| s.invalidate());
    assert!(
        matches!(committed, Err(CommitError::Backend(_))),
        "{committed:?}"
    );
    assert_eq!(
        read_n(&f, &cookie),
        (None, ONE_STRONG_LOAD),
        "an applied logout with a lost answer is not served from the cache"
    );
}

/// Another process's logout is seen here at most `max_staleness` after
/// this process's last store call for the session: just before the bound
/// the cached record is still served, at the bound it is not.
pub fn cache_sees_another_process_logout_within_the_bound<H: Harness>(harness: &H) {
    let config = SessionConfig::default;
    let (here, there, time) = two_processes(harness, config(), config());
    let cookie = here.start_session("n", 1);
    there.request(Some(&cookie), |s| s.invalidate());
    time.advance(SETTINGS.max_staleness - MILLI);
    assert_eq!(
        read_n(&here, &cookie),
        (Some(1), CallCounts::default()),
        "within the bound: the documented staleness"
    );
    time.advance(MILLI);
    assert_eq!(read_n(&here, &cookie), (None, ONE_STRONG_LOAD));
    assert_eq!(read_n(&here, &cookie), (None, CallCounts::default()));
}

/// Idle expiry and the absolute lifetime are checked against the session
/// clock on every load, also when the record comes from the cache: a
/// record that expires while cached never loads as alive.
pub fn cache_hits_are_checked_for_expiry<H: Harness>(harness: &H) {
    let here = SessionConfig::builder()
        .timeout(Duration::from_secs(300))
        .absolute_lifetime(Some(Duration::from_secs(300)))
        .build()
        .expect("valid settings");
    let there = SessionConfig::builder()
        .absolute_lifetime(None)
        .build()
        .expect("valid settings");
    let (here, there, _time) = two_processes(harness, here, there);

    let idle = here.start_session("n", 1);
    let timeout = here.manager.config().timeout().as_secs();
    here.clock
        .advance(i64::try_from(timeout).expect("a small timeout") + 1);
    assert_eq!(
        read_n(&here, &idle),
        (None, ONE_STRONG_LOAD),
        "idle past exp while cached: confirmed by a strong read, not alive"
    );

    // Written without an absolute lifetime (its exp is not capped), cached
    // here, where the lifetime applies.
    let old = there.start_session("n", 1);
    assert_eq!(read_n(&here, &old), (Some(1), ONE_STRONG_LOAD));
    assert_eq!(read_n(&here, &old), (Some(1), CallCounts::default()));
    here.clock.advance(301);
    assert_eq!(
        read_n(&here, &old),
        (None, ONE_STRONG_LOAD),
        "past the absolute lifetime while cached"
    );
}

/// Concurrent loads of one key share one store call: nine loads that
/// arrive while a tenth is at the store get its answer.
pub fn cache_coalesces_concurrent_loads<H: Harness>(harness: &H) {
    let (f, time) = process(
        HeldLoads::new(harness.fresh_backend()),
        SessionConfig::default(),
        SETTINGS,
    );
    let cookie = f.start_session("n", 1);
    time.advance(SETTINGS.max_staleness);
    f.backend.reset_counts();
    let held = f.backend.inner();
    held.hold_next_load();
    thread::scope(|scope| {
        let readers: Vec<_> = (0..10).map(|_| scope.spawn(|| read(&f, &cookie))).collect();
        held.wait_until_held();
        eventually("nine loads wait", || stats(&f).waiting == 9);
        held.release(Release::Answer);
        for reader in readers {
            assert_eq!(reader.join().expect("no panic"), Some(1));
        }
    });
    assert_eq!(
        f.backend.counts(),
        ONE_STRONG_LOAD,
        "one store call for ten loads"
    );
    assert_eq!(stats(&f).shared, 9);
}

/// A load waiting for another's store call waits at most its bound, then
/// makes its own call.
pub fn cache_waiters_stop_waiting_at_their_bound<H: Harness>(harness: &H) {
    let wait = Duration::from_millis(50);
    let (f, time) = process(
        HeldLoads::new(harness.fresh_backend()),
        SessionConfig::default(),
        SETTINGS.coalescing(Coalescing::WaitUpTo(wait)),
    );
    let cookie = f.start_session("n", 1);
    time.advance(SETTINGS.max_staleness);
    let held = f.backend.inner();
    held.hold_next_load();
    thread::scope(|scope| {
        let leader = scope.spawn(|| read(&f, &cookie));
        held.wait_until_held();
        let started = Instant::now();
        assert_eq!(read(&f, &cookie), Some(1), "while the leader is held");
        let waited = started.elapsed();
        assert!(waited >= wait, "it waited first");
        assert!(waited < wait * 40, "it stopped at its bound: {waited:?}");
        assert_eq!(stats(&f).shared, 0);
        held.release(Release::Answer);
        assert_eq!(leader.join().expect("no panic"), Some(1));
    });
}

/// A load whose leader fails or panics does not wait out its bound: it
/// makes its own call at once; nothing hangs, and the cache works on.
pub fn cache_waiters_survive_a_failed_or_panicking_leader<H: Harness>(harness: &H) {
    let wait = Duration::from_secs(60);
    let (f, time) = process(
        HeldLoads::new(harness.fresh_backend()),
        SessionConfig::default(),
        SETTINGS.coalescing(Coalescing::WaitUpTo(wait)),
    );
    let cookie = f.start_session("n", 1);
    let held = f.backend.inner();
    for how in [Release::Fail, Release::Panic] {
        time.advance(SETTINGS.max_staleness);
        held.hold_next_load();
        let started = Instant::now();
        thread::scope(|scope| {
            let leader = scope.spawn(|| f.manager.load(Some(&cookie)).get::<i64>("n").is_ok());
            held.wait_until_held();
            let waiter = scope.spawn(|| read(&f, &cookie));
            eventually("the load waits", || stats(&f).waiting == 1);
            held.release(how);
            assert_eq!(waiter.join().expect("no panic"), Some(1), "{how:?}");
            match how {
                Release::Panic => assert!(leader.join().is_err(), "the leader panicked"),
                _ => assert_eq!(leader.join().ok(), Some(false), "the leader failed"),
            }
        });
        assert!(
            started.elapsed() < wait / 2,
            "{how:?}: no waiting out the bound"
        );
        assert_eq!(stats(&f).waiting, 0);
    }
    assert_eq!(read(&f, &cookie), Some(1), "the cache works on");
}

/// A load never takes a shared answer from a store call sent longer than
/// `max_staleness` before it started: process B's load at 1.8 s does not
/// join B's load still held at the store since 0 s (before A's logout at
/// 0.1 s), and sees the logout, as it would with coalescing off. The held
/// call's older answer, when it comes, does not replace the fresher one.
pub fn cache_waiters_never_take_an_answer_older_than_the_bound<H: Harness>(harness: &H) {
    let store = Arc::new(harness.fresh_backend());
    let time = Arc::new(ManualMonotonicClock::new());
    let clock = Arc::new(ManualClock::new(now()));
    // Waiting longer than the test takes: a load that joins the held call
    // gets its answer, whenever that comes.
    let settings = SETTINGS.coalescing(Coalescing::WaitUpTo(Duration::from_secs(60)));
    let a = Fixture::cached(
        Arc::clone(&store),
        SessionConfig::default(),
        settings,
        Arc::clone(&clock),
        Arc::clone(&time),
    );
    let b = Fixture::cached(
        HeldLoads::new(Arc::clone(&store)),
        SessionConfig::default(),
        settings,
        clock,
        Arc::clone(&time),
    );
    let cookie = a.start_session("n", 1);
    let held = b.backend.inner();
    held.hold_next_load();
    thread::scope(|scope| {
        // 0 s: B's load reads the session and is held.
        let leader = scope.spawn(|| read(&b, &cookie));
        held.wait_until_held();
        // 0.1 s: A logs the user out.
        time.advance(100 * MILLI);
        a.request(Some(&cookie), |s| s.invalidate());
        // 1.8 s: another load of the session in B.
        time.advance(1700 * MILLI);
        let waiter = scope.spawn(|| read(&b, &cookie));
        eventually("the load waits for the held call or is done", || {
            stats(&b).waiting == 1 || waiter.is_finished()
        });
        held.release(Release::Answer);
        assert_eq!(
            waiter.join().expect("no panic"),
            None,
            "a load 1.7 s after another process's logout sees it (bound 1 s)"
        );
        assert_eq!(
            leader.join().expect("no panic"),
            Some(1),
            "read before the logout"
        );
    });
    assert_eq!(stats(&b).shared, 0);
    assert_eq!(
        read_n(&b, &cookie),
        (None, CallCounts::default()),
        "the held call's answer did not replace the logout's, cached at 1.8 s"
    );
}

//! Many requests on one session at once.

use dynamodb_sessions_core::Scheme;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;

use dynamodb_sessions_core::CommitError;

use crate::fixture::Fixture;
use crate::Harness;

const THREADS: usize = 8;
const INCREMENTS_PER_THREAD: u64 = 10;
/// Bounds the retries, so that a livelock fails the case instead of hanging it.
const MAX_ATTEMPTS_PER_THREAD: u64 = 1_000;

/// 8 threads each make 10 successful read-modify-write increments of one
/// counter, retrying on conflict: the final count equals the number of
/// successful commits, so no update is lost. A barrier between the first
/// load and commit of every thread makes sure they really collide.
pub fn concurrent_increments_lose_no_update<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("count", 0);
    let successes = AtomicU64::new(0);
    let conflicts = AtomicU64::new(0);
    let all_loaded = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let mut done = 0;
                for attempt in 0..MAX_ATTEMPTS_PER_THREAD {
                    if done == INCREMENTS_PER_THREAD {
                        break;
                    }
                    let mut session = f.manager.load(Some(&cookie));
                    let n: u64 = session.get("count").unwrap().expect("counter present");
                    session.insert("count", &(n + 1)).unwrap();
                    if attempt == 0 {
                        all_loaded.wait();
                    }
                    match f.manager.commit(session, Scheme::Http) {
                        Ok(_) => {
                            done += 1;
                            successes.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(CommitError::Conflict) => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("commit failed: {e:?}"),
                    }
                }
            });
        }
    });
    let successes = successes.load(Ordering::Relaxed);
    assert!(
        conflicts.load(Ordering::Relaxed) >= THREADS as u64 - 1,
        "the first round must collide"
    );
    let (count, _) = f.request(Some(&cookie), |s| s.get::<u64>("count").unwrap());
    assert_eq!(count, Some(successes), "lost updates");
    assert_eq!(
        successes,
        THREADS as u64 * INCREMENTS_PER_THREAD,
        "gave up retrying"
    );
    let stored = f.stored(&cookie).unwrap();
    assert_eq!(stored.version, 1 + successes);
}

/// An update racing a logout never brings the ended session back,
/// whichever commits first.
pub fn update_racing_invalidate_never_resurrects<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for update_first in [false, true] {
        let cookie = f.start_session("n", 1);
        let mut update = f.manager.load(Some(&cookie));
        update.insert("n", &2).unwrap();
        let mut logout = f.manager.load(Some(&cookie));
        logout.invalidate();
        if update_first {
            f.manager.commit(update, Scheme::Http).unwrap();
            f.manager.commit(logout, Scheme::Http).unwrap();
        } else {
            f.manager.commit(logout, Scheme::Http).unwrap();
            let err = f.manager.commit(update, Scheme::Http).unwrap_err();
            assert!(matches!(err, CommitError::Conflict), "{err:?}");
        }
        assert!(f.is_ended(&cookie), "update_first={update_first}");
    }
}

/// A logout through a stale tab's old ID after a login elsewhere moved the
/// session on: the logout follows the login and ends the new record too, so
/// the user is logged out whichever response the browser keeps.
pub fn logout_through_an_old_id_follows_the_login<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let old = f.start_session("user", 7);
    let mut stale_tab = f.manager.load(Some(&old));
    stale_tab.invalidate();
    let (_, first) = f.request(Some(&old), |s| s.regenerate_id().unwrap());
    let first = crate::fixture::cookie_pair(&first.unwrap());
    let (_, second) = f.request(Some(&first), |s| s.regenerate_id().unwrap());
    let second = crate::fixture::cookie_pair(&second.unwrap());
    let ((), counts) = f.counting(|| {
        let set_cookie = f.manager.commit(stale_tab, Scheme::Http).unwrap().unwrap();
        assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    });
    assert_eq!(counts.ends, 3, "the old ID, then each login's new one");
    for cookie in [&old, &first, &second] {
        assert!(f.is_ended(cookie));
        let (user, _) = f.request(Some(cookie), |s| s.get::<i64>("user").unwrap());
        assert_eq!(user, None);
    }
}

/// A login (regenerate_id) racing a logout or a change of the same session:
/// the login is a conflict, the logged-out session stays gone, the other
/// request's change stays, and no second live session appears.
pub fn login_racing_logout_or_change_is_a_conflict<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for logout in [true, false] {
        let cookie = f.start_session("n", 1);
        let mut login = f.manager.load(Some(&cookie));
        login.regenerate_id().unwrap();
        login.insert("user", "ada").unwrap();
        let (_, other) = f.request(Some(&cookie), |s| {
            if logout {
                s.invalidate();
            } else {
                s.insert("n", &2).unwrap();
            }
        });
        let sessions_before = f.backend.counts();
        let err = f.manager.commit(login, Scheme::Http).unwrap_err();
        assert!(matches!(err, CommitError::Conflict), "{err:?}");
        let created = f.backend.counts().creates - sessions_before.creates;
        assert_eq!(created, 1, "the login did write its new record");
        if logout {
            assert!(f.is_ended(&cookie), "the logout stands");
        } else {
            let newer = crate::fixture::cookie_pair(&other.unwrap());
            let (n, _) = f.request(Some(&newer), |s| s.get::<i64>("n").unwrap());
            assert_eq!(n, Some(2), "the concurrent change stands");
        }
    }
}

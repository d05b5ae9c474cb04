//! Users' sessions: a user attached at login, listed, and ended exactly,
//! on any backend that offers [`UserSessions`].

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions_core::store::{Backend, Forward, Operation};
use dynamodb_sessions_core::testing::CallCounts;
use dynamodb_sessions_core::users::{
    AdvanceOutcome, Keep, SessionHandle, UserRef, UserSecret, UserSessions, UserSettings,
    UsersError,
};
use dynamodb_sessions_core::{BackendError, Scheme, SessionConfig, SessionManager};

use crate::fixture::{cookie_pair, key_of, Fixture};
use crate::Harness;

/// The settings every case's users run with.
fn users() -> UserSettings {
    UserSettings::new(UserSecret::from_bytes(&[42; 32]).expect("a valid secret"))
}

/// A fixture whose manager has users.
fn fixture<H: Harness>(harness: &H) -> Fixture<H::Backend>
where
    H::Backend: UserSessions,
{
    Fixture::with_users(harness.fresh_backend(), users())
}

/// Logs `user` in on a new session holding `n`; returns its cookie pair.
fn login<B: Backend + 'static>(f: &Fixture<B>, user: &str, n: i64) -> String {
    let (_, set_cookie) = f.request(None, |s| {
        s.insert("n", &n).unwrap();
        s.set_user(user).unwrap();
        s.set_label(&format!("device {n}")).unwrap();
    });
    cookie_pair(&set_cookie.expect("a login sets a cookie"))
}

/// The user and `n` a request with `cookie` sees.
fn seen<B: Backend + 'static>(f: &Fixture<B>, cookie: &str) -> (Option<String>, Option<i64>) {
    let ((user, n), _) = f.request(Some(cookie), |s| {
        (s.user().unwrap(), s.get::<i64>("n").unwrap())
    });
    (user, n)
}

fn alive<B: Backend + 'static>(f: &Fixture<B>, cookie: &str, user: &str, n: i64) {
    assert_eq!(
        seen(f, cookie),
        (Some(user.to_owned()), Some(n)),
        "still logged in"
    );
}

fn ended<B: Backend + 'static>(f: &Fixture<B>, cookie: &str) {
    assert_eq!(seen(f, cookie), (None, None), "ended: no user, no data");
}

/// A login attaches the user under a new ID; later requests read it and
/// the label back, and the listing shows the session as current, with a
/// handle that is neither its token nor its key.
pub fn a_login_attaches_the_user<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let before = f.start_session("n", 1);
    let (_, set_cookie) = f.request(Some(&before), |s| {
        s.set_user("alice").unwrap();
        s.set_label("Firefox on Linux").unwrap();
    });
    let cookie = cookie_pair(&set_cookie.expect("a login sets a cookie"));
    assert_ne!(key_of(&cookie), key_of(&before), "a new ID at login");
    alive(&f, &cookie, "alice", 1);
    assert!(f.is_ended(&before), "the pre-login ID ended");
    let stored = f.stored(&cookie).expect("stored");
    let stamp = stored.user.expect("a user stamp");
    assert!(
        !stamp.sealed.windows(5).any(|w| w == b"alice"),
        "no user id in the clear"
    );
    let (listed, _) = f.request(Some(&cookie), |s| s.user_sessions().unwrap());
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert!(entry.current);
    assert_eq!(entry.label.as_deref(), Some("Firefox on Linux"));
    let handle = entry.handle.to_string();
    assert!(!cookie.contains(&handle));
    assert_eq!(handle.parse::<SessionHandle>().unwrap(), entry.handle);
}

/// Sessions without a user make the same store calls with a manager that
/// has users as without: no user call at all.
pub fn sessions_without_a_user_cost_nothing_more<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let with = visit_costs(&fixture(harness));
    let without = visit_costs(&Fixture::new(harness));
    assert_eq!(with, without, "same calls with and without users");
    assert!(with.iter().all(|counts| counts.user_calls() == 0));
}

/// The calls of each request of a visit without a user: a new session, a
/// read, a write, a reissue, a logout.
fn visit_costs<B: Backend + 'static>(f: &Fixture<B>) -> Vec<CallCounts> {
    let (cookie, created) = f.counting(|| f.start_session("n", 1));
    let (_, read) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    let ((_, written), write) =
        f.counting(|| f.request(Some(&cookie), |s| s.insert("n", &2).unwrap()));
    let cookie = cookie_pair(&written.expect("a write sets a cookie"));
    f.clock.advance(200);
    let (_, reissue) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    let (_, logout) = f.counting(|| f.request(Some(&cookie), |s| s.invalidate()));
    vec![created, read, write, reissue, logout]
}

/// A login on an empty session is written: the user alone is worth a
/// record and a cookie.
pub fn a_login_without_data_is_stored<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let (_, set_cookie) = f.request(None, |s| s.set_user("alice").unwrap());
    let cookie = cookie_pair(&set_cookie.expect("a login sets a cookie"));
    assert_eq!(seen(&f, &cookie), (Some("alice".to_owned()), None));
}

/// Ending all of a user's sessions ends each of them, in whatever state,
/// and no other user's; the user can log in again afterwards.
pub fn end_all_ends_every_session_of_the_user<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let alice: Vec<String> = (1..=3).map(|n| login(&f, "alice", n)).collect();
    let bob = login(&f, "bob", 9);
    f.manager.end_all_sessions("alice").unwrap();
    for cookie in &alice {
        ended(&f, cookie);
    }
    alive(&f, &bob, "bob", 9);
    let again = login(&f, "alice", 4);
    alive(&f, &again, "alice", 4);
    let (listed, _) = f.request(Some(&again), |s| s.user_sessions().unwrap());
    assert_eq!(listed.len(), 1, "only the new login is listed: {listed:?}");
}

/// A login whose `set_user` returned before the end began is ended by it,
/// though its record is written after.
pub fn a_login_in_flight_is_ended<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let mut session = f.manager.load(None);
    session.insert("n", &1).unwrap();
    session.set_user("alice").unwrap();
    f.manager.end_all_sessions("alice").unwrap();
    let set_cookie = f.manager.commit(session, Scheme::Https).unwrap();
    let cookie = cookie_pair(&set_cookie.expect("written"));
    ended(&f, &cookie);
}

/// A tab loaded before the end writes afterwards (a replace, a login
/// through `regenerate_id`, a reissue): its session stays ended.
pub fn a_stale_tab_cannot_revive_its_session<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let cookie = login(&f, "alice", 1);
    let mut write = f.manager.load(Some(&cookie));
    let mut regenerate = f.manager.load(Some(&cookie));
    assert_eq!(write.user().unwrap().as_deref(), Some("alice"));
    assert_eq!(regenerate.user().unwrap().as_deref(), Some("alice"));
    f.manager.end_all_sessions("alice").unwrap();
    write.insert("n", &2).unwrap();
    let written = f.manager.commit(write, Scheme::Https).unwrap();
    let written = cookie_pair(&written.expect("the stale write went through"));
    ended(&f, &written);
    regenerate.regenerate_id().unwrap();
    if let Ok(Some(moved)) = f.manager.commit(regenerate, Scheme::Https) {
        ended(&f, &cookie_pair(&moved));
    }
    ended(&f, &cookie);
}

/// Ending the other sessions keeps this one logged in, with its data, and
/// ends the rest; a second device doing the same afterwards finds itself
/// ended.
pub fn end_others_keeps_only_this_session<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let a = login(&f, "alice", 1);
    let b = login(&f, "alice", 2);
    let c = login(&f, "alice", 3);
    let mut late = f.manager.load(Some(&b));
    assert_eq!(late.user().unwrap().as_deref(), Some("alice"));
    let (result, _) = f.request(Some(&a), |s| s.end_other_sessions());
    result.unwrap();
    alive(&f, &a, "alice", 1);
    ended(&f, &b);
    ended(&f, &c);
    assert!(matches!(
        late.end_other_sessions(),
        Err(UsersError::EndedElsewhere)
    ));
    // The kept session goes on: written, listed alone.
    let (_, _) = f.request(Some(&a), |s| s.insert("n", &5).unwrap());
    alive(&f, &a, "alice", 5);
    let (listed, _) = f.request(Some(&a), |s| s.user_sessions().unwrap());
    assert_eq!(listed.len(), 1, "{listed:?}");
}

/// A handle ends that one session of the user; another user's handle ends
/// nothing; this session's own handle is a logout.
pub fn a_handle_ends_one_session<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let f = fixture(harness);
    let a = login(&f, "alice", 1);
    let b = login(&f, "alice", 2);
    let bob = login(&f, "bob", 9);
    let (bobs, _) = f.request(Some(&bob), |s| s.user_sessions().unwrap());
    let (listed, _) = f.request(Some(&a), |s| s.user_sessions().unwrap());
    let other = listed.iter().find(|e| !e.current).expect("b is listed");
    let (result, _) = f.request(Some(&a), |s| s.end_session(&other.handle));
    result.unwrap();
    ended(&f, &b);
    alive(&f, &a, "alice", 1);
    let (result, _) = f.request(Some(&a), |s| s.end_session(&bobs[0].handle));
    assert!(matches!(result, Err(UsersError::UnknownHandle)));
    alive(&f, &bob, "bob", 9);
    let this = listed.iter().find(|e| e.current).expect("a is listed");
    let (result, set_cookie) = f.request(Some(&a), |s| s.end_session(&this.handle));
    result.unwrap();
    assert!(
        set_cookie.is_some_and(|c| c.contains("Max-Age=0")),
        "a logout"
    );
    ended(&f, &a);
}

/// With a cap, a login past it ends the user's least recently used session.
pub fn the_cap_ends_the_least_recently_used<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let cap = NonZeroU32::new(2).unwrap();
    let f = Fixture::with_users(harness.fresh_backend(), users().max_sessions_per_user(cap));
    let oldest = login(&f, "alice", 1);
    f.clock.advance(10);
    let used = login(&f, "alice", 2);
    f.clock.advance(10);
    let newest = login(&f, "alice", 3);
    ended(&f, &oldest);
    alive(&f, &used, "alice", 2);
    alive(&f, &newest, "alice", 3);
    assert_eq!(f.manager.stats().failed_cap_evictions, 0);
}

/// A session with a user never loads unchecked: through a manager without
/// users it is no session at all.
pub fn a_manager_without_users_never_loads_a_user_session<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let backend = Arc::new(harness.fresh_backend());
    let with = Fixture::with_users(Arc::clone(&backend), users());
    let cookie = login(&with, "alice", 1);
    let without = SessionManager::new(Arc::clone(&backend), SessionConfig::default());
    let mut session = without.load(Some(&cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), None);
    assert!(session.user().is_ok_and(|user| user.is_none()));
}

/// An end whose answers are lost says it does not know, and calling it
/// again finishes it.
pub fn a_lost_end_says_so_and_a_retry_finishes_it<H: Harness>(harness: &H)
where
    H::Backend: UserSessions,
{
    let unsure = Arc::new(Unsure::new(harness.fresh_backend()));
    let f = Fixture::with_users(Arc::clone(&unsure), users());
    let cookie = login(&f, "alice", 1);
    unsure.lose_next_advance_and_reads(1);
    assert!(matches!(
        f.manager.end_all_sessions("alice"),
        Err(UsersError::OutcomeUnknown)
    ));
    f.manager.end_all_sessions("alice").unwrap();
    ended(&f, &cookie);
    // A lost answer with the read back working: settled within the call.
    let cookie = login(&f, "alice", 2);
    unsure.lose_next_advance_and_reads(0);
    f.manager.end_all_sessions("alice").unwrap();
    ended(&f, &cookie);
}

/// A backend whose next advance is applied but answered with a timeout,
/// and whose generation reads then fail a given number of times.
struct Unsure<B> {
    inner: B,
    lose_advance: AtomicU32,
    failing_reads: AtomicU32,
}

impl<B: UserSessions> Unsure<B> {
    fn new(inner: B) -> Self {
        Unsure {
            inner,
            lose_advance: AtomicU32::new(0),
            failing_reads: AtomicU32::new(0),
        }
    }

    fn lose_next_advance_and_reads(&self, reads: u32) {
        self.lose_advance.store(1, Ordering::SeqCst);
        self.failing_reads.store(reads, Ordering::SeqCst);
    }
}

fn timeout(operation: Operation) -> BackendError {
    BackendError::Timeout {
        operation,
        after: Duration::from_millis(100),
    }
}

impl<B: UserSessions> Forward for Unsure<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let outcome = self.inner.advance(user, expected, keep)?;
        if self.lose_advance.swap(0, Ordering::SeqCst) == 1 {
            return Err(timeout(Operation::Advance));
        }
        Ok(outcome)
    }

    fn forward_generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        let pending = self.lose_advance.load(Ordering::SeqCst) == 0;
        let failing = self.failing_reads.load(Ordering::SeqCst);
        if pending && failing > 0 {
            self.failing_reads.store(failing - 1, Ordering::SeqCst);
            return Err(timeout(Operation::Generation));
        }
        self.inner.generation(user)
    }
}

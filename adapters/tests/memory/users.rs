//! Users' sessions where two features meet, on the in-memory backend with
//! hooks inside the store: a login landing between another's create and
//! its cap, a kept record whose answer is lost, a tab of a kept session,
//! a session idling out during the request, a kept record too large.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynamodb_sessions::store::{
    CreateOutcome, Forward, LoadOutcome, Operation, Record, StorageKey,
};
use dynamodb_sessions::testing::ManualClock;
use dynamodb_sessions::users::{
    AdvanceOutcome, Keep, UserRef, UserSecret, UserSessions, UserSettings, UsersError,
};
use dynamodb_sessions::{BackendError, MemoryBackend, Scheme, SessionConfig, SessionManager};

const START: i64 = 1_700_000_000;

fn settings() -> UserSettings {
    UserSettings::new(UserSecret::from_bytes(&[42; 32]).unwrap())
}

fn manager(
    backend: impl UserSessions + 'static,
    users: UserSettings,
    clock: &Arc<ManualClock>,
) -> SessionManager {
    SessionManager::with_users_and_clock(
        backend,
        SessionConfig::default(),
        users,
        Arc::clone(clock),
    )
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

/// Logs `user` in on a new session; its cookie pair.
fn login(manager: &SessionManager, user: &str) -> String {
    let mut session = manager.load(None);
    session.set_user(user).unwrap();
    pair(&manager.commit(session, Scheme::Https).unwrap().unwrap())
}

/// The user a request with `cookie` sees.
fn seen(manager: &SessionManager, cookie: &str) -> Option<String> {
    let mut session = manager.load(Some(cookie));
    let user = session.user().unwrap();
    let _ = manager.commit(session, Scheme::Https);
    user
}

fn timeout(operation: Operation) -> BackendError {
    BackendError::Timeout {
        operation,
        after: Duration::from_millis(100),
    }
}

/// Runs a hook once, right after the first create of a record with a user.
struct AfterFirstLoginCreate<B> {
    inner: B,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl<B: UserSessions> Forward for AfterFirstLoginCreate<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        let outcome = self.inner.create(key, record)?;
        if record.user.is_some() {
            let hook = self.hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
        }
        Ok(outcome)
    }
}

/// With a cap of one session, two logins of the same user racing each
/// other (the second lands between the first's create and its cap): a cap
/// ends only sessions used before its own login, so the newer login
/// survives and the user is never left logged in nowhere.
#[test]
fn racing_logins_under_a_cap_keep_the_newest() {
    let backend = MemoryBackend::new();
    let cap = settings().max_sessions_per_user(NonZeroU32::new(1).unwrap());
    let clock_a = Arc::new(ManualClock::new(START));
    let clock_b = Arc::new(ManualClock::new(START + 10));
    let manager_b = manager(backend.clone(), cap.clone(), &clock_b);
    let cookie_b = Arc::new(Mutex::new(None));
    let hooked = AfterFirstLoginCreate {
        inner: backend.clone(),
        hook: Mutex::new(Some(Box::new({
            let cookie_b = Arc::clone(&cookie_b);
            let manager_b = manager_b.clone();
            move || *cookie_b.lock().unwrap() = Some(login(&manager_b, "alice"))
        }))),
    };
    let manager_a = manager(hooked, cap, &clock_a);
    let cookie_a = login(&manager_a, "alice");
    let cookie_b = cookie_b.lock().unwrap().clone().expect("b logged in");
    let later = manager(backend, settings(), &clock_b);
    let a = seen(&later, &cookie_a);
    let b = seen(&later, &cookie_b);
    assert!(
        b.is_some(),
        "the newest login (b) must survive a cap of 1; a: {a:?}, b: {b:?}"
    );
}

/// Loses the answer of the next advance that keeps a record (after applying
/// it) and fails the checked load that reads it back.
struct LoseKeptAdvance<B> {
    inner: B,
    armed: AtomicBool,
    fail_checked_load: AtomicBool,
}

impl<B: UserSessions> Forward for LoseKeptAdvance<B> {
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
        let kept = keep.is_some();
        let outcome = self.inner.advance(user, expected, keep)?;
        if kept && self.armed.swap(false, Ordering::SeqCst) {
            self.fail_checked_load.store(true, Ordering::SeqCst);
            return Err(timeout(Operation::Advance));
        }
        Ok(outcome)
    }

    fn forward_load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        if self.fail_checked_load.swap(false, Ordering::SeqCst) {
            return Err(timeout(Operation::LoadChecked));
        }
        self.inner.load_checked(key, user)
    }
}

/// `OutcomeUnknown` from `end_other_sessions` promises that this session
/// stays usable and calling again finishes it: when the lost advance was in
/// fact applied, the next call recognises its own kept record and goes on.
#[test]
fn end_others_called_again_after_a_lost_answer_finishes_it() {
    let backend = Arc::new(LoseKeptAdvance {
        inner: MemoryBackend::new(),
        armed: AtomicBool::new(false),
        fail_checked_load: AtomicBool::new(false),
    });
    let clock = Arc::new(ManualClock::new(START));
    let manager = manager(Arc::clone(&backend), settings(), &clock);
    let a = login(&manager, "alice");
    let b = login(&manager, "alice");
    let mut session = manager.load(Some(&a));
    assert_eq!(session.user().unwrap().as_deref(), Some("alice"));
    backend.armed.store(true, Ordering::SeqCst);
    let first = session.end_other_sessions();
    assert!(
        matches!(first, Err(UsersError::OutcomeUnknown)),
        "{first:?}"
    );
    let again = session.end_other_sessions();
    manager.commit(session, Scheme::Https).unwrap();
    let a_now = seen(&manager, &a);
    let b_now = seen(&manager, &b);
    assert!(
        again.is_ok(),
        "calling again should finish it, got {again:?} (a is still {a_now:?}, b is {b_now:?})"
    );
}

/// A kept record too large for the store (uncommitted data added in this
/// request) is refused before anything is written: a typed error, never
/// `OutcomeUnknown` (which a retry could not finish).
#[test]
fn end_others_with_oversized_changes_is_not_an_unknown_outcome() {
    let clock = Arc::new(ManualClock::new(START));
    let manager = manager(MemoryBackend::new(), settings(), &clock);
    let a = login(&manager, "alice");
    let _b = login(&manager, "alice");
    let mut session = manager.load(Some(&a));
    session.insert("big", &"x".repeat(450 * 1024)).unwrap();
    let first = session.end_other_sessions();
    let again = session.end_other_sessions();
    assert!(
        !matches!(first, Err(UsersError::OutcomeUnknown))
            && !matches!(again, Err(UsersError::OutcomeUnknown)),
        "nothing was written and a retry cannot finish it: {first:?}, then {again:?}"
    );
}

/// Two tabs of the same session: the second ends the other sessions first
/// (keeping this session, at a new version); the first then gets
/// `Conflict` (this session was written meanwhile, and is alive), not
/// `EndedElsewhere`.
#[test]
fn end_others_from_a_stale_tab_of_the_kept_session_is_a_conflict() {
    let clock = Arc::new(ManualClock::new(START));
    let manager = manager(MemoryBackend::new(), settings(), &clock);
    let a = login(&manager, "alice");
    let _b = login(&manager, "alice");
    let mut stale = manager.load(Some(&a));
    assert_eq!(stale.user().unwrap().as_deref(), Some("alice"));
    let mut fresh = manager.load(Some(&a));
    fresh.end_other_sessions().unwrap();
    manager.commit(fresh, Scheme::Https).unwrap();
    let result = stale.end_other_sessions();
    let a_now = seen(&manager, &a);
    assert!(
        matches!(result, Err(UsersError::Conflict)),
        "got {result:?} while the session is alive as {a_now:?}"
    );
}

/// A session whose idle timeout passes during the request is never written
/// again, by commit or by `end_other_sessions`: it does not live on.
#[test]
fn end_others_does_not_revive_a_session_past_its_idle_timeout() {
    let clock = Arc::new(ManualClock::new(START));
    let manager = manager(MemoryBackend::new(), settings(), &clock);
    let idle = i64::try_from(manager.config().timeout().as_secs()).unwrap();
    let a = login(&manager, "alice");
    let _b = login(&manager, "alice");
    clock.advance(idle); // alive at exactly its expiry
    let mut session = manager.load(Some(&a));
    assert_eq!(session.user().unwrap().as_deref(), Some("alice"));
    clock.advance(10); // the request runs past it
    let result = session.end_other_sessions();
    let _ = manager.commit(session, Scheme::Https);
    let after = seen(&manager, &a);
    assert_eq!(
        after, None,
        "an idle-expired session was rewritten by end_other_sessions ({result:?})"
    );
}

/// Refuses every advance, as a store without the permission would: nothing
/// is written.
struct RefuseAdvances<B>(B);

impl<B: UserSessions> Forward for RefuseAdvances<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.0
    }

    fn forward_advance(
        &self,
        _: &UserRef,
        _: u64,
        _: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        Err(BackendError::Rejected {
            operation: Operation::Advance,
            source: "AccessDeniedException".into(),
        })
    }
}

/// A refusal that wrote nothing is reported as the store's error, not as an
/// unknown outcome (which promises that calling again finishes it), and the
/// sessions stay as they were.
#[test]
fn a_refused_end_is_the_stores_error() {
    let clock = Arc::new(ManualClock::new(START));
    let manager = manager(RefuseAdvances(MemoryBackend::new()), settings(), &clock);
    let cookie = login(&manager, "alice");
    assert!(matches!(
        manager.end_all_sessions("alice"),
        Err(UsersError::Backend(BackendError::Rejected { .. }))
    ));
    let mut session = manager.load(Some(&cookie));
    assert!(matches!(
        session.end_other_sessions(),
        Err(UsersError::Backend(BackendError::Rejected { .. }))
    ));
    assert_eq!(seen(&manager, &cookie).as_deref(), Some("alice"));
}

/// A full store evicts records, never users' generations: after a flood
/// has pushed every session out, the generation an end of all sessions
/// set is still there, so a session stamped before it can never load
/// again, even written back by a stale tab.
#[test]
fn memory_limits_never_evict_a_generation() {
    use dynamodb_sessions::{MemoryLimits, WhenFull};

    let clock = Arc::new(ManualClock::new(START));
    let store = MemoryBackend::with_limits(
        MemoryLimits::DEFAULT
            .max_sessions(10)
            .when_full(WhenFull::EvictSoonestExpiring),
    );
    let manager = manager(store.clone(), settings(), &clock);
    let before = login(&manager, "alice");
    let mut stale = manager.load(Some(&before));
    assert_eq!(stale.user().unwrap().as_deref(), Some("alice"));
    manager.end_all_sessions("alice").unwrap();
    for n in 0..50 {
        let mut session = manager.load(None);
        session.insert("n", &n).unwrap();
        manager.commit(session, Scheme::Https).unwrap();
    }
    assert!(store.len() <= 10);
    let alice = UserSecret::from_bytes(&[42; 32]).unwrap().user_ref("alice");
    assert_eq!(store.generation(&alice).unwrap(), 1, "the generation stays");
    stale.insert("n", &1).unwrap();
    if let Ok(Some(written)) = manager.commit(stale, Scheme::Https) {
        assert_eq!(seen(&manager, &pair(&written)), None);
    }
    assert_eq!(seen(&manager, &before), None);
}

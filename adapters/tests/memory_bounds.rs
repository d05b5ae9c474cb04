//! MemoryBackend fit for a small deployment: expired records go away without
//! any purge call, and a flood of cookie-less writing requests cannot grow
//! the store past its limits, under either policy.

use std::sync::Arc;

use dynamodb_sessions::testing::ManualClock;
use dynamodb_sessions::{
    BackendError, CommitError, MemoryBackend, MemoryLimits, Scheme, SessionConfig, SessionManager,
    WhenFull,
};

const START: i64 = 1_700_000_000;
/// The default idle timeout, 20 minutes.
const TIMEOUT: i64 = 1200;

fn manager_on(backend: &MemoryBackend) -> (SessionManager, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let manager =
        SessionManager::with_clock(backend.clone(), SessionConfig::default(), clock.clone());
    (manager, clock)
}

/// One request without a cookie that writes `bytes` of data: what a flood
/// sends. Returns the cookie, or the commit's error.
fn new_session(manager: &SessionManager, bytes: usize) -> Result<String, CommitError> {
    let mut session = manager.load(None);
    session.insert("data", &"x".repeat(bytes)).unwrap();
    let set_cookie = manager.commit(session, Scheme::Http)?.expect("a cookie");
    Ok(set_cookie.split(';').next().unwrap().to_owned())
}

fn is_full(result: &Result<String, CommitError>) -> bool {
    matches!(result, Err(CommitError::Backend(BackendError::Full { .. })))
}

#[test]
fn expired_sessions_go_away_without_a_purge_call() {
    let backend = MemoryBackend::new();
    let (manager, clock) = manager_on(&backend);
    for _ in 0..40 {
        new_session(&manager, 10).unwrap();
    }
    assert_eq!(backend.len(), 40);

    // Expired, but within the hour a TTL may take: still held.
    clock.advance(TIMEOUT + 60);
    new_session(&manager, 10).unwrap();
    assert_eq!(backend.len(), 41);

    // Past it: every write removes some in passing, until none are left.
    clock.advance(3600);
    let mut writes = 0;
    while backend.len() > writes + 1 {
        new_session(&manager, 10).unwrap();
        writes += 1;
        assert!(writes < 10, "expired records are not going away");
    }
    assert_eq!(backend.len(), writes + 1, "only the sessions written since");
}

#[test]
fn a_full_store_refuses_new_sessions_and_keeps_the_ones_it_has() {
    let limits = MemoryLimits::DEFAULT.with_max_sessions(100);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, clock) = manager_on(&backend);
    let first = new_session(&manager, 10).unwrap();

    let refused = (0..1000)
        .map(|_| new_session(&manager, 10))
        .filter(is_full)
        .count();
    assert_eq!(refused, 1000 - 99);
    assert_eq!(backend.len(), 100);

    // The sessions already there keep working, and a logout always works.
    let mut session = manager.load(Some(&first));
    assert_eq!(session.get::<String>("data").unwrap().unwrap().len(), 10);
    session.insert("more", &1).unwrap();
    let _ = manager.commit(session, Scheme::Http).unwrap();
    let mut session = manager.load(Some(&first));
    session.invalidate();
    let _ = manager.commit(session, Scheme::Http).unwrap();

    // Expired sessions make room at once when full, well before the hour.
    clock.advance(TIMEOUT + 1);
    new_session(&manager, 10).unwrap();
    assert!(backend.len() <= 2, "{} items", backend.len());
}

#[test]
fn evicting_makes_room_from_the_least_recently_active() {
    let limits = MemoryLimits::DEFAULT
        .with_max_sessions(50)
        .with_when_full(WhenFull::EvictSoonestExpiring);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, clock) = manager_on(&backend);
    let quiet = new_session(&manager, 10).unwrap();
    let active = new_session(&manager, 10).unwrap();
    for visit in 0..1000 {
        clock.advance(1);
        new_session(&manager, 10).unwrap();
        assert!(backend.len() <= 50);
        // The active user comes back every 10 s, which pushes their expiry
        // past everyone else's.
        if visit % 10 == 0 {
            let mut session = manager.load(Some(&active));
            session.insert("visits", &visit).unwrap();
            let _ = manager.commit(session, Scheme::Http).unwrap();
        }
    }
    let mut session = manager.load(Some(&quiet));
    assert_eq!(session.get::<String>("data").unwrap(), None, "evicted");
    let mut session = manager.load(Some(&active));
    assert_eq!(session.get::<u32>("visits").unwrap(), Some(990), "kept");
}

#[test]
fn bytes_stay_under_their_limit_whatever_the_sessions_weigh() {
    let max_bytes = 64 * 1024;
    let limits = MemoryLimits::DEFAULT.with_max_bytes(max_bytes);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, _clock) = manager_on(&backend);
    let mut refused = 0;
    for i in 0..500 {
        let result = new_session(&manager, 100 + (i * 37) % 3000);
        refused += usize::from(is_full(&result));
        assert!(backend.bytes() <= max_bytes, "{} bytes", backend.bytes());
    }
    assert!(refused > 0, "the flood must have reached the limit");
    assert!(backend.bytes() > max_bytes / 2, "{} bytes", backend.bytes());

    // A session too large for an empty store is refused as well.
    let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.with_max_bytes(1000));
    let (manager, _clock) = manager_on(&backend);
    assert!(is_full(&new_session(&manager, 2000)));
    assert!(backend.is_empty());
}

#[test]
fn the_full_error_says_which_limit() {
    let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.with_max_sessions(1));
    let (manager, _clock) = manager_on(&backend);
    new_session(&manager, 1).unwrap();
    let error = new_session(&manager, 1).unwrap_err();
    let CommitError::Backend(backend_error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        backend_error.to_string(),
        "session create refused: the store is full (1 sessions)"
    );
}

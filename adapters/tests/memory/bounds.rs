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

/// A login of the session under `cookie`: a new ID, as
/// `Session::regenerate_id` gives it. Returns the new cookie, or the
/// commit's error.
fn log_in(manager: &SessionManager, cookie: &str) -> Result<String, CommitError> {
    let mut session = manager.load(Some(cookie));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    let set_cookie = manager.commit(session, Scheme::Http)?.expect("a cookie");
    Ok(set_cookie.split(';').next().unwrap().to_owned())
}

/// A logout of the session under `cookie`; says whether it is gone.
fn log_out(manager: &SessionManager, cookie: &str) -> Result<bool, CommitError> {
    let mut session = manager.load(Some(cookie));
    session.invalidate();
    let _ = manager.commit(session, Scheme::Http)?;
    let mut session = manager.load(Some(cookie));
    Ok(session.get::<String>("user").unwrap().is_none())
}

/// What one account can do to a store a flood has filled to what new
/// sessions may take: log in over and over, each login leaving a tombstone
/// under the ID it leaves, until its tombstones alone would fill the room
/// kept for the users already there. That room must stay theirs: another
/// user's writes, login and logout still work, and the flood still does
/// not get in.
fn logins_cannot_use_up_the_room_kept_for_users(limits: MemoryLimits, data: usize, logins: usize) {
    let backend = MemoryBackend::with_limits(limits);
    let (manager, clock) = manager_on(&backend);
    let user = new_session(&manager, data).unwrap();
    let mut account = new_session(&manager, data).unwrap();
    let mut flood = 0;
    while !is_full(&new_session(&manager, data)) {
        flood += 1;
    }
    assert!(flood > 10, "{flood} sessions fill the store");
    // A login keeps its session's creation time, which is what tells the
    // store that it is not a new session.
    clock.advance(1);
    let mut logged_in = 0;
    for _ in 0..logins {
        if let Ok(moved) = log_in(&manager, &account) {
            account = moved;
            logged_in += 1;
        }
    }

    assert!(
        is_full(&new_session(&manager, data)),
        "the flood is kept out"
    );

    let mut session = manager.load(Some(&user));
    session.insert("more", &"y".repeat(3 * data)).unwrap();
    let _ = manager
        .commit(session, Scheme::Http)
        .expect("a user's write");
    let user = log_in(&manager, &user).expect("a user's login");
    assert!(log_out(&manager, &user).expect("the user's logout"));
    assert_eq!(logged_in, logins, "the account's own logins work too");
    assert_eq!(backend.len(), flood + 1, "no live session was removed");
    assert!(backend.len() + backend.ended_len() <= limits.max_sessions);
    assert!(
        backend.bytes() <= limits.max_bytes,
        "{} bytes",
        backend.bytes()
    );
}

#[test]
fn logins_cannot_use_up_the_sessions_kept_for_users() {
    // 10 places kept; 30 logins leave 30 tombstones.
    let limits = MemoryLimits::DEFAULT.max_sessions(100);
    logins_cannot_use_up_the_room_kept_for_users(limits, 10, 30);
}

#[test]
fn logins_cannot_use_up_the_bytes_kept_for_users() {
    // 2,000 bytes kept; 100 logins leave tombstones of about 100 bytes.
    let limits = MemoryLimits::DEFAULT.max_bytes(20_000);
    logins_cannot_use_up_the_room_kept_for_users(limits, 100, 100);
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
    let limits = MemoryLimits::DEFAULT.max_sessions(100);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, clock) = manager_on(&backend);
    let first = new_session(&manager, 10).unwrap();

    // New sessions may take 90 of the 100 places.
    let refused = (0..1000)
        .map(|_| new_session(&manager, 10))
        .filter(is_full)
        .count();
    assert_eq!(refused, 1000 - 89);
    assert_eq!(backend.len(), 90);

    // The sessions already there keep working: they grow, log in (a new
    // record, in the places kept for them) and log out.
    let mut session = manager.load(Some(&first));
    assert_eq!(session.get::<String>("data").unwrap().unwrap().len(), 10);
    session.insert("more", &"y".repeat(1000)).unwrap();
    let _ = manager.commit(session, Scheme::Http).unwrap();
    clock.advance(1);
    let mut session = manager.load(Some(&first));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    let first = set_cookie.split(';').next().unwrap().to_owned();
    assert!(log_out(&manager, &first).unwrap());
    assert_eq!((backend.len(), backend.ended_len()), (89, 2));
    // The place a logout frees is a new session's again: a tombstone is
    // not a session, and gives up its room to those still there.
    new_session(&manager, 10).unwrap();
    assert!(is_full(&new_session(&manager, 10)));

    // Expired sessions make room at once when full, well before the hour
    // (a minute after they expire, for other threads' clocks); the
    // tombstones stay their hour.
    clock.advance(TIMEOUT + 61);
    new_session(&manager, 10).unwrap();
    assert_eq!((backend.len(), backend.ended_len()), (1, 2));
}

#[test]
fn evicting_makes_room_from_the_least_recently_active() {
    let limits = MemoryLimits::DEFAULT
        .max_sessions(50)
        .when_full(WhenFull::EvictSoonestExpiring);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, clock) = manager_on(&backend);
    let quiet = new_session(&manager, 10).unwrap();
    let active = new_session(&manager, 10).unwrap();
    for visit in 0..1000 {
        clock.advance(1);
        new_session(&manager, 10).unwrap();
        assert!(backend.len() + backend.ended_len() <= 50);
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

    // Ended records go before any user, and a login never evicts the
    // record it moves away from, even when that is the soonest to expire.
    let mut session = manager.load(Some(&active));
    session.invalidate();
    let _ = manager.commit(session, Scheme::Http).unwrap();
    let oldest = new_session(&manager, 10).unwrap();
    for _ in 0..48 {
        clock.advance(1);
        new_session(&manager, 10).unwrap();
    }
    let mut session = manager.load(Some(&oldest));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    let set_cookie = manager.commit(session, Scheme::Http).expect("the login");
    let moved = set_cookie.unwrap().split(';').next().unwrap().to_owned();
    let mut session = manager.load(Some(&moved));
    assert_eq!(session.get::<String>("data").unwrap().unwrap().len(), 10);
    assert!(backend.len() + backend.ended_len() <= 50);
}

#[test]
fn bytes_stay_under_their_limit_whatever_the_sessions_weigh() {
    let max_bytes = 64 * 1024;
    let limits = MemoryLimits::DEFAULT.max_bytes(max_bytes);
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
    let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_bytes(1000));
    let (manager, _clock) = manager_on(&backend);
    assert!(is_full(&new_session(&manager, 2000)));
    assert!(backend.is_empty());
}

#[test]
fn the_full_error_says_which_limit() {
    let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_sessions(1));
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

#[test]
fn a_write_that_can_never_fit_evicts_nobody() {
    let limits = MemoryLimits::DEFAULT
        .max_bytes(4000)
        .when_full(WhenFull::EvictSoonestExpiring);
    let backend = MemoryBackend::with_limits(limits);
    let (manager, _clock) = manager_on(&backend);
    for _ in 0..5 {
        new_session(&manager, 10).unwrap();
    }
    assert!(is_full(&new_session(&manager, 5000)));
    assert_eq!(backend.len(), 5);
}

/// Two threads whose clocks straddle a session's expiry, in a store full by
/// bytes: the session is alive by its writer's clock, so the full store's
/// sweep must not remove it under the write (which once miscounted the
/// bytes held: a panic in debug builds, the limit exceeded in release).
#[test]
fn a_full_store_never_sweeps_the_record_being_written() {
    let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_bytes(7000));
    let (writer, clock) = manager_on(&backend);
    let (other, other_clock) = manager_on(&backend);
    let cookie = new_session(&writer, 3000).unwrap();
    new_session(&other, 10).unwrap();
    clock.advance(TIMEOUT);
    other_clock.advance(TIMEOUT + 1);
    let mut session = writer.load(Some(&cookie));
    assert!(
        session.get::<String>("data").unwrap().is_some(),
        "alive at exp"
    );
    session.insert("more", &"z".repeat(2900)).unwrap();
    new_session(&other, 10).unwrap();
    let _ = writer.commit(session, Scheme::Http);
    assert!(backend.bytes() <= 7000, "{} bytes", backend.bytes());
}

/// A write stamped far ahead (a clock stepped back afterwards) sweeps what
/// is expired by its own time, a few records at most, and not for good:
/// every session written after the correction stays.
#[test]
fn a_clock_once_ahead_does_not_sweep_for_good() {
    let backend = MemoryBackend::new();
    let (manager, clock) = manager_on(&backend);
    let before: Vec<String> = (0..40)
        .map(|_| new_session(&manager, 10).unwrap())
        .collect();
    clock.advance(86_400);
    new_session(&manager, 10).unwrap();
    clock.advance(-86_400 + 10);
    let after: Vec<String> = (0..40)
        .map(|_| new_session(&manager, 10).unwrap())
        .collect();
    let alive = |cookie: &String| {
        let mut session = manager.load(Some(cookie));
        session.get::<String>("data").unwrap().is_some()
    };
    assert_eq!(after.iter().filter(|c| alive(c)).count(), 40);
    assert!(before.iter().filter(|c| alive(c)).count() >= 40 - 16);
}

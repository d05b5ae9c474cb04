//! Trying to break in-process turns (`Sequencing`, `InProcessTurns`):
//! panics while a turn is held, a request that loads its own cookie twice,
//! login and logout in one request, readers whose first change is a CSRF
//! token or a logout, and two processes (managers) on one store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use dynamodb_sessions::http::HttpSessions;
use dynamodb_sessions::{
    CommitError, MemoryBackend, Scheme, Sequencing, SessionConfig, SessionManager,
};
use rouille::{Request, Response};

/// Well under `MAX_TURN_WAIT`: anything slower than this waited for a turn.
const QUICK: Duration = Duration::from_secs(2);

fn manager_on(backend: &MemoryBackend) -> SessionManager {
    SessionManager::new(backend.clone(), SessionConfig::default())
}

/// A stored session holding `key = value`, as a `Cookie` header value.
fn stored(manager: &SessionManager, key: &str, value: u64) -> String {
    let mut session = manager.load(None);
    session.insert(key, &value).unwrap();
    let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

fn request(method: &str, cookie: &str) -> Request {
    Request::fake_http(method, "/", vec![("Cookie".into(), cookie.into())], vec![])
}

/// A handler that panics while its `POST` holds the session's turn: the
/// session is dropped on unwind and the next `POST` does not wait.
#[test]
fn a_panicking_handler_gives_the_turn_back() {
    let sessions = HttpSessions::new(manager_on(&MemoryBackend::new()));
    let cookie = stored(sessions.manager(), "n", 1);
    let post = request("POST", &cookie);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = sessions.handle(&post, |session| -> Response {
            session.insert("n", &2u64).unwrap();
            panic!("handler bug");
        });
    }));
    assert!(panicked.is_err());
    let started = Instant::now();
    let response = sessions
        .handle(&post, |session| {
            let n = session.get::<u64>("n").unwrap().unwrap();
            session.insert("n", &(n + 1)).unwrap();
            Response::text("ok")
        })
        .unwrap();
    assert_eq!(response.status_code, 200);
    assert!(
        started.elapsed() < QUICK,
        "the panicked turn was not given back"
    );
}

/// A `POST` handler that loads its own request's session a second time
/// through the glue (a "current user" helper, say) waits for the turn its
/// own first session holds: `MAX_TURN_WAIT` on every such request.
/// Ignored: it documents a 5 s self-wait (run with `--ignored`).
#[test]
#[ignore = "documents a defect: a request waiting MAX_TURN_WAIT on its own turn"]
fn a_post_loading_its_own_session_twice_does_not_wait_on_itself() {
    let sessions = HttpSessions::new(manager_on(&MemoryBackend::new()));
    let cookie = stored(sessions.manager(), "user", 7);
    let post = request("POST", &cookie);
    let started = Instant::now();
    let response = sessions
        .handle(&post, |session| {
            session.insert("seen", &1u64).unwrap();
            // A helper reading the user through its own session.
            let mut again = sessions.load(&post);
            let user = again.get::<u64>("user").unwrap();
            drop(again);
            Response::text(format!("{user:?}"))
        })
        .unwrap();
    assert_eq!(response.status_code, 200);
    assert!(
        started.elapsed() < QUICK,
        "waited {:?} for its own turn",
        started.elapsed()
    );
}

/// A login then a logout in one request, with either sequencing, takes the
/// turn once and gives it back: neither it nor the next request waits.
#[test]
fn login_then_logout_in_one_request_takes_one_turn() {
    for sequencing in [Sequencing::FromLoad, Sequencing::FromFirstChange] {
        let manager = manager_on(&MemoryBackend::new());
        let cookie = stored(&manager, "n", 1);
        let started = Instant::now();
        let mut session = manager.load_with(Some(&cookie), sequencing);
        session.regenerate_id().unwrap();
        session.insert("user", &1u64).unwrap();
        session.invalidate();
        session.flash_message("bye").unwrap();
        let set_cookie = manager.commit(session, Scheme::Http).unwrap();
        assert!(set_cookie.is_some());
        let mut next = manager.load_with(Some(&cookie), Sequencing::FromLoad);
        next.insert("n", &2u64).unwrap();
        let _ = manager.commit(next, Scheme::Http).unwrap();
        assert!(started.elapsed() < QUICK, "{sequencing:?} waited");
    }
}

/// A reader (`FromFirstChange`) whose first change is drawing a CSRF token
/// (`get_csrf_token` on a session without one) or a logout waits for the
/// writer holding the turn, and goes on once it commits.
#[test]
fn a_readers_first_change_waits_for_the_holder() {
    for change in ["csrf", "logout"] {
        let manager = manager_on(&MemoryBackend::new());
        let cookie = stored(&manager, "n", 1);
        let mut holder = manager.load_with(Some(&cookie), Sequencing::FromLoad);
        holder.insert("n", &2u64).unwrap();
        let reader_done = AtomicU64::new(0);
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut reader = manager.load_with(Some(&cookie), Sequencing::FromFirstChange);
                assert_eq!(reader.get::<u64>("n").unwrap(), Some(1));
                match change {
                    "csrf" => drop(reader.get_csrf_token().unwrap()),
                    _ => reader.invalidate(),
                }
                reader_done.store(1, Ordering::SeqCst);
                manager.commit(reader, Scheme::Http)
            });
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(
                reader_done.load(Ordering::SeqCst),
                0,
                "{change}: the reader changed the session while a writer held the turn"
            );
            manager.commit(holder, Scheme::Http).unwrap();
            let outcome = reader.join().unwrap();
            match change {
                // It read before the holder's commit: one conflict, as documented.
                "csrf" => assert!(matches!(outcome, Err(CommitError::Conflict))),
                // A logout ends whatever version is there.
                _ => assert!(outcome.unwrap().is_some()),
            }
        });
    }
}

/// Two managers on one store are two processes: their turns are separate,
/// so their writes of one session may conflict, but no increment is lost
/// and none is counted twice.
#[test]
fn two_processes_on_one_store_stay_exact() {
    const THREADS: usize = 4;
    const EACH: u64 = 25;
    let backend = MemoryBackend::new();
    let managers = [manager_on(&backend), manager_on(&backend)];
    let cookie = stored(&managers[0], "n", 0);
    let conflicts = AtomicU64::new(0);
    let start = Barrier::new(2 * THREADS);
    std::thread::scope(|scope| {
        for manager in managers.iter().cycle().take(2 * THREADS) {
            let (cookie, conflicts, start) = (&cookie, &conflicts, &start);
            scope.spawn(move || {
                start.wait();
                for _ in 0..EACH {
                    loop {
                        let mut session = manager.load_with(Some(cookie), Sequencing::FromLoad);
                        let n = session.get::<u64>("n").unwrap().unwrap();
                        std::thread::yield_now();
                        session.insert("n", &(n + 1)).unwrap();
                        match manager.commit(session, Scheme::Http) {
                            Ok(_) => break,
                            Err(CommitError::Conflict) => {
                                conflicts.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
            });
        }
    });
    let mut after = managers[1].load(Some(&cookie));
    assert_eq!(
        after.get::<u64>("n").unwrap(),
        Some(2 * THREADS as u64 * EACH)
    );
    eprintln!(
        "conflicts across the two managers: {}",
        conflicts.into_inner()
    );
}

/// Methods are case-sensitive (RFC 9110 section 9.1): `get` is not `GET`.
/// The glue treats it as safe, so its handler (which a router matching
/// `"GET"` exactly sends to its unsafe branch) is rerun on a conflict.
/// Ignored: it documents a disagreement (run with `--ignored`).
#[test]
#[ignore = "documents a defect: lowercase methods count as safe"]
fn a_lowercase_method_is_not_safe() {
    assert!(!dynamodb_sessions::http::is_safe_method("get"));
}

/// Turns with a `ReadCache` in front of the store: writers taking turns
/// from the load read the previous writer's record from the cache (or the
/// store) and never conflict, while readers keep filling the cache; two
/// processes, each with its own cache, stay exact.
#[test]
fn turns_behind_a_read_cache_never_conflict_and_stay_exact() {
    use dynamodb_sessions::{CacheSettings, ReadCache};
    const WRITERS: usize = 6;
    const EACH: u64 = 30;
    let backend = MemoryBackend::new();
    let cached = |backend: &MemoryBackend| {
        SessionManager::new(
            ReadCache::new(backend.clone(), CacheSettings::DEFAULT),
            SessionConfig::default(),
        )
    };
    let managers = [cached(&backend), cached(&backend)];
    let cookie = stored(&managers[0], "n", 0);
    // One process: no conflict at all.
    let conflicts = AtomicU64::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                let mut reader = managers[0].load_with(Some(&cookie), Sequencing::FromFirstChange);
                let _ = reader.get::<u64>("n").unwrap();
                let _ = managers[0].commit(reader, Scheme::Http).unwrap();
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..EACH {
                        let mut session =
                            managers[0].load_with(Some(&cookie), Sequencing::FromLoad);
                        let n = session.get::<u64>("n").unwrap().unwrap();
                        session.insert("n", &(n + 1)).unwrap();
                        if let Err(CommitError::Conflict) =
                            managers[0].commit(session, Scheme::Http)
                        {
                            conflicts.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        stop.store(true, Ordering::SeqCst);
    });
    assert_eq!(conflicts.load(Ordering::SeqCst), 0);
    // Two processes: conflicts allowed, nothing lost.
    std::thread::scope(|scope| {
        for manager in managers.iter().cycle().take(2 * WRITERS) {
            let cookie = &cookie;
            scope.spawn(move || {
                for _ in 0..EACH {
                    loop {
                        let mut session = manager.load_with(Some(cookie), Sequencing::FromLoad);
                        let n = session.get::<u64>("n").unwrap().unwrap();
                        session.insert("n", &(n + 1)).unwrap();
                        match manager.commit(session, Scheme::Http) {
                            Ok(_) => break,
                            Err(CommitError::Conflict) => {}
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
            });
        }
    });
    let mut after = SessionManager::new(backend, SessionConfig::default()).load(Some(&cookie));
    assert_eq!(
        after.get::<u64>("n").unwrap(),
        Some(3 * WRITERS as u64 * EACH)
    );
}

/// A `GET` handler that runs a nested `handle` of the same request (an
/// internal sub-request): the outer run conflicts with the inner commit,
/// its rerun holds the turn from the load, and each inner write then waits
/// `MAX_TURN_WAIT` for it. Ignored: it documents the stall (`--ignored`).
#[test]
#[ignore = "documents a defect: nested handle of one session stalls MAX_TURN_WAIT per rerun"]
fn a_nested_handle_of_one_session_does_not_stall() {
    let sessions = HttpSessions::new(manager_on(&MemoryBackend::new()));
    let cookie = stored(sessions.manager(), "n", 1);
    let get = request("GET", &cookie);
    let started = Instant::now();
    let outcome = sessions.handle(&get, |session| {
        let n = session.get::<u64>("n").unwrap().unwrap();
        let inner = sessions.handle(&get, |inner| {
            inner.insert("inner", &1u64).unwrap();
            Response::text("inner")
        });
        assert!(inner.is_ok());
        session.insert("n", &(n + 1)).unwrap();
        Response::text("outer")
    });
    let waited = started.elapsed();
    assert!(
        outcome.is_ok() && waited < QUICK,
        "{:?} after {waited:?}",
        outcome.map(|r| r.status_code)
    );
}

/// A logout followed by data too large to store (checked before anything
/// is written): the change promises that "a logout is never refused for
/// the sake of what the request put in the session after it", yet the
/// size check runs before the logout's end, so the commit fails, the old
/// session stays alive and no expiring cookie is sent. Ignored: it
/// documents the defect (run with `--ignored`).
#[test]
#[ignore = "documents a defect: a logout followed by oversized data is refused and the session lives on"]
fn a_logout_stands_when_its_new_data_is_too_large() {
    let manager = manager_on(&MemoryBackend::new());
    let cookie = stored(&manager, "user", 1);
    let mut session = manager.load(Some(&cookie));
    session.invalidate();
    session.insert("draft", &"x".repeat(500 * 1024)).unwrap();
    let committed = manager.commit(session, Scheme::Http);
    let mut after = manager.load(Some(&cookie));
    let still_logged_in = after.get::<u64>("user").unwrap();
    assert!(
        matches!(&committed, Ok(Some(cookie)) if cookie.contains("Max-Age=0")),
        "commit: {committed:?}, user still there: {still_logged_in:?}"
    );
    assert_eq!(still_logged_in, None, "the old session is still alive");
}

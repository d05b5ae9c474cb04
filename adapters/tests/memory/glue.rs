//! The server glue's request helpers on both servers: `serve` and
//! `HttpSessions::handle` (load → handler → commit → Set-Cookie, rerun on a
//! conflict, or not), the request-level CSRF check (form field or header),
//! and the requests of one session taking turns (`mod turns`), with fake
//! requests and no sockets.

use dynamodb_sessions::Scheme;
use std::cell::Cell;

use dynamodb_sessions::http::{
    CsrfError, Form, HttpSessions, OnConflict, CSRF_HEADER, DEFAULT_FORM_LIMIT, MAX_HANDLER_RUNS,
};
use dynamodb_sessions::{MemoryBackend, MemoryLimits, SessionConfig, SessionManager};

const FORM: &str = "application/x-www-form-urlencoded";

fn sessions() -> HttpSessions {
    HttpSessions::new(SessionManager::new(
        MemoryBackend::new(),
        SessionConfig::default(),
    ))
}

/// A stored session: its `Cookie` header value and its CSRF token.
fn stored_session(sessions: &HttpSessions) -> (String, String) {
    let manager = sessions.manager();
    let mut session = manager.load(None);
    let token = session.csrf_token().unwrap();
    let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    (set_cookie.split(';').next().unwrap().to_owned(), token)
}

/// Changes the session behind `cookie` from another "request".
fn change_elsewhere(sessions: &HttpSessions, cookie: &str, value: u32) {
    let manager = sessions.manager();
    let mut other = manager.load(Some(cookie));
    other.insert("elsewhere", &value).unwrap();
    manager.commit(other, Scheme::Http).unwrap();
}

mod on_rouille {
    use super::*;
    use dynamodb_sessions::http::rouille::{read_form, serve};
    use rouille::{Request, Response};

    fn post(cookie: &str, headers: &[(&str, &str)], body: &str) -> Request {
        let mut all = vec![
            ("Cookie".to_owned(), cookie.to_owned()),
            ("Content-Type".to_owned(), FORM.to_owned()),
        ];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        Request::fake_http("POST", "/", all, body.as_bytes().to_vec())
    }

    fn checked(sessions: &HttpSessions, request: &Request) -> Response {
        serve(sessions, request, |request, form, session| {
            match sessions.check_csrf(session, request, form) {
                Ok(()) => Response::text(form.get("note").unwrap_or("").to_owned()),
                Err(e) => Response::text(e.to_string()).with_status_code(e.status_code()),
            }
        })
    }

    #[test]
    fn csrf_from_the_form_field_or_the_header() {
        let sessions = sessions();
        let (cookie, token) = stored_session(&sessions);
        let field = format!("csrf_token={token}&note=kept");

        let response = checked(&sessions, &post(&cookie, &[], &field));
        assert_eq!(response.status_code, 200);
        let mut body = String::new();
        std::io::Read::read_to_string(&mut response.data.into_reader_and_size().0, &mut body)
            .unwrap();
        assert_eq!(body, "kept", "the handler gets the parsed form");

        let by_header = post(&cookie, &[(CSRF_HEADER, &token)], "note=x");
        assert_eq!(checked(&sessions, &by_header).status_code, 200);
        let lower_case = post(&cookie, &[("x-csrf-token", &token)], "");
        assert_eq!(checked(&sessions, &lower_case).status_code, 200);

        for (headers, body) in [
            (vec![], "note=x".to_owned()),
            (vec![], "csrf_token=&note=x".to_owned()),
            (vec![], format!("csrf_token={}", &token[..63])),
            (vec![(CSRF_HEADER, "forged")], String::new()),
            // The form field counts first, as in Pyramid.
            (
                vec![(CSRF_HEADER, token.as_str())],
                "csrf_token=forged".to_owned(),
            ),
        ] {
            let response = checked(&sessions, &post(&cookie, &headers, &body));
            assert_eq!(response.status_code, 403, "{headers:?} {body}");
        }
        // Another browser's session has another token.
        let (other, _) = stored_session(&sessions);
        assert_eq!(
            checked(&sessions, &post(&other, &[], &field)).status_code,
            403
        );
    }

    #[test]
    fn a_full_store_answers_503_not_500() {
        let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_sessions(1));
        let sessions = HttpSessions::new(SessionManager::new(backend, SessionConfig::default()));
        let _ = stored_session(&sessions);
        let request = rouille::Request::fake_http("GET", "/", vec![], vec![]);
        let response = serve(&sessions, &request, |_, _, session| {
            session.insert("n", &1).unwrap();
            Response::text("saved")
        });
        assert_eq!(response.status_code, 503);
        let retry_after = response
            .headers
            .iter()
            .find(|(name, _)| name == "Retry-After");
        assert_eq!(retry_after.map(|(_, value)| value.as_ref()), Some("1"));
    }

    #[test]
    fn a_form_over_the_limit_is_refused_unread() {
        let sessions = sessions().max_form_bytes(16);
        let (cookie, token) = stored_session(&sessions);
        let runs = Cell::new(0);
        let response = serve(
            &sessions,
            &post(&cookie, &[], &format!("csrf_token={token}")),
            |_, _, _| {
                runs.set(runs.get() + 1);
                Response::text("")
            },
        );
        assert_eq!(response.status_code, 413);
        assert_eq!(runs.get(), 0);
    }

    #[test]
    fn other_bodies_are_left_for_the_handler() {
        let request = Request::fake_http(
            "POST",
            "/",
            vec![("Content-Type".to_owned(), "application/json".to_owned())],
            b"{\"csrf_token\":1}".to_vec(),
        );
        assert_eq!(read_form(&request, 1024).unwrap(), Form::default());
        assert!(request.data().is_some());
        let form = Request::fake_http(
            "POST",
            "/",
            vec![("Content-Type".to_owned(), format!("{FORM}; charset=UTF-8"))],
            b"a=1".to_vec(),
        );
        assert_eq!(read_form(&form, 1024).unwrap().get("a"), Some("1"));
        assert!(matches!(read_form(&form, 1024), Err(CsrfError::Body(_))));
    }

    #[test]
    fn a_conflict_reruns_the_handler_on_fresh_data() {
        let sessions = sessions();
        let (cookie, _) = stored_session(&sessions);
        let runs = Cell::new(0);
        let request =
            Request::fake_http("GET", "/", vec![("Cookie".into(), cookie.clone())], vec![]);
        let response = serve(&sessions, &request, |_, _, session| {
            runs.set(runs.get() + 1);
            let seen = session.get::<u32>("elsewhere").unwrap();
            if runs.get() == 1 {
                change_elsewhere(&sessions, &cookie, 7);
            }
            session.insert("here", &1).unwrap();
            Response::text(format!("{seen:?}"))
        });
        assert_eq!(runs.get(), 2);
        assert_eq!(response.status_code, 200);
        let set_cookie = response
            .headers
            .iter()
            .find(|(name, _)| name == "Set-Cookie")
            .map(|(_, value)| value.to_string())
            .expect("the rerun's commit sets the cookie");
        let mut after = sessions
            .manager()
            .load(Some(set_cookie.split(';').next().unwrap()));
        assert_eq!(after.get::<u32>("elsewhere").unwrap(), Some(7));
        assert_eq!(after.get::<u32>("here").unwrap(), Some(1));
    }

    #[test]
    fn reruns_are_bounded_and_can_be_turned_off() {
        for (on_conflict, expected_runs) in [
            (OnConflict::RerunSafeMethods, MAX_HANDLER_RUNS),
            (OnConflict::Rerun, MAX_HANDLER_RUNS),
            (OnConflict::Fail, 1),
        ] {
            let sessions = sessions().on_conflict(on_conflict);
            let (cookie, _) = stored_session(&sessions);
            let runs = Cell::new(0);
            let request =
                Request::fake_http("GET", "/", vec![("Cookie".into(), cookie.clone())], vec![]);
            let response = serve(&sessions, &request, |_, _, session| {
                runs.set(runs.get() + 1);
                session.insert("here", &runs.get()).unwrap();
                change_elsewhere(&sessions, &cookie, runs.get());
                Response::text("dropped")
            });
            assert_eq!(runs.get(), expected_runs, "{on_conflict:?}");
            assert_eq!(response.status_code, 409);
            assert!(!response
                .headers
                .iter()
                .any(|(name, _)| name == "Set-Cookie"));

            // The same through `handle`: the error comes back.
            let runs = Cell::new(0);
            let result = sessions.handle(&request, |session| {
                runs.set(runs.get() + 1);
                session.insert("here", &0).unwrap();
                change_elsewhere(&sessions, &cookie, 0);
                Response::text("dropped")
            });
            assert!(matches!(
                result,
                Err(dynamodb_sessions::CommitError::Conflict)
            ));
            assert_eq!(runs.get(), expected_runs);
        }
    }

    fn form_post(cookie: &str, body: &str) -> Request {
        post(cookie, &[], body)
    }

    fn set_cookie_of(response: &Response) -> Option<String> {
        response
            .headers
            .iter()
            .find(|(name, _)| name == "Set-Cookie")
            .map(|(_, value)| value.to_string())
    }

    fn body_of(response: Response) -> String {
        let mut body = String::new();
        std::io::Read::read_to_string(&mut response.data.into_reader_and_size().0, &mut body)
            .unwrap();
        body
    }

    /// A POST's handler may have effects outside the session (a payment):
    /// by default a conflict is answered, never rerun.
    #[test]
    fn a_post_is_not_rerun_by_default() {
        let sessions = sessions();
        let (cookie, token) = stored_session(&sessions);
        let runs = Cell::new(0);
        let response = serve(
            &sessions,
            &form_post(&cookie, &format!("csrf_token={token}")),
            |request, form, session| {
                runs.set(runs.get() + 1);
                sessions.check_csrf(session, request, form).unwrap();
                change_elsewhere(&sessions, &cookie, runs.get());
                session.insert("paid", &true).unwrap();
                Response::text("paid")
            },
        );
        assert_eq!(runs.get(), 1, "the handler ran once");
        assert_eq!(response.status_code, 409);
        let text = body_of(response);
        assert!(text.contains("another request"), "{text}");
        assert!(!text.contains("window"), "{text}");
    }

    /// A session that expires while the handler runs is answered as
    /// expired: the handler is not run again (its effect already ran, and
    /// a rerun would find an empty session and fail its CSRF check).
    #[test]
    fn a_session_expiring_during_the_handler_is_not_rerun() {
        use dynamodb_sessions::testing::ManualClock;
        use std::sync::Arc;
        use std::time::Duration;

        let clock = Arc::new(ManualClock::new(1_700_000_000));
        let config = SessionConfig::builder()
            .timeout(Duration::from_secs(60))
            .reissue_time(Duration::from_secs(10))
            .build()
            .unwrap();
        let manager = SessionManager::with_clock(MemoryBackend::new(), config, clock.clone());
        for on_conflict in [OnConflict::RerunSafeMethods, OnConflict::Rerun] {
            let sessions = HttpSessions::new(manager.clone()).on_conflict(on_conflict);
            let (cookie, token) = stored_session(&sessions);
            let runs = Cell::new(0);
            let response = serve(
                &sessions,
                &form_post(&cookie, &format!("csrf_token={token}")),
                |request, form, session| {
                    runs.set(runs.get() + 1);
                    if let Err(rejected) = sessions.check_csrf(session, request, form) {
                        return Response::text(rejected.to_string())
                            .with_status_code(rejected.status_code());
                    }
                    // The handler is slow: the session idles out meanwhile.
                    clock.advance(61);
                    session.insert("note", "saved").unwrap();
                    Response::text("saved")
                },
            );
            assert_eq!(runs.get(), 1, "{on_conflict:?}");
            assert_eq!(response.status_code, 409, "{on_conflict:?}");
            assert!(body_of(response).contains("expired"));
        }
    }

    /// `invalidate` then a flash, as a logout page does, in a full store
    /// that refuses new sessions: the logout is answered with the expiring
    /// cookie, the flash is dropped and counted.
    #[test]
    fn a_logout_in_a_full_store_expires_the_cookie() {
        let backend = MemoryBackend::with_limits(MemoryLimits::DEFAULT.max_sessions(10));
        let clock =
            std::sync::Arc::new(dynamodb_sessions::testing::ManualClock::new(1_700_000_000));
        let sessions = HttpSessions::new(SessionManager::with_clock(
            backend.clone(),
            SessionConfig::default(),
            clock.clone(),
        ));
        let (cookie, token) = stored_session(&sessions);
        // A cookie-less flood fills what new sessions may take (90%), and
        // one of its sessions logs in, which leaves a tombstone: the store
        // holds all it may.
        let mut flood = Vec::new();
        while backend.len() < 9 {
            flood.push(stored_session(&sessions).0);
        }
        clock.advance(1);
        let manager = sessions.manager();
        let mut login = manager.load(Some(&flood[0]));
        login.regenerate_id().unwrap();
        login.insert("user", "ada").unwrap();
        manager
            .commit(login, dynamodb_sessions::Scheme::Http)
            .unwrap();
        assert_eq!((backend.len(), backend.ended_len()), (9, 1));
        let response = serve(
            &sessions,
            &form_post(&cookie, &format!("csrf_token={token}")),
            |request, form, session| {
                sessions.check_csrf(session, request, form).unwrap();
                session.invalidate();
                session.flash_message("Logged out.").unwrap();
                Response::text("bye")
            },
        );
        assert_eq!(response.status_code, 200);
        let set_cookie = set_cookie_of(&response).expect("the cookie is expired");
        assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
        assert_eq!(sessions.manager().stats().dropped_after_logout, 1);
        let mut after = sessions.manager().load(Some(&cookie));
        assert_eq!(after.get::<u32>("elsewhere").unwrap(), None);
        assert!(after.is_empty().unwrap(), "the old session is gone");
    }

    /// A store that is down while the handler loads the session: the CSRF
    /// check's error, and the application's own mapping, answer 503.
    #[test]
    fn a_store_outage_in_the_handler_answers_503() {
        use dynamodb_sessions::http::FailedCommit;
        use dynamodb_sessions::{store::Operation, BackendError, SessionError};
        let down = SessionError::Load(BackendError::Unavailable {
            operation: Operation::Load,
            attempts: 3,
            source: "connection refused".into(),
        });
        assert_eq!(FailedCommit::of_session(&down).status, 503);
        assert_eq!(FailedCommit::of_session(&down).retry_after, Some("1"));
        assert_eq!(CsrfError::Session(down).status_code(), 503);
        let corrupt = SessionError::Load(BackendError::Rejected {
            operation: Operation::Load,
            source: "no such table".into(),
        });
        assert_eq!(FailedCommit::of_session(&corrupt).status, 500);
    }

    /// 16 requests of one browser at once, each counting a visit, served
    /// by one process through `serve`: none conflicts and the count is
    /// exact, for POSTs with reruns off and for GETs with the default
    /// reruns. With turns off, the same POSTs do conflict.
    #[test]
    fn parallel_requests_of_one_session_do_not_conflict() {
        use dynamodb_sessions::http::InProcessTurns;
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Barrier;

        const PARALLEL: usize = 16;
        const EACH: u32 = 10;
        let count_conflicts = |on_conflict: OnConflict, turns: InProcessTurns, method: &str| {
            let sessions = sessions().on_conflict(on_conflict).in_process_turns(turns);
            let (cookie, _) = stored_session(&sessions);
            let conflicts = AtomicU32::new(0);
            let start = Barrier::new(PARALLEL);
            std::thread::scope(|scope| {
                for _ in 0..PARALLEL {
                    scope.spawn(|| {
                        start.wait();
                        for _ in 0..EACH {
                            let request = Request::fake_http(
                                method,
                                "/",
                                vec![("Cookie".into(), cookie.clone())],
                                vec![],
                            );
                            let response = serve(&sessions, &request, |_, _, session| {
                                let n = session.get::<u32>("visits").unwrap().unwrap_or(0);
                                // Some work between the read and the write,
                                // as a real handler has.
                                std::thread::yield_now();
                                session.insert("visits", &(n + 1)).unwrap();
                                Response::text("counted")
                            });
                            match response.status_code {
                                200 => {}
                                409 => {
                                    conflicts.fetch_add(1, Ordering::SeqCst);
                                }
                                other => panic!("status {other}"),
                            }
                        }
                    });
                }
            });
            let conflicts = conflicts.into_inner();
            let mut after = sessions.manager().load(Some(&cookie));
            let visits = after.get::<u32>("visits").unwrap().unwrap_or(0);
            assert_eq!(
                visits + conflicts,
                PARALLEL as u32 * EACH,
                "{turns:?} {method}"
            );
            conflicts
        };
        let no_reruns = OnConflict::Fail;
        assert_eq!(
            count_conflicts(no_reruns, InProcessTurns::ByMethod, "POST"),
            0
        );
        assert!(count_conflicts(no_reruns, InProcessTurns::Off, "POST") > 0);
        // A GET that writes reads without waiting, so it may conflict once;
        // its rerun (the default for GET) takes the turn from the load.
        let defaults = OnConflict::default();
        assert_eq!(
            count_conflicts(defaults, InProcessTurns::ByMethod, "GET"),
            0
        );
    }
}

mod on_tiny_http {
    use super::*;
    use dynamodb_sessions::http::tiny_http::{read_form, serve};
    use tiny_http::{Header, Method, Request, Response, TestRequest};

    fn header(name: &str, value: &str) -> Header {
        Header::from_bytes(name, value).unwrap()
    }

    fn post(cookie: &str, extra: Option<(&str, &str)>, body: String) -> Request {
        let mut request = TestRequest::new()
            .with_method(Method::Post)
            .with_header(header("Cookie", cookie))
            .with_header(header("Content-Type", FORM))
            .with_body(Box::leak(body.into_boxed_str()));
        if let Some((name, value)) = extra {
            request = request.with_header(header(name, value));
        }
        request.into()
    }

    #[test]
    fn csrf_from_the_form_field_or_the_header() {
        let sessions = sessions();
        let (cookie, token) = stored_session(&sessions);
        for (extra, body, ok) in [
            (None, format!("note=kept&csrf_token={token}"), true),
            (
                Some((CSRF_HEADER, token.as_str())),
                "note=kept".to_owned(),
                true,
            ),
            (None, "note=kept".to_owned(), false),
            (Some((CSRF_HEADER, "forged")), "note=kept".to_owned(), false),
            (
                Some((CSRF_HEADER, token.as_str())),
                "csrf_token=forged".to_owned(),
                false,
            ),
        ] {
            let mut request = post(&cookie, extra, body.clone());
            let form = read_form(&mut request, DEFAULT_FORM_LIMIT).unwrap();
            let mut session = sessions.load(&request);
            let checked = sessions.check_csrf(&mut session, &request, &form);
            assert_eq!(checked.is_ok(), ok, "{extra:?} {body}");
            if !ok {
                assert!(matches!(checked, Err(CsrfError::Rejected)));
            }
            assert!(body.contains("note=") <= (form.get("note") == Some("kept")));
            sessions
                .commit(session, &request, Response::empty(200))
                .unwrap();
        }
    }

    #[test]
    fn the_body_is_read_once_and_limited() {
        let sessions = sessions();
        let (cookie, token) = stored_session(&sessions);
        let mut request = post(&cookie, None, format!("csrf_token={token}"));
        assert!(read_form(&mut request, 1024)
            .unwrap()
            .get("csrf_token")
            .is_some());
        assert_eq!(read_form(&mut request, 1024).unwrap(), Form::default());

        let mut request = post(&cookie, None, "a=1234567890".to_owned());
        assert!(matches!(
            read_form(&mut request, 4),
            Err(CsrfError::FormTooLarge { limit: 4 })
        ));

        let mut json: Request = TestRequest::new()
            .with_method(Method::Post)
            .with_header(header("Content-Type", "application/json"))
            .with_body("{}")
            .into();
        assert_eq!(read_form(&mut json, 1024).unwrap(), Form::default());
        let mut left = String::new();
        std::io::Read::read_to_string(json.as_reader(), &mut left).unwrap();
        assert_eq!(left, "{}", "a body that is no form is left unread");
    }

    #[test]
    fn serve_reruns_on_a_conflict_and_answers_once() {
        // A POST is rerun only when the application says its handler may be.
        let sessions = sessions().on_conflict(OnConflict::Rerun);
        let (cookie, token) = stored_session(&sessions);
        let runs = Cell::new(0);
        let request = post(&cookie, None, format!("csrf_token={token}&n=5"));
        serve(&sessions, request, |request, form, session| {
            runs.set(runs.get() + 1);
            sessions.check_csrf(session, request, form).unwrap();
            if runs.get() == 1 {
                change_elsewhere(&sessions, &cookie, 7);
            }
            let n: u32 = form.get("n").unwrap().parse().unwrap();
            session.insert("here", &n).unwrap();
            Response::from_string("ok")
        })
        .unwrap();
        assert_eq!(runs.get(), 2, "the form is kept for the rerun");

        // Both changes are stored (the old cookie still finds the record).
        let mut after = sessions.manager().load(Some(&cookie));
        assert_eq!(after.get::<u32>("elsewhere").unwrap(), Some(7));
        assert_eq!(after.get::<u32>("here").unwrap(), Some(5));
    }

    #[test]
    fn handle_reruns_bounded_or_not_at_all() {
        for (on_conflict, expected_runs) in
            [(OnConflict::Rerun, MAX_HANDLER_RUNS), (OnConflict::Fail, 1)]
        {
            let sessions = sessions().on_conflict(on_conflict);
            let (cookie, _) = stored_session(&sessions);
            let request: Request = TestRequest::new()
                .with_header(header("Cookie", &cookie))
                .into();
            let runs = Cell::new(0);
            let result = sessions.handle(&request, |session| {
                runs.set(runs.get() + 1);
                session.insert("here", &0).unwrap();
                change_elsewhere(&sessions, &cookie, runs.get());
                Response::empty(200)
            });
            assert!(matches!(
                result,
                Err(dynamodb_sessions::CommitError::Conflict)
            ));
            assert_eq!(runs.get(), expected_runs);
        }
    }
}

mod turns {
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
    /// through the glue (a "current user" helper, say) must not wait for the
    /// turn its own first session holds (`MAX_TURN_WAIT` on every request).
    #[test]
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
    /// (`csrf_token` on a session without one) or a logout waits for the
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
                        "csrf" => drop(reader.csrf_token().unwrap()),
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

    /// Methods are case-sensitive (RFC 9110 section 9.1): `get` is not `GET`,
    /// and a router matching `"GET"` exactly sends it to its unsafe branch, so
    /// the glue must not rerun it as a safe method.
    #[test]
    fn a_lowercase_method_is_not_safe() {
        assert!(!dynamodb_sessions::http::is_safe_method("get"));
    }

    /// Turns with a `ReadCache` in front of the store: writers taking turns
    /// from the load read the previous writer's record from the cache (or the
    /// store) and never conflict, while readers keep filling the cache; two
    /// processes, each with its own cache, stay exact.
    #[test]
    fn turns_behind_a_read_cache_never_conflict_and_stay_exact() {
        use dynamodb_sessions::cache::{CacheSettings, ReadCache};
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
                    let mut reader =
                        managers[0].load_with(Some(&cookie), Sequencing::FromFirstChange);
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
    /// its rerun holds the turn from the load, and the inner write must not
    /// wait `MAX_TURN_WAIT` for it.
    #[test]
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
        // Every inner commit moves the session on under the outer run, so the
        // outer run conflicts each time (as it did before turns); it must not
        // also wait for its own turn.
        assert!(
            waited < QUICK,
            "{:?} after {waited:?}",
            outcome.map(|r| r.status_code)
        );
    }

    /// A logout followed by data too large to store (checked before anything
    /// is written): the logout stands and the expiring cookie is sent; only
    /// the new data is dropped (a size check that ran before the logout's end
    /// used to fail the commit and keep the old session alive).
    #[test]
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
}

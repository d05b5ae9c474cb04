//! Server-side web sessions for blocking Rust servers, stored in Amazon
//! DynamoDB or in memory.
//!
//! The browser holds one opaque cookie; the session's data lives in a DynamoDB
//! table (up to 400 KB per session, sealed so that the table reveals nothing,
//! no server of your own to run) or, for tests and a single server, in this
//! process. It works with any blocking server that hands you a `Cookie` header
//! and lets you add a `Set-Cookie` header, with ready glue for tiny_http and
//! rouille. It is a Rust port of the Python package pyramid-dynamodb-sessions
//! and uses the same table layout, so both can serve one table while an app
//! moves over ([sharing a table](#sharing-a-table-with-pyramid-dynamodb-sessions)).
//!
//! An application adds this one crate. The root holds what every app uses: a
//! [`SessionManager`] over a backend ([`MemoryBackend`] or
//! [`DynamoDbBackend`]), its [`SessionConfig`], the per-request [`Session`]
//! and the errors. The rest waits in modules: [`http`] (the glue for
//! blocking servers, [`HttpSessions`](http::HttpSessions)), [`dynamodb`]
//! (the table, the retry policy, [`AwsSdkBackend`]), [`cache`] (the opt-in
//! read cache), [`store`] (for authors of a backend) and [`testing`] (clocks
//! and test wrappers).
//!
//! ```
//! use dynamodb_sessions::{MemoryBackend, Scheme, SessionConfig, SessionManager};
//!
//! let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
//!
//! // Per request: the Cookie header in (here none), the Set-Cookie header out.
//! let cookie_header: Option<&str> = None;
//! let mut session = manager.load(cookie_header); // no store call yet
//! let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//! session.insert("visits", &visits)?;
//! let scheme = Scheme::Http; // how the request came: it decides `Secure`
//! if let Some(set_cookie) = manager.commit(session, scheme)? {
//!     assert!(set_cookie.starts_with("session_id="));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `dynamodb` | yes | [`DynamoDbBackend`] and the [`dynamodb`] module, on rusoto (with tokio and hyper) |
//! | `aws-sdk` | no | [`AwsSdkBackend`] in the [`dynamodb`] module, on the official AWS SDK for Rust (the same tokio and hyper) |
//! | `tiny-http` | no | [`http::tiny_http`]: `serve` and the pieces it is made of |
//! | `rouille` | no | [`http::rouille`]: the same for rouille |
//!
//! ```toml
//! [dependencies]
//! dynamodb-sessions = { version = "0.1", features = ["tiny-http"] }   # or "rouille"
//! # memory only, no DynamoDB client (no rusoto, tokio or hyper):
//! # dynamodb-sessions = { version = "0.1", default-features = false, features = ["tiny-http"] }
//! ```
//!
//! The rest of this page is the guide: [the model](#the-model),
//! [using a session](#using-a-session), [server glue](#server-glue),
//! [settings](#session-settings), [the in-memory store](#the-in-memory-store),
//! [DynamoDB](#dynamodb) and [which client](#which-dynamodb-client),
//! [data at rest](#data-at-rest), [the read cache](#the-read-cache),
//! [errors](#errors) and [bad inputs](#bad-inputs), the
//! [security review](#security-review),
//! [sharing a table with pyramid-dynamodb-sessions](#sharing-a-table-with-pyramid-dynamodb-sessions)
//! and [known limits](#known-limits). A store of your own implements
//! [`store::Backend`] (the `dynamodb-sessions-core` crate's trait, re-exported
//! here) and proves itself with the `dynamodb-sessions-conformance` crate's
//! suite; [`testing`] has the helpers for testing session logic.
//!
//! # The model
//!
//! The browser holds one cookie, `session_id=<token>/<version>`. The token is
//! 32 random bytes from the operating system (`getrandom`), in base64url
//! without padding (43 characters). The store never sees the token: records
//! are keyed by its SHA-256, so a leaked table holds no usable session IDs.
//! Nor, by default, any session data: `dat` is sealed under a key derived
//! from the token, which only the browser holds ([data at rest](#data-at-rest)).
//! The version is the record's optimistic-locking version: 1 on create, one
//! more on every change.
//!
//! A request makes two calls. [`SessionManager::load`] takes the `Cookie`
//! header and only parses it: anything malformed (wrong length, wrong
//! alphabet, a version that is not a positive integer without leading zeros,
//! garbage) is simply no session and costs nothing. The record is fetched on
//! the first use of the session, so a request that never touches its session
//! makes no store call at all. The fetch is an eventually consistent read
//! (half the price); a strongly consistent read follows only if the record is
//! missing, older than the cookie's version, or looks expired, which gives
//! read-your-writes. A record past its `exp` (the idle timeout, 20 minutes by
//! default) or past its absolute lifetime (8 hours after creation by default)
//! is treated as absent and never written again, also when it expires while
//! the request runs.
//!
//! [`SessionManager::commit`] then writes what the request did and returns the
//! `Set-Cookie` value to send, if any: exactly one row of [the state
//! table](crate::SessionManager#what-commit-writes), which also says what can
//! go wrong and what is left in the store then. In short: an untouched or
//! read-only session writes nothing (a reissue of `iss`/`exp` at most every
//! `reissue_time`), a change is one conditional replace, a new session with
//! data one create, a logout one end, a login a create and an end. A write
//! whose version check fails is [`CommitError::Conflict`] and writes nothing;
//! reload and redo the change to retry.
//!
//! A session that passes its idle timeout or absolute lifetime while the
//! request runs is never written again, not even under a new ID
//! ([`CommitError::Expired`] for a change or a login; a read-only request just
//! sets no cookie), and a record's creation time (`crt`) never moves, so no
//! sequence of requests extends the absolute lifetime. (A write sent while
//! the session was alive can still land up to a call timeout later, or later
//! still if the network held it; it renews the session as of the moment it
//! was sent, never past `timeout` from then nor past the absolute lifetime.)
//!
//! An item over DynamoDB's 400 KB (counted as DynamoDB counts: attribute names
//! plus values, numbers by their base-100 digits) is [`CommitError::TooLarge`]
//! before anything is written; the check leaves room for `iss` and `exp` at
//! their widest, so a session that fits never fails a later reissue, and it
//! counts the 41 bytes sealing adds. A stored record that cannot be decoded,
//! whose sealed data does not open, or that holds plain CBOR under the default
//! [`DataProtection::Sealed`], is logged (through `log`, without any token or
//! key) and the request gets a new session under a new ID; the record is left
//! alone.
//!
//! ## Exact outcomes under lost answers and races
//!
//! Records are never deleted, only ended: logout and login put a tombstone
//! (version `u64::MAX`, no data) in place of the live record, and the table's
//! TTL removes it later. The version alone marks it ended for this library;
//! its `exp` is an hour ahead in CBOR mode and already past in JSON mode, so
//! that pyramid-dynamodb-sessions, which knows only `exp`, sees no session
//! there either. A key's version therefore only grows, and every write's
//! condition (still at version *v*; still live) names a state that never
//! comes back once left, so a retried or delayed request can never apply
//! late, and exactly one write ever produces a given version of a key.
//!
//! The one condition a key meets again, once the TTL has removed its item (an
//! expired session or a tombstone), is a create's (not there yet). So **a
//! create is sent at most once per key**: a throttled attempt is sent again
//! (it was refused for sure), but after one whose answer was lost (a timeout,
//! a dropped connection, a 5xx) the backend reads the key instead of
//! resending. Its own record there (by `wid`, below) is `Created`, another
//! record `AlreadyExists`, and nothing there [`BackendError::OutcomeUnknown`]:
//! the attempt may still land. Commit then gives the key up and creates the
//! session under a new ID (up to three in all). Nobody was ever given the
//! abandoned key, so a record landing there later is reached by no one and
//! expires. A backend of your own follows the same rule
//! ([`store::Backend::create`]).
//!
//! Every write also carries a random identity (`wid`, 16 bytes). When an
//! attempt's answer is lost and the retry fails its condition, the backend
//! reads the item and decides by that identity, never by content: ours (Ok),
//! someone else's at the version we aimed for (not ours, and never can be:
//! `Conflict`), or, when the item has moved on since,
//! [`BackendError::OutcomeUnknown`]. `Ok` therefore always means applied, and
//! `Conflict` always means not applied. An error from a write means it may or
//! may not have happened, and commit keeps the data in at least one record.
//!
//! A login's tombstone names the record the session moved to (`nxt`, that
//! record's storage key, never a token). A login racing a logout or a change
//! of the same session is a conflict: the new record is ended again, so a
//! logged-out session never comes back and a concurrent change is never
//! lost. A logout through an ID that a login already moved on follows `nxt`
//! and ends the newer records too, so a stale tab's logout logs the user out
//! whichever response the browser keeps. One deadline
//! (`RetryConfig::call_timeout`, 5 s) bounds each store call, its retries and
//! its check together.
//!
//! # Using a session
//!
//! Values are any serde type. Besides the map operations
//! ([`get`](Session::get), [`insert`](Session::insert), `remove`,
//! `contains_key`, `keys`, `len`, `is_empty`, `clear`, and `mark_changed` for
//! a change made through interior mutability) a session has
//! [`invalidate`](Session::invalidate) (logout),
//! [`regenerate_id`](Session::regenerate_id) (login, against session
//! fixation), flash messages (`flash`, `pop_flash`, `peek_flash` by queue, and
//! `flash_message`, `pop_flash_messages`, `peek_flash_messages` for the
//! default queue; stored under `_f_<queue>`) and CSRF tokens (`new_csrf_token`, `csrf_token`,
//! `check_csrf_token` in constant time, stored under `_csrft_`): the keys
//! Pyramid uses. `regenerate_id` also rotates the CSRF token, so check the
//! login form's token before calling it.
//!
//! ```
//! use dynamodb_sessions::{MemoryBackend, Scheme, SessionConfig, SessionManager};
//!
//! let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
//! let mut session = manager.load(None);
//! session.flash_message("Welcome back")?;
//! session.regenerate_id()?; // a login: the data moves to a new ID
//! session.insert("user", &"ada")?;
//! let set_cookie = manager.commit(session, Scheme::Https)?.unwrap();
//!
//! let cookie = set_cookie.split(';').next();
//! let mut session = manager.load(cookie);
//! assert_eq!(session.pop_flash_messages::<String>()?, ["Welcome back"]);
//! session.invalidate(); // a logout: the record ends, the cookie expires
//! let expired = manager.commit(session, Scheme::Https)?.unwrap();
//! assert!(expired.contains("Max-Age=0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Server glue
//!
//! With the `tiny-http` or `rouille` feature, [`HttpSessions`](http::HttpSessions) does the
//! per-request work. Its `serve` function ([`http::tiny_http`],
//! [`http::rouille`]) loads the session from the `Cookie` header, runs your
//! handler, commits, and adds `Set-Cookie`; on tiny_http it also answers the
//! request, exactly once. The form body is read once (up to 64 KiB) and
//! handed to the handler as parsed fields ([`Form`](http::Form)).
//! [`check_csrf`](http::HttpSessions::check_csrf) accepts the `csrf_token` form
//! field or the `X-CSRF-Token` header (as Pyramid does), compared in constant
//! time.
//!
//! ```
//! use dynamodb_sessions::http::{tiny_http::serve, HttpSessions};
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//! use tiny_http::{Method, Response};
//!
//! let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
//! // A real server: `for request in tiny_http::Server::http("127.0.0.1:8000")?.incoming_requests()`.
//! let request = tiny_http::TestRequest::new().into();
//! serve(&sessions, request, |request, form, session| {
//!     if *request.method() == Method::Post {
//!         if let Err(e) = sessions.check_csrf(session, request, form) {
//!             return Response::from_string(e.to_string()).with_status_code(e.status_code());
//!         }
//!     }
//!     let visits = session.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
//!     let _ = session.insert("visits", &visits);
//!     let token = session.csrf_token().unwrap_or_default();
//!     Response::from_string(format!("visit {visits}; form token {token}"))
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! rouille's `serve` returns the `Response`. For full control, call
//! [`HttpSessions::load`](http::HttpSessions::load) and [`HttpSessions::commit`](http::HttpSessions::commit) yourself, or, for a
//! server without glue, [`SessionManager::load`] and
//! [`SessionManager::commit`] with the `Cookie` header and a [`Scheme`].
//! `adapters/examples/minimal` is the smallest app, a visit counter in 36
//! lines (`cargo run -p dynamodb-sessions --example minimal --features
//! tiny-http`); `adapters/examples/newcomer` is the app a newcomer writes
//! first (counter, login, logout, flash, CSRF-checked forms) with 18 lines of
//! session code and none of form parsing; `adapters/examples/demo` shows, on
//! every page, the store calls the request made.
//!
//! ## A whole app
//!
//! Login, logout, a flash message and CSRF-checked forms, served by eight
//! threads, with sessions in DynamoDB when `SESSION_TABLE` names a table and
//! in memory otherwise (tests, a laptop): one binary for both. Its session
//! code is the handler's dozen lines; [`serve`][tiny_http serve]
//! does the rest, and [`FailedCommit::of_session`](http::FailedCommit::of_session)
//! turns a store that is down into a 503.
//!
//! ```no_run
//! use std::{sync::Arc, thread};
//!
//! use dynamodb_sessions::http::{tiny_http::serve, FailedCommit, Form, HttpSessions};
//! use dynamodb_sessions::{DynamoDbBackend, MemoryBackend, Session, SessionConfig};
//! use dynamodb_sessions::{SessionError, SessionManager};
//! use tiny_http::{Header, Method, Request, Response, Server};
//!
//! type Error = Box<dyn std::error::Error + Send + Sync>;
//!
//! fn manager() -> Result<SessionManager, Error> {
//!     let config = SessionConfig::default();
//!     Ok(match std::env::var("SESSION_TABLE") {
//!         Ok(table) if !table.is_empty() => {
//!             let backend = DynamoDbBackend::new(table)?; // region etc. from the environment
//!             // Needs CreateTable and friends: in production, run it from a
//!             // deployment role instead (see DynamoDB below).
//!             backend.create_table_if_missing()?;
//!             SessionManager::new(backend, config)
//!         }
//!         _ => SessionManager::new(MemoryBackend::new(), config),
//!     })
//! }
//!
//! fn main() -> Result<(), Error> {
//!     let sessions = HttpSessions::new(manager()?);
//!     let server = Arc::new(Server::http("127.0.0.1:8000")?);
//!     let workers: Vec<_> = (0..8)
//!         .map(|_| {
//!             let (server, sessions) = (Arc::clone(&server), sessions.clone());
//!             thread::spawn(move || {
//!                 for request in server.incoming_requests() {
//!                     let _ = serve(&sessions, request, |request, form, session| {
//!                         if *request.method() == Method::Post {
//!                             if let Err(e) = sessions.check_csrf(session, request, form) {
//!                                 let status = e.status_code();
//!                                 return Response::from_string(e.to_string()).with_status_code(status);
//!                             }
//!                         }
//!                         match page(request, form, session) {
//!                             Ok(Some(html)) => Response::from_string(html)
//!                                 .with_header("Content-Type: text/html".parse::<Header>().unwrap()),
//!                             Ok(None) => Response::from_string("")
//!                                 .with_status_code(303)
//!                                 .with_header("Location: /".parse::<Header>().unwrap()),
//!                             Err(e) => {
//!                                 // 503 with Retry-After when the store is down or busy.
//!                                 let failed = FailedCommit::of_session(&e);
//!                                 let mut response = Response::from_string(failed.message)
//!                                     .with_status_code(failed.status);
//!                                 if let Some(seconds) = failed.retry_after {
//!                                     let header = format!("Retry-After: {seconds}");
//!                                     response.add_header(header.parse::<Header>().unwrap());
//!                                 }
//!                                 response
//!                             }
//!                         }
//!                     });
//!                 }
//!             })
//!         })
//!         .collect();
//!     for worker in workers {
//!         let _ = worker.join();
//!     }
//!     Ok(())
//! }
//!
//! /// The page, or `None` to redirect to it after a form.
//! fn page(request: &Request, form: &Form, session: &mut Session) -> Result<Option<String>, SessionError> {
//!     match (request.method(), request.url()) {
//!         (Method::Post, "/login") => {
//!             session.regenerate_id()?; // a new session ID and CSRF token
//!             let user = form.get("user").filter(|u| u.chars().all(char::is_alphanumeric));
//!             session.insert("user", user.unwrap_or("guest"))?;
//!             return session.flash_message("Logged in.").map(|()| None);
//!         }
//!         (Method::Post, "/logout") => {
//!             session.invalidate(); // the record ends; the flash goes to a new session
//!             return session.flash_message("Logged out.").map(|()| None);
//!         }
//!         _ => {}
//!     }
//!     let user: Option<String> = session.get("user")?;
//!     let flash = session.pop_flash_messages::<String>()?.join(" ");
//!     let csrf = session.csrf_token()?;
//!     let csrf = format!("<input type=hidden name=csrf_token value={csrf}>");
//!     Ok(Some(format!(
//!         "<p>{flash}</p><p>Hello {}.</p>\
//!          <form method=post action=/login><input name=user>{csrf}<button>Log in</button></form>\
//!          <form method=post action=/logout>{csrf}<button>Log out</button></form>",
//!         user.as_deref().unwrap_or("guest")
//!     )))
//! }
//! ```
//!
//! A logout that sets a flash afterwards answers with one cookie: the new
//! session's (the old record is ended all the same). And `csrf_token()`
//! draws and stores a token for a visitor who has no session yet, so a page
//! that shows a form creates a session on a first visit: one create per new
//! visitor, which is what a form needs anyway.
//!
//! Tests need neither AWS nor a socket. [`serve`][tiny_http serve]
//! answers the request itself, so a test calls
//! [`HttpSessions::handle`](http::HttpSessions::handle) instead: it runs a
//! handler on a `tiny_http::TestRequest` (a rouille `Request::fake_http`
//! works alike) against a [`MemoryBackend`] and returns the response with
//! its `Set-Cookie` header, ready for the next request's `Cookie`. A form
//! comes from [`Form::parse`](http::Form::parse).
//!
//! ```
//! use dynamodb_sessions::http::HttpSessions;
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//! use tiny_http::{Header, Request, Response, TestRequest};
//!
//! let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
//! let visit = |cookie: Option<&str>| {
//!     let mut request = TestRequest::new();
//!     if let Some(cookie) = cookie {
//!         request = request.with_header(Header::from_bytes("Cookie", cookie).unwrap());
//!     }
//!     let request: Request = request.into();
//!     sessions.handle(&request, |session| {
//!         let visits = session.get::<u64>("visits").unwrap().unwrap_or(0) + 1;
//!         session.insert("visits", &visits).unwrap();
//!         Response::from_string(visits.to_string())
//!     })
//! };
//! let first = visit(None)?;
//! let set_cookie = first.headers().iter().find(|h| h.field.equiv("Set-Cookie")).unwrap();
//! let cookie = set_cookie.value.as_str().split(';').next().unwrap().to_owned();
//! let second = visit(Some(&cookie))?;
//! assert!(second.headers().iter().any(|h| h.field.equiv("Set-Cookie")));
//! # Ok::<(), dynamodb_sessions::CommitError>(())
//! ```
//!
//! **Turns.** Requests of one session take turns inside one process
//! ([`http::InProcessTurns::ByMethod`], the default): a `POST` (any unsafe
//! method) waits for the session's turn before it reads the session and holds
//! it until its commit; a `GET` reads without waiting and takes the turn only
//! when it changes the session. So a page's parallel `fetch` calls that each
//! write the session do not fail each other, and read-only requests never
//! wait. Only requests of the same session wait, never longer than
//! [`http::MAX_TURN_WAIT`] (5 s; then the request goes on without its turn,
//! still exact). With 16 parallel requests on one cookie, none conflicted
//! with turns, against 41% without, on DynamoDB Local; read-only requests
//! were no slower. The price is queueing: a burst of 16 writes of one
//! session waits its turn, one write cycle each.
//!
//! **Reruns.** If another request changed the session meanwhile anyway (a
//! `GET` that read before another's commit, or another server of a
//! load-balanced app), nothing was written. A request with a safe method
//! (`GET`, `HEAD`, `OPTIONS`, `TRACE`) is then rerun on the fresh data after a
//! random pause of 1–10 ms, then 1–20 ms, at most
//! [`http::MAX_HANDLER_RUNS`] (3) runs in all; its rerun takes the turn
//! before it reads. Any other request is answered 409 ("changed by another
//! request at the same time … please try again"): the glue cannot know
//! whether a `POST` handler has effects outside the session (a payment, an
//! email), and running those twice is worse than asking the user to
//! resubmit. A handler whose only effects are on the session opts in to
//! reruns with `sessions.clone().on_conflict(OnConflict::Rerun)`; one that
//! must never run twice, even as a `GET`, opts out with [`OnConflict::Fail`](http::OnConflict::Fail).
//! A session that expires while its handler runs is never rerun (the rerun
//! would run the handler's effects again for an anonymous user): it is
//! answered 409 "Your session expired; please reload the page".
//!
//! | setting on [`HttpSessions`](http::HttpSessions) | default | why |
//! | --- | --- | --- |
//! | `on_conflict` | [`OnConflict::RerunSafeMethods`](http::OnConflict::RerunSafeMethods) | a rerun repeats every effect of the handler; `GET` handlers are expected to bear that (browsers and proxies retry them), `POST` handlers are not, and a user resubmitting after a 409 is a far smaller harm than a payment made twice |
//! | `in_process_turns` | [`http::InProcessTurns::ByMethod`] | parallel requests of one browser are common (a page's `fetch` calls) and would fail each other for nothing; writers waiting in turn cost one write cycle each, readers never wait |
//! | `trust_forwarded_proto` | [`TrustForwardedProto::No`](http::TrustForwardedProto::No) | any client can send `X-Forwarded-Proto`; only a proxy that sets it on every request makes it true (see [`http`]'s "Behind a proxy") |
//! | `max_form_bytes` | 64 KiB | a login or a comment form is far smaller; the limit bounds what one request can make the server buffer |
//!
//! A logout is never refused: when the request also puts new data in the
//! session after `invalidate` (a "Logged out" flash) and that new record
//! cannot be stored (a full memory store, a failing create), the session is
//! still ended and the expiring cookie sent; the new data is dropped, logged,
//! and counted in [`SessionStats::dropped_after_logout`]. A reissue that
//! fails is likewise only logged, and counted in
//! [`SessionStats::failed_reissues`]: a count that keeps growing means every
//! active session will idle out (a missing `dynamodb:UpdateItem` permission,
//! say); alert on it ([`SessionManager::stats`]).
//!
//! **Two things about tiny_http 0.12** (and rouille, which runs on it), found
//! under load. It writes a response over 1 KB in pieces, so with Nagle's
//! algorithm a keep-alive client's delayed ACK holds each response back about
//! 40 ms: listen with `TCP_NODELAY` (set it on the listener, e.g. with
//! socket2; accepted connections inherit it on Linux, and tiny_http's
//! `Server::from_listener` takes it), as the demo does. rouille binds its own
//! listener and offers no such hook, so rouille keeps the stall on keep-alive
//! connections. And its connection pool can leave a connection that arrives
//! in a burst with others unserved for as long as those stay open (each pool
//! thread serves one keep-alive connection until the client closes it); a
//! reverse proxy that opens a connection per request (nginx's default
//! towards upstreams) bounds the wait by one request.
//!
//! # Session settings
//!
//! Every setting in this crate is set one way: a chained method named after
//! the setting, on a builder or a settings value, and, where the built value
//! shows it, read back by the same name ([`SessionConfig::builder`]`().timeout(..)` and
//! [`SessionConfig::timeout`]; [`MemoryLimits::DEFAULT`]`.max_sessions(..)`;
//! `RetryConfig::DEFAULT.max_attempts(..)`; [`HttpSessions::new`](http::HttpSessions::new)`(..).on_conflict(..)`).
//! Where a combination can be wrong, `build()` checks it and says why.
//! Choices are enums, never flags.
//!
//! Names and defaults follow pyramid-dynamodb-sessions.
//! [`SessionConfig::builder`] rejects nonsense with a [`ConfigError`]: an
//! invalid cookie name, path or domain, a timeout under a second,
//! `reissue_time` not below `timeout`, a zero `max_age` or absolute lifetime,
//! `SameSite=None` with `Secure` forced off, a `__Host-` or `__Secure-` name
//! without [`Secure::Always`] or, for `__Host-`, with a `Domain` or a `Path`
//! other than `/`: in any capitalization, since browsers match the prefixes
//! case-insensitively and silently drop such cookies.
//!
//! ```
//! use std::time::Duration;
//! use dynamodb_sessions::{SameSite, Secure, SessionConfig};
//!
//! let config = SessionConfig::builder()
//!     .secure(Secure::Always) // behind a TLS-terminating proxy
//!     .same_site(Some(SameSite::Lax)) // reached by links from other sites
//!     .timeout(Duration::from_secs(30 * 60))
//!     .build()?;
//! assert_eq!(config.reissue_time(), Duration::from_secs(120));
//! # Ok::<(), dynamodb_sessions::ConfigError>(())
//! ```
//!
//! | setting | default | why |
//! | --- | --- | --- |
//! | `cookie_name` | `session_id` | the Python package's name, so one table and cookie serve both; a generic name that tells nothing about the stack |
//! | `max_age` | none | a browser-session cookie |
//! | `path` | `/` | one session for the whole site |
//! | `domain` | none | host-only: subdomains never see the cookie |
//! | `secure` | [`Secure::FollowRequest`] | `Secure` exactly when the request came over HTTPS ([`Secure::Always`] behind a TLS-terminating proxy) |
//! | `http_only` | true | scripts cannot read the token |
//! | `same_site` | `Strict` | no cross-site request carries the session (`None` always adds `Secure`, as browsers require). The Python package's default; but a link from another site then arrives without the session, and if that request writes one, the browser's cookie is replaced (below): a site reached by links from elsewhere should choose `Lax` |
//! | `timeout` | 1200 s | 20 minutes of inactivity end a session |
//! | `reissue_time` | 120 s | a reissue is a write; one per 2 minutes keeps the timeout fresh at a tenth of the cost |
//! | `absolute_lifetime` | 8 h | caps a session's age, counted from its creation (`crt`), whatever its activity; `exp` is capped too, so DynamoDB's TTL removes it on time. OWASP's Session Management Cheat Sheet sizes the absolute timeout to a working day, 4–8 hours for an application used through an office day; the top of that range signs nobody out in the middle of one, yet ends a stolen session, or one a script or an open tab keeps active, within a day (the idle timeout never does, and browsers that restore tabs keep session-only cookies for weeks). Sealed data is bound to `crt`, so a table writer who moves `exp` ahead still cannot stretch it; in JSON mode and with `Plain` nothing is bound, so there it holds only against the browser. A `timeout` longer than the absolute lifetime is refused ([`ConfigError::TimeoutOverAbsoluteLifetime`]) rather than silently capped: set `absolute_lifetime` too, at least as long, or `None` to opt out |
//! | `data_encoding` | CBOR | compact and lossless (byte strings, all integers); [`DataEncoding::Json`] writes the JSON text pyramid-dynamodb-sessions reads, and refuses values JSON cannot hold |
//! | `data_protection` | [`DataProtection::Sealed`] | CBOR `dat` is encrypted and authenticated under a key only the cookie holds, so a leaked table reveals no session data, for a few µs per request, and plain CBOR planted in the table never loads; `SealedAcceptingPlain` also reads plain CBOR, for the migration window after `Plain`; `Plain` only if something else must read `dat` from the table; JSON is always plain ([data at rest](#data-at-rest)) |
//!
//! What Chromium (148) does with these cookies, as this repository's browser
//! test checks it:
//!
//! | case | what happens |
//! | --- | --- |
//! | a `Secure` cookie, with a `__Host-` name, over `http://127.0.0.1` | kept and sent back: Chromium counts loopback (`127.0.0.1`, and `localhost`) as a secure origin for cookies, so [`Secure::Always`] and `__Host-` names work in local development; on any other plain-HTTP origin browsers refuse a `Secure` cookie |
//! | a link from another site, `SameSite=Strict` (the default) | arrives without the session; the page then starts a new session, and Chromium stores its `Set-Cookie` although the navigation came from another site, so the browser's session cookie is replaced: the user is logged out. An app whose pages are reached from links elsewhere (mail, other sites) should use `Lax`, or not write a session on a request that came without one |
//! | the same link under `SameSite=Lax` | arrives with the session |
//! | the same link under `SameSite=None` (which adds `Secure`) | arrives with the session |
//!
//! # Users: "log out everywhere"
//!
//! A manager built with [`SessionManager::with_users`] can attach a user to
//! a session at login ([`Session::set_user`], which also draws a new ID),
//! list a user's sessions for a "your sessions" page
//! ([`Session::user_sessions`]: label, created, last used, a handle), end
//! one of them by its handle ([`Session::end_session`]), every other one
//! ([`Session::end_other_sessions`]) or all of them
//! ([`SessionManager::end_all_sessions`], e.g. after a password change),
//! and cap sessions per user
//! ([`UserSettings::max_sessions_per_user`](users::UserSettings::max_sessions_per_user)).
//! Ending is exact: once the call returns `Ok`, no ended session loads as
//! that user again, in any process, whatever the interleaving; the
//! [`users`] module says how and what it costs. Sessions without a user
//! cost exactly what they did.
//!
//! ```
//! use dynamodb_sessions::users::{UserSecret, UserSettings};
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//!
//! // 32 or more random bytes, the same on every server, from your secrets store.
//! let secret = UserSecret::from_bytes(&[7; 32])?;
//! let manager = SessionManager::with_users(
//!     MemoryBackend::new(),
//!     SessionConfig::default(),
//!     UserSettings::new(secret),
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The backend must offer [`UserSessions`](users::UserSessions):
//! [`MemoryBackend`] does. A store without it stays a complete session
//! store; only `with_users` asks for it.
//!
//! # The in-memory store
//!
//! [`MemoryBackend`] keeps sessions in the process, under exactly DynamoDB's
//! conditions (the conformance suite runs on both). It is for tests and for
//! a small deployment on one server, and it is bounded:
//!
//! - **Expired records go away by themselves.** Every write first removes up
//!   to 16 records whose `exp` passed over an hour before the write's time,
//!   as DynamoDB's TTL removes items some time after they expire (sessions
//!   already treat an expired record as gone, so the delay only costs
//!   memory). The time is the write's own, the application's clock, so a
//!   clock that was once ahead sweeps once, not for good. No call to
//!   [`MemoryBackend::purge_expired`] is needed; it remains for reclaiming
//!   memory at once.
//! - **It cannot grow without bound.** [`MemoryLimits`] (default 100,000
//!   sessions and 256 MiB of items, counted as DynamoDB counts item sizes)
//!   caps it. When a write needs more room, every record expired over a
//!   minute before it is removed first (never the one being written). Then,
//!   by default ([`WhenFull::RefuseNew`]), new sessions are refused with
//!   [`BackendError::Full`] (the glue answers 503 with `Retry-After: 1`) once
//!   sessions that have not ended fill 90% of either limit, or the store is
//!   full: the last 10% is kept for the sessions already there, so a flood of
//!   cookie-less requests can neither log out the users already there nor
//!   keep them from growing their session or logging in; no live session is
//!   removed for room. [`WhenFull::EvictSoonestExpiring`] drops ended records
//!   and then the least recently active sessions instead (never the record a
//!   login moves away from); a write too large for the whole store is refused
//!   without evicting anything. A logout is never refused. A flood of three
//!   times the limit leaves what the store holds unchanged.
//! - **Ended records give way to the users still there.** Logout and login
//!   leave a tombstone under the ID they end, which counts towards
//!   `max_sessions` and `max_bytes` for an hour. Under `RefuseNew` a write of
//!   a session already there (growing, or logging in) removes tombstones,
//!   oldest first, when it needs their room: otherwise one account logging
//!   in over and over would fill the room kept for everyone with its
//!   tombstones and keep the other users from logging in for as long as a
//!   flood's sessions live. In memory a tombstone guards only a login's
//!   `nxt`: a write to a missing key fails as it would on the tombstone and
//!   new keys are always fresh, so a logged-out session never comes back;
//!   once it is gone, a stale tab's logout through the ID a login left ends
//!   nothing instead of following the login. New sessions never remove a
//!   tombstone, and a tombstone does not count towards their 90% (a logout
//!   frees its place for them). [`MemoryBackend::len`] counts the sessions
//!   that have not ended, [`MemoryBackend::ended_len`] the tombstones.
//!
//! ```
//! use dynamodb_sessions::{MemoryBackend, MemoryLimits, WhenFull};
//!
//! let backend = MemoryBackend::with_limits(
//!     MemoryLimits::DEFAULT
//!         .max_sessions(10_000)
//!         .max_bytes(64 * 1024 * 1024)
//!         .when_full(WhenFull::RefuseNew),
//! );
//! assert!(backend.is_empty());
//! ```
//!
//! Sessions live as long as the process, and each process has its own:
//! behind a load balancer with several servers, use DynamoDB.
//!
//! # DynamoDB
//!
//! Create the table (hash key `sid` of type B, TTL on `exp`) with the AWS CLI
//! as the Python package's README shows, or let the backend do it:
//!
//! ```no_run
//! use dynamodb_sessions::DynamoDbBackend;
//!
//! // Region, endpoint and credentials from the environment and the AWS
//! // profile, as the AWS CLI and SDKs find them (see below).
//! let backend = DynamoDbBackend::new("sessions")?;
//! backend.create_table_if_missing()?; // PAY_PER_REQUEST, sid (B), TTL on exp; idempotent
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each session is one item:
//!
//! | attribute | type | meaning |
//! | --- | --- | --- |
//! | `sid` | B, hash key | SHA-256 of the session token |
//! | `ver` | N | version: 1 on create, +1 on every replace; `u64::MAX` for a tombstone |
//! | `iss` | N | unix seconds of the last write or reissue |
//! | `exp` | N | when the session idles out; the table's TTL attribute. A tombstone's: an hour after the logout, or in JSON mode a second before it |
//! | `crt` | N | unix seconds of creation (absent in pyramid's items) |
//! | `dat` | B or S | the data. B: sealed CBOR (`0x1c`, 24-byte nonce, ciphertext, 16-byte tag; the default), or plain CBOR (a map, starting `0xa0`–`0xbf`) with `DataProtection::Plain`, read only under `Plain` and `SealedAcceptingPlain`; tombstones hold plain `{}` (`0xa0`), never decoded. S: JSON text, always plain, as pyramid-dynamodb-sessions writes it |
//! | `wid` | B | the identity of the write that stored the item (16 random bytes) |
//! | `nxt` | B | in a login's tombstone: the storage key of the record the session moved to |
//! | `usr` | B | for a session a user logged in to: the user's 32-byte pseudonym; the key of the user index |
//! | `uep` | N | with `usr`: the user's generation at login |
//! | `uin` | B | with `usr`: the user id and the session's label, sealed |
//!
//! `usr`, `uep` and `uin` are all there or none (tombstones have none).
//! Each user whose sessions were ended all at once also has one generation
//! item: `sid` is `0x55` and the pseudonym (33 bytes, so no session lookup
//! reaches it), `gen` (N) its generation, and no `exp`: TTL never removes
//! it. The global secondary index `usr-index` (hash key `usr`, projecting
//! `ver`, `iss`, `exp`, `crt`, `uep`, `uin`) lists a user's sessions; only
//! that listing needs it. `create_table_if_missing` creates tables with it;
//! add it to an older table with `create_user_index_if_missing`, or:
//!
//! ```text
//! aws dynamodb update-table --table-name sessions \
//!   --attribute-definitions AttributeName=usr,AttributeType=B \
//!   --global-secondary-index-updates '[{"Create":{"IndexName":"usr-index",
//!     "KeySchema":[{"AttributeName":"usr","KeyType":"HASH"}],
//!     "Projection":{"ProjectionType":"INCLUDE",
//!       "NonKeyAttributes":["ver","iss","exp","crt","uep","uin"]}}}]'
//! ```
//!
//! (on a table with provisioned capacity, add `"ProvisionedThroughput"` to
//! the `Create`).
//!
//! Against DynamoDB Local, name the endpoint (`http://` works as well as
//! `https://`):
//!
//! ```
//! use dynamodb_sessions::DynamoDbBackend;
//!
//! let backend = DynamoDbBackend::builder("sessions")
//!     .region("us-east-1")
//!     .endpoint("http://127.0.0.1:8000")
//!     .static_credentials("local", "local")
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The backend owns one tokio runtime and is cheap to clone; its methods
//! block and may be called from any number of threads. Throttling, 5xx and
//! transport errors are retried (4 attempts, exponential backoff with full
//! jitter from 25 ms up to 1 s, 2 s per attempt, 5 s per call in all), then
//! reported as typed [`BackendError`]s. The builder sets each of these on its
//! own (`max_attempts`, `base_delay`, `max_delay`, `attempt_timeout`,
//! `call_timeout`); `retry(RetryConfig)` sets all five at once, overwriting
//! what was set before it. The call's deadline bounds everything: no attempt
//! runs past it (the defaults give a store that never answers three 2 s
//! attempts, not four), an `attempt_timeout` above `call_timeout` only
//! lengthens `create_table_if_missing`'s requests, and a call that runs out
//! of time is [`BackendError::Timeout`] whose `after` is how long the caller
//! waited. An error's source says what failed in fixed words (the kind of
//! failure, DynamoDB's error code, the HTTP status, the kind of I/O error),
//! never in the client's own text, which can quote the request or the answer
//! (storage key, `dat`).
//!
//! Both backends find region, endpoint and credentials the same way, as the
//! AWS CLI v2 and the AWS SDKs do; a blank variable counts as unset:
//!
//! - **profile**: `AWS_PROFILE`, else `default`, from `AWS_CONFIG_FILE` (else
//!   `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (else
//!   `~/.aws/credentials`, whose settings win). A file that does not parse
//!   fails `build()` with `BuildError::InvalidProfileFile`.
//! - **region**: `region(..)`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`,
//!   else the profile's `region`; `us-east-1` only when none is set. Any name
//!   works, including regions newer than rusoto's list: it goes to
//!   `https://dynamodb.<region>.<partition domain>` (e.g. `amazonaws.com.cn`
//!   for `cn-*`), signed for that region. A name that is not a region name,
//!   or belongs to no known partition (without an endpoint), fails `build()`
//!   with `BuildError::InvalidRegion` / `UnknownRegion`: never another region.
//! - **endpoint**: `endpoint(..)`, else `AWS_ENDPOINT_URL_DYNAMODB`, else
//!   `AWS_ENDPOINT_URL`, else the profile's `services` section
//!   (`dynamodb =` / `  endpoint_url = ...`), else the profile's
//!   `endpoint_url`, else the region's. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
//!   (or the profile's `ignore_configured_endpoint_urls = true`) leaves only
//!   `endpoint(..)`. Each one is checked: a typo such as `127.0.0.1:8000` (no
//!   scheme) fails `build()` with `BuildError::InvalidEndpoint`, wherever it
//!   is.
//! - **credentials**: `static_credentials(..)`, else the client's chain on
//!   that same profile: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, the
//!   profile, (AWS SDK only: web identity), a container's role, the
//!   instance's role. Where the AWS SDK would use what rusoto cannot (SSO,
//!   `role_arn`, web identity, keys in the config file), [`DynamoDbBackend`]'s
//!   build fails with `BuildError::UnsupportedCredentials` rather than sign
//!   with another identity.
//!
//! A backend's `Debug` shows what it resolved (region, endpoint and where it
//! came from, profile, credential source, never a key).
//!
//! At run time the application needs only these permissions:
//!
//! ```json
//! {
//!   "Version": "2012-10-17",
//!   "Statement": [{
//!     "Effect": "Allow",
//!     "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
//!     "Resource": "arn:aws:dynamodb:REGION:ACCOUNT:table/sessions"
//!   }]
//! }
//! ```
//!
//! `create_table_if_missing` additionally needs `DescribeTable`,
//! `CreateTable`, `DescribeTimeToLive` and `UpdateTimeToLive`; run it from a
//! deployment role rather than granting those to the application.
//! `create_user_index_if_missing` needs `DescribeTable` and `UpdateTable`.
//!
//! Users' sessions (a manager built with `SessionManager::with_users`) need
//! no more on the table: ending a user's other sessions is a transaction
//! (`TransactWriteItems`), allowed by `PutItem` and `UpdateItem`. Listing a
//! user's sessions needs `dynamodb:Query` on the index,
//! `arn:aws:dynamodb:REGION:ACCOUNT:table/sessions/index/usr-index`.
//!
//! ## Global tables
//!
//! Every promise here rests on conditional writes seeing an item's latest
//! state. What holds on a DynamoDB global table depends on its mode, on how
//! users are routed between regions, and on how the backend is set up. The
//! randomized checker runs the library's promises on a model of each
//! (`dynamodb-sessions-conformance`'s `interleavings::Regions`: replicas
//! per region, asynchronous replication, last writer wins per item,
//! conditions checked locally, outages, each region's TTL); the table in
//! `CONTRIBUTING.md` gives the counts and the seeds that replay each break.
//!
//! | mode | backend | routing | what holds |
//! | --- | --- | --- | --- |
//! | one region | [`DynamoDbBackend`] | any | everything |
//! | MREC (the default) | [`DynamoDbBackend`] in each region | each user always to one region | everything, while that region is up |
//! | MREC | [`DynamoDbBackend`] in each region | a user's requests to more than one region (latency routing, failover) | **not** exact: two regions pass the same version check and last writer wins drops an acknowledged write; a logout is overwritten by a write replicated from another region and the session comes back |
//! | MREC | home-routed (the builder's `build_home_routed`) | any | everything; with TTL on, set an [`expiry_margin`](SessionConfigBuilder::expiry_margin) |
//! | MRSC | [`DynamoDbBackend`] | any | everything but ending a user's other sessions (no transactions); expired items need the sweeper (below) |
//!
//! **Home routing** keeps every promise on an MREC table however users are
//! routed. Each session has a home region, named by its ID: the region
//! whose key slots hold the first 4 bits of its storage key
//! ([`regions`]). Every store call for the session goes to that region's
//! replica, so only one region ever writes the item, its conditions and
//! strong reads are exactly those of one region, and last writer wins
//! never meets two writers. The cookie stays `<token>/<version>`. A process
//! draws new IDs in its own region's slots, so sessions are homed where
//! they start, and a login moves a session home to the region serving it.
//!
//! ```no_run
//! use std::time::Duration;
//! use dynamodb_sessions::dynamodb::{DynamoDbBackend, HomeRegions};
//! use dynamodb_sessions::regions::{Failover, KeySlots};
//! use dynamodb_sessions::{SessionConfig, SessionManager};
//!
//! // In eu-west-1; the processes in us-east-1 say `.local("us-east-1")`.
//! let backend = DynamoDbBackend::builder("sessions").build_home_routed(
//!     HomeRegions::new()
//!         .region("eu-west-1", KeySlots::range(0..8)?)
//!         .region("us-east-1", KeySlots::range(8..16)?)
//!         .local("eu-west-1")
//!         .failover(Failover::Wait),
//! )?;
//! let config = SessionConfig::builder()
//!     .key_slots(backend.local_slots())
//!     // Longer than the replication lag plus a store call's deadline (5 s).
//!     .expiry_margin(Duration::from_secs(10))
//!     .build()?;
//! let manager = SessionManager::new(backend, config);
//! # drop(manager);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! *Cost*: the same store calls per request as with one region. A request
//! served in its session's home region costs nothing more; one served
//! elsewhere sends each of its store calls across regions (one round trip
//! each). Route users to their home where you can (sticky routing).
//!
//! *A home region that is down*: with [`Failover::Wait`](regions::Failover::Wait)
//! (the default) its sessions' calls fail as any outage does: 503 with
//! `Retry-After`, nothing lost, and the users are back in their sessions
//! when the region is. New visitors get sessions homed in the region
//! serving them. With [`Failover::Abandon`](regions::Failover::Abandon),
//! after [`HomeRouted::mark_down`](regions::HomeRouted::mark_down) (your
//! health checks decide; one failed call never does), those sessions are
//! given up: a user of one gets a fresh session in the region serving them
//! and logs in again. A user loses the whole session, never part of it,
//! and no ended session comes back: nothing is written for it outside its
//! home, so nothing conflicts when the region returns
//! ([`mark_up`](regions::HomeRouted::mark_up)). What stays exposed: an
//! abandoned session cannot be ended while its home is down, so it stays
//! live in its home until it idles out, or until a logout once the region
//! is back; whoever holds a copy of its cookie can use it then. A logout
//! meanwhile answers 503 when it ends the session by its cookie without
//! reading it, and clears only the browser's cookie when the handler read
//! the session first (it was no session then). Leave some slots free from the
//! start (e.g. `0..6` and `8..14`) for regions added later.
//!
//! *TTL across regions*: each region's TTL deletes the items its own
//! replica holds past `exp`, and the delete replicates and wins over older
//! writes. A session reissued in its home just before `exp` can be deleted
//! by another region that has not yet seen the reissue: the user is logged
//! out early (never is an ended session brought back). The checker finds
//! this without a margin; an [`expiry_margin`](SessionConfigBuilder::expiry_margin)
//! longer than the replication lag plus a store call's deadline makes every
//! reissue reach every replica before the `exp` it replaces (the checker
//! finds nothing then). A region cut off for longer than the margin can
//! still end its users' sessions early when it returns.
//!
//! *The slot table*: give a new region slots no region holds. Moving a
//! slot that has live sessions to another region needs every process to
//! switch at once, else the slot has two homes during the rollout; end
//! those sessions first, or wait out the absolute lifetime after the last
//! process stopped drawing IDs in it. Moving to home routing is the same
//! hazard: until every process has moved, the old ones write a session in
//! their own region while the new ones write it in its home, so route each
//! user to one region during the rollout; and sessions whose IDs fall in
//! slots no region holds load as no session (their users log in again).
//!
//! *Not covered*: the home-routed backend does not offer [`users`]
//! ("log out everywhere"): a user's generation has no home region yet, and
//! a session a user logged in to loads as no session through a manager
//! without users, so moving an application with users to home routing logs
//! its users out once. A
//! pyramid-dynamodb-sessions process writes in its own region whatever the
//! slot: sessions shared with Python stay exact only with the plain
//! per-region backend and each user routed to one region.
//!
//! **Multi-Region strong consistency** (MRSC): conditions and strong reads
//! see the latest state in every region, so the plain backend keeps every
//! promise under any routing (the checker agrees, with outages and writes
//! refused as conflicts); home routing would only add latency. A write
//! refused because another region is writing the same item
//! (`ReplicatedWriteConflictException`) wrote nothing and is retried like a
//! throttled one. AWS gives MRSC tables no TTL and no transactions
//! (developer guide, "How DynamoDB global tables work"):
//!
//! * `create_table_if_missing` sends no TTL request to a table it finds in
//!   MRSC, reports `TtlStatus::Unavailable` and warns once. Expired
//!   sessions never load, but their items stay: run the backend's
//!   `sweep_expired(SweepOptions::default())` hourly from one process (or
//!   one per `segment(i, n)`). It scans key and `exp` for items expired
//!   longer than a grace (1 h, for clock skew) and deletes each on the same
//!   condition, so a session used meanwhile stays. Deleting is as safe as
//!   TTL: a freed key can only be taken by a create, which the library
//!   sends at most once per key. A sweep reads the whole table, half a
//!   read unit per 4 KB scanned (about 35 per 1,000 small sessions), and
//!   writes one unit per deleted session, replicated to the other regions.
//! * `Session::end_other_sessions` needs a transaction: on MRSC it fails
//!   with `UsersError::Backend` (`Rejected`, source
//!   `TransactionsUnsupported`), nothing written; `end_all_sessions`
//!   works. Call `check_replication` or `create_table_if_missing` at start
//!   so that the backend knows the mode (the AWS SDK client can read it,
//!   rusoto cannot: there the refusal is DynamoDB's).
//!
//! **Knowing which table you have**: the backend's `check_replication`
//! makes one DescribeTable call and returns a typed
//! `dynamodb::TableReplication` (one region, MREC or MRSC with their
//! regions), saying at warn level when the promises hold only with each
//! user routed to one region; `create_table_if_missing` says so too. The
//! rusoto client cannot read the consistency mode (its API predates strong
//! consistency): it reports a global table's mode as unknown; the AWS SDK
//! client reads it.
//!
//! ## Which DynamoDB client?
//!
//! Two backends store sessions in DynamoDB and behave the same (the same
//! items, conditional writes, write identities, decisions of lost answers,
//! retries under one deadline per call, typed [`BackendError`]s and
//! `create_table_if_missing`) because they run the same code; only the client
//! that carries the requests differs. Every DynamoDB test runs on both.
//!
//! | | [`DynamoDbBackend`] (feature `dynamodb`, default) | [`AwsSdkBackend`] (feature `aws-sdk`) |
//! | --- | --- | --- |
//! | client | rusoto 0.48: unmaintained since 2022 ([RUSTSEC-2022-0071](https://rustsec.org/advisories/RUSTSEC-2022-0071)) | the official AWS SDK for Rust (`aws-sdk-dynamodb` 1.x, `aws-config` 1.x) |
//! | credentials without `static_credentials` | environment, `~/.aws/credentials` (and `credential_process` in `~/.aws/config`), container and instance roles; `BuildError::UnsupportedCredentials` where SSO, `role_arn`, web identity or keys in the config file are configured | `aws-config`'s default chain: those, plus IAM Identity Center (SSO), web identity (EKS IRSA), `role_arn` profiles |
//! | region, endpoint, profile | resolved alike for both (above) | the same |
//! | an endpoint that is not `http(s)://host` | `BuildError::InvalidEndpoint` | the same (the SDK alone would ignore such a variable and send to the region's real endpoint, and take such a profile setting and fail every request with the request in its error) |
//! | cost | lighter: less client CPU per request, fewer crates, a smaller binary | about 1.8× rusoto's client CPU per request, 1.2–1.4× its p50 on DynamoDB Local; more crates, a binary about twice the size |
//!
//! Both run on one tokio runtime per backend and one HTTP stack: the SDK is
//! given rusoto's hyper 0.14 + rustls connector, so an app with both pulls in
//! no second hyper or TLS library. The SDK's own retries, timeouts and
//! stalled-stream checks are off; the backend's `RetryConfig` is the only
//! policy. The library adds the same small share over either client's bare
//! calls (about 1.1× at p50); the difference is the client's own cost, which
//! matters little against a remote DynamoDB's milliseconds but shows in CPU
//! (figures in `adapters/BENCHMARKS.md`).
//!
//! Choose the AWS SDK when the application must run on a maintained client,
//! or signs in through SSO, web identity or assumed-role profiles; otherwise
//! the default is the lighter one.
//!
//! ```toml
//! [dependencies]
//! # The AWS SDK backend only (no rusoto):
//! dynamodb-sessions = { version = "0.1", default-features = false, features = ["aws-sdk", "tiny-http"] }
//! ```
//!
//! ```no_run
//! use dynamodb_sessions::dynamodb::AwsSdkBackend;
//! use dynamodb_sessions::{SessionConfig, SessionManager};
//!
//! // Region, endpoint and credentials as every AWS SDK finds them.
//! let backend = AwsSdkBackend::new("sessions")?;
//! backend.create_table_if_missing()?;
//! let manager = SessionManager::new(backend, SessionConfig::default());
//! # drop(manager);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Migrating** is a change of type: [`DynamoDbBackend`] becomes
//! [`AwsSdkBackend`] (its builder has the same methods: `region`, `endpoint`,
//! `static_credentials`, `temporary_credentials`, `retry`, `max_attempts`,
//! ...). Nothing changes in the table (the same items, the same conditions),
//! so there is nothing to migrate, old and new processes can share the table
//! during a rolling deploy, and going back is the same change reversed. Both
//! resolve region, endpoint and profile the same way from the same
//! environment (neither asks the EC2 instance metadata service for a
//! region), so the switch moves no data to another region or endpoint. The
//! demo runs on either: `--client aws-sdk` (or `DEMO_DYNAMODB_CLIENT=aws-sdk`).
//!
//! Failures read the same on both. An answer that cannot be read counts as
//! one that may have been applied, so the write identity decides it. With no
//! credentials found, nothing is sent, and the call is retried as one that
//! was never sent (a chain may find them on the next attempt; an instance
//! metadata service can blink): it ends with [`BackendError::Unavailable`],
//! or with `Timeout` while the SDK probes the instance metadata service off
//! EC2 (set `AWS_EC2_METADATA_DISABLED=true` there). A refused connection is
//! retried as never sent too. An invalid credentials configuration the SDK
//! reports as such, a request the SDK cannot build, and an endpoint it cannot
//! resolve or apply are `Rejected` at once: never sent, never "maybe
//! applied". One difference to mind in logs: the SDK traces every request and
//! answer, bodies included (storage keys, sealed data, write identities),
//! through `tracing` at TRACE level; keep `aws_smithy_runtime` and
//! `aws_sdk_dynamodb` below TRACE in production.
//!
//! # Data at rest
//!
//! A leaked table (a backup, a point-in-time export, an analytics pipeline,
//! an over-broad IAM role) holds SHA-256 digests of the tokens, times, and
//! `dat`. By default ([`DataProtection::Sealed`]) `dat` is sealed, so it
//! reveals nothing either, and the server keeps no key to manage or leak:
//!
//! ```text
//! dat = 0x1c | nonce (24 random bytes) | XChaCha20-Poly1305(CBOR map) | tag (16 bytes)
//! key = HKDF-SHA256(ikm = token, info = "dynamodb-sessions v1 dat sealing key")
//! AD  = 0x1c | sid (32 bytes) | ver (u64, big-endian) | crt present (1 byte) | crt (i64, big-endian)
//! ```
//!
//! - **Key.** Derived from the token in the cookie, never stored. The table's
//!   key is plain SHA-256 of the token, a different function: knowing the
//!   storage key gives nothing towards the sealing key (HKDF's extract step is
//!   HMAC-SHA256, and the token has 256 random bits).
//! - **Nonce.** 24 fresh bytes from the OS per write, so nonces never repeat
//!   in practice, however often a session is written. That is why
//!   XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): a random 24-byte
//!   nonce leaves no write count to reason about, where the 12-byte nonces of
//!   ChaCha20-Poly1305 and AES-256-GCM would need one; and ChaCha runs in
//!   constant time in software, with no dependence on AES instructions.
//! - **Associated data: what a ciphertext is bound to, and why.** `sid`, so
//!   that a `dat` moved or swapped to another record does not open (the key
//!   differs there too; the binding says so explicitly). `ver`, because every
//!   replace rewrites `dat`: an older `dat` of the same session put back under
//!   a newer version (a partial rollback) does not open. `crt`, written with
//!   `dat` by every create and replace, so that nobody with write access
//!   stretches a session's absolute lifetime, or removes `crt` to escape it,
//!   without the data failing to open. Not `iss` and `exp`: a reissue
//!   rewrites only those two, never `dat`, so binding them would break every
//!   reissue. A table writer can therefore move `exp` ahead, which keeps a
//!   session from idling out, but not past the absolute lifetime counted from
//!   the bound `crt` (8 hours by default; with `absolute_lifetime(None)`
//!   nothing caps it). The format byte is bound too.
//! - **Reading records.** Sealed CBOR and JSON load under every setting.
//!   Plain CBOR (written with [`DataProtection::Plain`]) does **not** load
//!   under the default `Sealed`: it carries no proof of where it was written,
//!   so reading it would let anyone with write access to the table put
//!   contents of their choosing into a victim's session. It is treated as a
//!   corrupt record: logged without secrets, a new session, the record left
//!   alone. Only `Plain` writes it, so only a table written with `Plain` holds
//!   any; to switch such a table to sealing without logging its users out,
//!   run [`DataProtection::SealedAcceptingPlain`] (writes sealed, still reads
//!   plain CBOR) until every plain session has been written (each is sealed
//!   on its next write) or has expired, at most the absolute lifetime (8
//!   hours by default), then `Sealed`. `0x1c` is a CBOR initial byte with
//!   additional information 28, which RFC 8949 reserves: no well-formed CBOR
//!   item starts with it, so a plain map (which starts with a map head
//!   `0xa0`–`0xbf`, or a tag before one) is never taken for sealed data, and
//!   any CBOR reader refuses sealed data as malformed rather than misreading
//!   it. Sealed data that does not open (changed, cut, moved to another key
//!   or version) is a corrupt record too.
//! - **JSON stays plain.** [`DataEncoding::Json`] exists for sharing a table
//!   with pyramid-dynamodb-sessions, which must read `dat`; it is never
//!   sealed, whatever `data_protection` says. Sealing protects CBOR tables
//!   only.
//! - **Turning it off.** `SessionConfig::builder().data_protection(DataProtection::Plain)`
//!   writes plain CBOR, for deployments where something other than this
//!   library must read session data from the table (an admin tool, an
//!   analytics job). The cost is the protection: whoever can read the table,
//!   its backups or exports reads every session's data, and whoever can write
//!   it can move or swap data between sessions unnoticed. `Plain` reads sealed
//!   records, so switching to it needs no migration; switching back goes
//!   through `SealedAcceptingPlain` (above).
//! - **Why on by default.** Opening and sealing cost about 9 µs of CPU per
//!   request at 1 KB of data and about 0.2 ms at 100 KB, 0.3% and 2% of
//!   DynamoDB Local's cycle of the same size on loopback, less against the
//!   real service over a network; timed directly on DynamoDB Local the
//!   difference is lost in the noise (`adapters/BENCHMARKS.md`). Nothing is
//!   given up for it except reading `dat` without the cookie.
//!
//! What sealing does not do: it does not hide data from the running server
//! (it holds the cookie while it serves the request) or from whoever steals a
//! cookie; it does not stop someone with write access to the table from
//! deleting or ending sessions, or from putting back a whole earlier item of
//! a session (all its attributes, as a backup holds it). Plain CBOR planted
//! in the table is refused, except under the opt-in `SealedAcceptingPlain`
//! (and `Plain`).
//!
//! # The read cache
//!
//! Off unless you wrap the backend. One page load sends many requests with
//! the same cookie, often at once (the page, its scripts and styles, its API
//! calls). Without a cache each read-only one costs an eventually consistent
//! GetItem: half a read unit and a round trip (about 0.8 ms on DynamoDB
//! Local, several ms on DynamoDB). [`ReadCache`](cache::ReadCache) keeps the records this
//! process loaded or wrote for a second and answers eventually consistent
//! loads from them; concurrent loads of one session share one store call.
//!
//! ```
//! use dynamodb_sessions::cache::{CacheSettings, ReadCache};
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//!
//! let manager = SessionManager::new(
//!     ReadCache::new(MemoryBackend::new(), CacheSettings::DEFAULT), // or DynamoDbBackend::new("sessions")?
//!     SessionConfig::default(),
//! );
//! # drop(manager);
//! ```
//!
//! Turn it on when pages make several requests each, or when one server
//! handles a user's requests in bursts; it pays from the second request of a
//! session within a second: a page of *n* read-only requests costs *n*/2 read
//! units without the cache and 1 with it (80% saved for 10), and a burst
//! shares one read instead of queueing ten on the store. Leave it off when
//! each session's requests come seconds apart (one API call per user
//! action): a cache miss reads strongly consistent, a whole read unit instead
//! of half, so such traffic would cost up to twice as much. It is per
//! process: several servers each have their own, and none sees another's
//! writes before its bound.
//!
//! What it promises (each is a conformance case, run on the in-memory store
//! and on DynamoDB Local, and the randomized checker checks them under
//! faults with two processes each caching):
//!
//! - A record is served only while younger than `max_staleness` (1 s),
//!   counted from when the store call that produced it was sent; a miss reads
//!   strongly, so another process's write or logout is seen here **at most
//!   `max_staleness` late**.
//! - A cookie newer than the cached record goes to the store
//!   (read-your-writes across processes): strong loads never come from the
//!   cache and refresh it.
//! - Writes, logins and logouts through this process replace the cached
//!   record at once, so a logout here is never served from the cache
//!   afterwards, not even by a read that was under way when it happened.
//! - Writes stay conditional: a stale cached record can make a commit a
//!   `Conflict`, never a lost update or a session back from a logout; a
//!   conflict or any write error drops the record.
//! - Idle expiry and the absolute lifetime are checked against the clock on
//!   every load, cached or not: a record that expires while cached never
//!   loads as alive.
//! - Concurrent loads of one session share one store call; a waiter waits at
//!   most its bound (500 ms), and at once makes its own call if that call
//!   fails or its caller panics. A load shares only a store call sent less
//!   than `max_staleness` before the load started, so the bound holds for
//!   shared answers too, and a slow call's answer, when it comes, never
//!   replaces a newer one in the cache.
//! - Memory is bounded: at most 10,000 records and 32 MiB, oldest out first,
//!   whatever a flood of cookies brings.
//!
//! | [`CacheSettings`](cache::CacheSettings) | default | why |
//! | --- | --- | --- |
//! | `max_staleness` | 1 s | the staleness an eventually consistent read already accepts ([known limits](#known-limits)), and long enough for a page's burst of requests and the redirect after a post |
//! | `max_entries` | 10,000 | the sessions a busy process sees within a second; beyond that the oldest, stalest records go first |
//! | `max_bytes` | 32 MiB | 10,000 sessions of 3 KB, or 80 of DynamoDB's largest items: a fixed ceiling (each record counts its data plus 160 bytes) |
//! | `coalescing` | [`Coalescing::WaitUpTo`](cache::Coalescing::WaitUpTo)`(500 ms)` | a hundred times a healthy read, so a burst shares one call; a call slower than that is being retried, and a waiter does better with its own call than by waiting up to the 5 s call bound ([`Coalescing::Off`](cache::Coalescing::Off) for none) |
//!
//! [`CacheSettings`](cache::CacheSettings) is built from `DEFAULT` with `const` `with_*` methods.
//! Staleness is timed on a [`MonotonicClock`](testing::MonotonicClock) ([`SystemMonotonicClock`](testing::SystemMonotonicClock);
//! [`ReadCache::with_clock`](cache::ReadCache::with_clock) takes [`testing::ManualMonotonicClock`] in
//! tests), never the wall clock; [`ReadCache::stats`](cache::ReadCache::stats) counts hits, shared
//! answers and store loads.
//!
//! # Errors
//!
//! [`SessionError`] comes from reading or changing a session (the store
//! failed to load it, a value did not decode as the requested type, JSON mode
//! refused a value), [`CommitError`] from [`SessionManager::commit`] (see
//! [the state table](crate::SessionManager#what-commit-writes)),
//! [`ConfigError`] from [`SessionConfig::builder`], [`BackendError`] from a
//! store, and [`CsrfError`](http::CsrfError) from the glue's form reading and CSRF check.
//! `BuildError` (in the [`dynamodb`] module) says why a DynamoDB backend
//! could not be built. No error's `Display`, `Debug` or source chain holds a
//! token, a storage key, a CSRF token or session data.
//!
//! [`BackendError::is_temporary`] (and the same on [`SessionError`] and
//! [`CommitError`]) says whether the store was busy, full or out of reach (a
//! timeout, throttling, a failing or unreachable store, a full
//! [`MemoryBackend`]): the same request may well succeed a moment later. The
//! glue answers those with 503 and `Retry-After: 1`, a conflict or an expiry
//! with 409, and anything else with 500, in words that never claim a write
//! failed that may have gone through. [`http::FailedCommit::of`] gives that
//! answer (status, text, `Retry-After`) to an application with its own
//! request loop, and [`http::FailedCommit::of_session`] the answer to a
//! [`SessionError`] raised while the handler loaded the session (503 with
//! `Retry-After` for a store that is down or busy), as
//! [`CsrfError::status_code`](http::CsrfError::status_code) does for the CSRF check.
//!
//! # Bad inputs
//!
//! Whatever a client, a foreign writer or a failing store hands the library,
//! the answer is a new session or a typed error, never a panic, a hang or a
//! store call the input did not earn. The repository's fuzzing, fault and
//! conformance tests check each row (`CONTRIBUTING.md` says how to run them).
//!
//! | input | what the library does |
//! | --- | --- |
//! | any `Cookie` header: junk, NULs, non-ASCII, CR/LF, 5,000-character values, 300 pairs, quotes, unicode spaces | no session; no store call unless the header holds a well-formed `session_id=<43 base64url>/<positive int>` pair (then at most 2 reads); an untouched session writes nothing |
//! | a token of the wrong length or alphabet (`+`, `/`, `=`, `.`, non-ASCII, 42 or 44 characters), a version of `0`, `01`, `+1`, `-1`, `1.0`, empty, or over `u64::MAX` | no session, no store call |
//! | the same cookie name repeated | the first well-formed one is used |
//! | a well-formed token the server never issued (fixation attempt) | looked up (2 reads), found nothing: a new session, stored under a freshly drawn ID; the client's token is never adopted |
//! | `dat` that is not CBOR, truncated, a non-map, integer keys, 300-deep nesting, a 2^64-byte length | logged without data or key, the request gets a new session under a new ID, the bad record is left untouched |
//! | `dat` of arrays, maps and strings declaring 2^32−1 or 2^64−1 items at every nesting level (400 KB) | as above, and the memory decoding takes stays within 3× the input at worst |
//! | `dat` that is not JSON, a JSON non-object, lone surrogates, `1e400`, 200-deep nesting, a BOM, integers beyond 64 bits or `-0` (which could not be written back exactly) | as above |
//! | JSON floats the app never touched: `24694.101300000002`, `-0.0`, subnormals, `5e-324`, `1.7976931348623157e308` | read and written back bit for bit, in both directions with the Python package |
//! | sealed `dat` with any byte changed, cut short or extended, swapped with another session's, moved whole under another key, put back under a newer version, or with its `crt` changed; any bytes behind the sealed format byte | does not open: logged as corrupt without data, token or key, the request gets a new session under a new ID, the record is left untouched |
//! | a stored value of the wrong type (`_csrft_` a number, a flash queue that is not a list, any key read as another type) | [`SessionError::Decode`] naming the key and the requested type, never the value; a CSRF check fails and `csrf_token` draws a new one |
//! | an empty stored CSRF token | matches nothing, and `csrf_token` draws a new one |
//! | a DynamoDB item with a missing attribute, a wrong type, several types at once, sets, lists, maps, numbers like `1e3`, `1.0`, ` 1`, `-0`, 20 digits | [`BackendError::Corrupt`] naming the attribute, never the key or data; the manager logs it and starts a new session |
//! | a record with version 0 or `u64::MAX`, an expired record | a new session; never written again |
//! | a session over 400 KB | [`CommitError::TooLarge`] before anything is written, counted to the byte as DynamoDB counts (checked against DynamoDB Local at exactly 409,600 bytes), with room for any later reissue |
//! | a `crt` (or a clock) before 1970, numbers with a sign | counted with the byte DynamoDB adds for a negative number, reissue room for `i64::MIN` |
//! | DynamoDB killed mid-traffic | every call returns a typed `Timeout` or `Unavailable` within the retry bound; the same backend works again after a restart; no acknowledged commit lost |
//! | the first k calls throttled, 5xx or dropped | retried: within the attempt budget the request succeeds with the version up by exactly one; past it `Throttled`/`Unavailable` with the operation and attempts, nothing written. Throttled for seconds on end: every call ends within its deadline, threads stay flat, service resumes the moment the throttling stops |
//! | a write applied by DynamoDB whose answer came too late | not applied twice: the check read finds our write identity; Ok, version up by one |
//! | a lost answer after another request wrote the same data at the same version | `Conflict`: the identity is not ours (content is never compared) |
//! | a lost answer after the record moved on again | [`BackendError::OutcomeUnknown`], never a guess |
//! | a store that answers too slowly on every attempt and check | `Timeout` within `call_timeout`, the check read included |
//! | `RetryConfig::DEFAULT.call_timeout(Duration::MAX)` | taken as a year, no overflow |
//! | a region name rusoto does not know (`eu-central-2`, `cn-*`, …) or garbage | that region's endpoint, or `BuildError` at build time; never us-east-1 |
//! | an endpoint typo (`127.0.0.1:8000`) in a variable, the profile's `endpoint_url` or its `services` section; a profile file that does not parse | `BuildError::InvalidEndpoint` / `InvalidProfileFile` on both backends, never a request sent elsewhere or one that cannot be sent |
//! | `AWS_REGION` and `AWS_DEFAULT_REGION` naming different regions, and every other combination of variables and profile files | both backends resolve the same region, endpoint, profile and credential source (or rusoto refuses what it cannot use) |
//! | a DynamoDB answer (error message, unknown error, 5xx body, unreadable success) quoting the whole request | every error's `Display`, `Debug` and source chain free of the storage key and `dat`, on both backends; a request never sent (endpoint not applied) is `Rejected`, never "maybe applied" |
//!
//! # Security review
//!
//! Checked against the OWASP Session Management Cheat Sheet.
//!
//! | OWASP point | this library |
//! | --- | --- |
//! | ID length and entropy (≥ 64 bits) | 256 bits from the OS (`getrandom`), base64url; nothing else in the ID |
//! | ID content and storage | the ID is opaque; the table holds SHA-256 of it, so a leaked table holds no usable ID; data is server-side only |
//! | data protection at rest | `dat` sealed by default ([data at rest](#data-at-rest)): a leaked table, backup or export reveals no session data, and data changed in the table, moved to another record or version, or planted there unsealed (plain CBOR) never loads; no server-side key. What still loads: a whole earlier item of the same session put back, plain CBOR under the opt-in `SealedAcceptingPlain`, and anything in JSON mode (shared with Python) or with `Plain`, which are plain |
//! | client-chosen IDs never adopted (fixation) | an ID the server has no record for is never written to: data goes under a freshly drawn ID |
//! | input validation of the ID | strict shape check before any store call; junk costs nothing |
//! | rotation on privilege change | [`Session::regenerate_id`] (call it on login) moves the data to a new ID and ends the old record at its loaded version |
//! | invalidation on logout | [`Session::invalidate`] ends the record server-side (a tombstone with no data; no read needed) and expires the cookie; the old cookie loads an empty session |
//! | idle timeout | `timeout` (20 min), checked on every load, not only by DynamoDB's TTL |
//! | absolute timeout | `absolute_lifetime`, 8 hours by default, survives login; counted from `crt`, which sealed data is bound to, so moving `exp` in the table does not stretch it (JSON mode and `Plain` bind nothing) |
//! | cookie attributes | `HttpOnly`, `SameSite=Strict`, `Path=/`, host-only (no `Domain`), no `Max-Age` (a browser-session cookie); `Secure` on HTTPS requests, always with `SameSite=None`, forceable; `__Host-`/`__Secure-` name rules enforced in any capitalization; a generic name (`session_id`) |
//! | ID only in a cookie | never in URLs; [`store::Token`] and [`store::StorageKey`] have redacted `Debug` |
//! | no IDs in logs or errors | no token, no storage key (hex, base64 in four forms, raw bytes) and no CSRF token in any log record (all levels) or any error's `Display`, `Debug` or source chain over a full flow: visit, login, CSRF, flash, reissue, conflict, store failures, logout, replay, expired, version 0 and `u64::MAX`, undecodable CBOR and JSON, a corrupt item |
//! | CSRF | per-session token from the OS, compared in constant time |
//!
//! What falls short, and what to do:
//!
//! - **Sealing protects confidentiality, not every kind of integrity, against
//!   someone with write access to the table.** They can delete or end
//!   sessions, put back a whole earlier item of a session, and move `exp`
//!   ahead up to the absolute lifetime (`absolute_lifetime(None)` gives that
//!   bound up); in JSON mode, which is not sealed, they can change a
//!   session's data, `exp` and `crt` alike and keep it alive for ever
//!   ([data at rest](#data-at-rest)). Guard write access to the table as
//!   before.
//! - **`Secure` follows the request.** Behind a TLS-terminating proxy set
//!   `secure(Secure::Always)` or opt in to `X-Forwarded-Proto`; otherwise the
//!   cookie goes out without `Secure`.
//! - **Rotation is the application's call.** The library cannot know when
//!   privileges change: call `regenerate_id` on login and on every privilege
//!   change. The ID is not renewed periodically otherwise.
//! - **The cookie carries the record version**, which tells its holder how
//!   often the session was written. It is not secret-bearing.
//! - **Logout and eventual consistency**: see [known limits](#known-limits).
//!
//! # Sharing a table with pyramid-dynamodb-sessions
//!
//! To move a Pyramid app to Rust one route at a time, run both on one table
//! and one cookie. Sessions then go on in either language: the cookie
//! (`token/version`), the key (SHA-256 of the token), `ver`/`iss`/`exp`,
//! flash queues (`_f_<queue>` lists) and the CSRF token (`_csrft_`, 64 hex
//! characters on both sides) mean the same to both, and optimistic locking
//! holds across them: a Python write between our load and our commit makes
//! the commit [`CommitError::Conflict`], and ours makes Python's
//! `RaceConditionException`.
//!
//! While both run, write JSON, the only encoding the Python package reads
//! (JSON is never sealed, so session data is then readable in the table, as
//! it always is with the Python package):
//!
//! ```
//! use dynamodb_sessions::{DataEncoding, SessionConfig};
//!
//! let config = SessionConfig::builder()
//!     .data_encoding(DataEncoding::Json) // `dat` as JSON text (S), as the Python package writes it
//!     .build()?;
//! # Ok::<(), dynamodb_sessions::ConfigError>(())
//! ```
//!
//! and give both sides the same settings (the defaults agree, except the
//! absolute lifetime, which the Python package lacks):
//!
//! | `DynamoDBSessionFactory` | `SessionConfig::builder()` | default on both |
//! | --- | --- | --- |
//! | `table` | `DynamoDbBackend::new(table)` | |
//! | `cookie_name` | `cookie_name` | `session_id` |
//! | `timeout` | `timeout` | 1200 s (`exp = iss + timeout`) |
//! | `reissue_time` | `reissue_time` | 120 s |
//! | `secure` | `secure` | `None` / `Secure::FollowRequest`: `Secure` when the request is HTTPS |
//! | `samesite` | `same_site` | `Strict` |
//! | `max_age` | `max_age` | none |
//! | `path`, `domain`, `httponly` | `path`, `domain`, `http_only` | `/`, none, true |
//! | (none) | `absolute_lifetime` | the Python package has none; here 8 h, which only records carrying our `crt` count (see the caveats). A Python `timeout` over 8 h needs `absolute_lifetime` set too, or `build()` refuses it |
//!
//! JSON mode stores only what JSON holds exactly: a byte string, NaN or
//! infinity, an integer beyond 64 bits or a map with non-text keys is refused
//! at `insert` ([`SessionError::NotJson`]), or at commit
//! ([`CommitError::NotJson`], nothing written) if it came from a CBOR record.
//!
//! When the Python side is gone, switch to CBOR ([`DataEncoding::Cbor`], the
//! default: drop the `data_encoding` line). Both encodings are always read,
//! so there is nothing to migrate: each record becomes CBOR on its next
//! write. Do not switch while any Python process still serves the table: it
//! fails on every request whose session we wrote in CBOR (`json.loads` of
//! binary data raises `TypeError`), until that session expires or a JSON
//! write replaces it.
//!
//! Caveats while both run:
//!
//! - Our logout and login end a record with a tombstone: `ver`
//!   18446744073709551615, `dat` `{}`, our `wid`, and in JSON mode an `exp`
//!   one second before the logout. The Python package takes an item for no
//!   session only when it is missing or `exp < time()`, so a stale cookie
//!   replayed to a Python page after our logout or login loads no session
//!   there either, and the package's next write draws a new ID: it never
//!   adopts the ended one. (With `exp` ahead it would read the tombstone as a
//!   live empty session, and a mere `get_csrf_token()` (Python's) would then write `ver`
//!   2^64, which we cannot hold: two sessions under one cookie.) Keep the
//!   Python servers' clocks within a second of ours. The table's TTL may
//!   remove such a tombstone early, which only shortens how long a stale
//!   tab's logout can follow the login's `nxt`.
//! - A known limit we cannot fix from Rust: the package's reissue is an
//!   unconditional `UpdateItem` of `iss`/`exp`. A Python request that loaded
//!   the session before our logout and reissues on its way out moves the
//!   tombstone's `exp` ahead again (the tombstone stays ended for us), so for
//!   that stretch Python reads the ended ID as an empty session again, and a
//!   Python write to it makes `ver` 2^64 as above. If the TTL has already
//!   removed the tombstone, the reissue makes an item of only `iss` and
//!   `exp`, on which the package fails (a `KeyError` on `ver`) until it
//!   expires, and which we read as no session. (DynamoDB Local ignores this
//!   reissue, an `AttributeUpdates` without `Action`, which DynamoDB takes as
//!   `PUT`.)
//! - Users' sessions ([`users`]) are ours alone: a Python write of a session
//!   with a user drops its `usr`, `uep` and `uin`, so the session then loads
//!   here with its data but without its user, and no end of that user's
//!   sessions reaches it any more. Keep login state in the user
//!   ([`Session::set_user`]), not in the data, for routes Python serves too.
//! - Items we write carry a `wid` attribute (the write's identity); the
//!   Python package ignores it and drops it on its next write, which is fine:
//!   an item without `wid` is simply not ours when we decide a lost answer.
//! - The Python package replaces the whole item on every write and drops our
//!   `crt`, so `absolute_lifetime` restarts from our next write after each
//!   Python write: it is not a hard cap while Python writes. Records written
//!   by the Python package carry no `crt`; the absolute lifetime counts for
//!   them from their first write by this library.
//! - Python's `invalidate()` keeps the session ID and writes an empty
//!   session; ours ends the record. Python has no `regenerate_id`, so a login
//!   handled in Python keeps the session ID. A logout in Python therefore
//!   leaves the old cookie naming the emptied session in both languages.
//! - Python's `json.dumps` writes `NaN` and `Infinity`, which are not JSON: we
//!   cannot decode such a record and start a new session, leaving the record
//!   to Python. Integers beyond 64 bits written by Python cannot be held
//!   exactly here, so a record holding one is treated the same way.
//!
//! All of this is tested against the real package 0.1.3 on DynamoDB Local,
//! in both directions.
//!
//! # Known limits
//!
//! - Within DynamoDB's replication lag (about a second) after a logout, an
//!   eventually consistent read may still find the live record; a replayed
//!   cookie could load it for that moment. Writes are conditional, so it can
//!   never be written back.
//! - With the read cache on, a logout or write made through **another
//!   process** is seen here up to `max_staleness` (1 s by default) late:
//!   until then a replayed cookie may load the logged-out session from this
//!   process's cache (a write through it is a `Conflict`). The cache reads
//!   strongly, so this replaces the replication lag above rather than adding
//!   to it. A logout through this process is never served from its cache.
//! - With the read cache on, a cache miss is a strongly consistent read (a
//!   whole read unit): sessions whose requests come more than a second apart
//!   cost up to twice the read units they cost without it.
//! - A cookie for an expired or ended record is not actively cleared: it just
//!   loads as a new session until the browser drops it. A read-only request
//!   whose reissue finds the session changed or ended elsewhere sends no
//!   `Set-Cookie` at all, so it never clears or downgrades a cookie that
//!   another request of the same browser just set.
//! - A write whose answer is lost and whose record another request changes
//!   again before the backend can check is reported as
//!   [`BackendError::OutcomeUnknown`] (the write may or may not have applied;
//!   the record is consistent either way). A login whose last step stays
//!   unknown even after it reads the old record (the store unreachable
//!   throughout) leaves the new record in place but sends no cookie for it:
//!   the data is safe there until its idle timeout, while the browser, still
//!   holding the old cookie, may find an empty session.
//! - Following a login's `nxt` means that whoever holds a pre-login ID can
//!   log that session out after the login (never into it): someone who
//!   planted the ID (fixation) can end the victim's session. Protect logout
//!   with the CSRF check like any other state-changing form.
//! - Logged-out and rotated IDs leave a tombstone of about 100 bytes (no
//!   data) until the table's TTL removes it: an hour after the logout at the
//!   earliest in CBOR mode, at any time in JSON mode. A key freed that way is
//!   never written again: a create is sent at most once per key. The
//!   in-memory store removes tombstones sooner when the sessions still there
//!   need the room ([the in-memory store](#the-in-memory-store)).
//! - In the default CBOR mode, once this library writes a session first
//!   written by pyramid-dynamodb-sessions, `dat` is binary (and sealed),
//!   which the Python package cannot read: use [`DataEncoding::Json`] while
//!   both share a table. JSON is never sealed, so a shared table holds
//!   session data in the clear.
//! - Releases before sealing read a sealed record as malformed CBOR: after a
//!   rollback to one, sessions written sealed start anew (a one-time logout).
//!   Set `DataProtection::Plain` before rolling back, and roll back once the
//!   active sessions have been rewritten plain or expired.
//! - tiny_http holds responses over 1 KB back on keep-alive connections
//!   unless the listener has `TCP_NODELAY`, which rouille cannot set
//!   ([server glue](#server-glue)).
//!
// Links to items behind a feature: with the feature off they point to the
// feature table, so the docs build warning-free with any set of features.
#![cfg_attr(
    feature = "dynamodb",
    doc = "[`DynamoDbBackend`]: crate::DynamoDbBackend"
)]
#![cfg_attr(not(feature = "dynamodb"), doc = "[`DynamoDbBackend`]: #features")]
#![cfg_attr(
    feature = "aws-sdk",
    doc = "[`AwsSdkBackend`]: crate::dynamodb::AwsSdkBackend"
)]
#![cfg_attr(not(feature = "aws-sdk"), doc = "[`AwsSdkBackend`]: #features")]
#![cfg_attr(
    any(feature = "dynamodb", feature = "aws-sdk"),
    doc = "[`dynamodb`]: crate::dynamodb"
)]
#![cfg_attr(
    not(any(feature = "dynamodb", feature = "aws-sdk")),
    doc = "[`dynamodb`]: #features"
)]
#![cfg_attr(
    feature = "tiny-http",
    doc = "[`http::tiny_http`]: crate::http::tiny_http"
)]
#![cfg_attr(not(feature = "tiny-http"), doc = "[`http::tiny_http`]: #features")]
#![cfg_attr(
    feature = "tiny-http",
    doc = "[tiny_http serve]: crate::http::tiny_http::serve"
)]
#![cfg_attr(not(feature = "tiny-http"), doc = "[tiny_http serve]: #features")]
#![cfg_attr(feature = "rouille", doc = "[`http::rouille`]: crate::http::rouille")]
#![cfg_attr(not(feature = "rouille"), doc = "[`http::rouille`]: #features")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "dynamodb", feature = "aws-sdk"))]
pub mod dynamodb;
pub mod http;
mod memory;
#[cfg(any(feature = "dynamodb", feature = "aws-sdk"))]
mod table;

#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoDbBackend;
pub use dynamodb_sessions_core::{
    BackendError, CommitError, ConfigError, DataEncoding, DataProtection, EncodeError, SameSite,
    Scheme, Secure, Sequencing, Session, SessionConfig, SessionConfigBuilder, SessionError,
    SessionManager, SessionStats,
};
pub use memory::{MemoryBackend, MemoryLimits, WhenFull};

/// The read cache (opt-in): a [`ReadCache`](cache::ReadCache) in front of
/// the backend answers a page load's repeated reads without a store call.
pub mod cache {
    pub use dynamodb_sessions_core::cache::*;
}

/// Users' sessions: log a user in to a session, list a user's sessions,
/// and end them all ("log out everywhere") or all but the current one,
/// exactly (the `dynamodb-sessions-core` crate's `users` module).
pub mod users {
    pub use dynamodb_sessions_core::users::*;
}

/// Sessions on a global table served from several regions: each session
/// is homed in one region, named by its ID, and
/// [`HomeRouted`](regions::HomeRouted) sends every store call for it there
/// (the `dynamodb-sessions-core` crate's `regions` module).
pub mod regions {
    pub use dynamodb_sessions_core::regions::*;
}

/// What a storage backend implements and uses (the `dynamodb-sessions-core`
/// crate's `store` module).
pub mod store {
    pub use dynamodb_sessions_core::store::*;
}

/// Helpers for testing session logic without AWS: a clock moved by hand,
/// backend wrappers that count calls ([`CountingBackend`]) and make eventual
/// reads lag ([`LaggingReads`]) on any backend, and [`MemoryBackend`]'s test
/// knob ([`MemoryBackendTesting`](testing::MemoryBackendTesting): corrupt
/// items).
///
/// [`CountingBackend`]: testing::CountingBackend
/// [`LaggingReads`]: testing::LaggingReads
///
/// [`MemoryBackend`]: crate::MemoryBackend
pub mod testing {
    pub use crate::memory::MemoryBackendTesting;
    pub use dynamodb_sessions_core::testing::*;
}

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

//! Glue between a [`SessionManager`] and blocking HTTP servers.
//!
//! A request needs three things from its server: the `Cookie` header, a way
//! to add the `Set-Cookie` header to the response, and whether it came over
//! HTTPS (the cookie's `Secure` flag follows it unless the
//! [`SessionConfig`](crate::SessionConfig) forces it). This
//! module has the server-neutral part; the optional features add one small
//! wrapper per server:
//!
//! | feature | module | request and response types |
//! | --- | --- | --- |
//! | `tiny-http` | `http::tiny_http` | `tiny_http::Request`, `tiny_http::Response<R>` |
//! | `rouille` | `http::rouille` | `rouille::Request`, `rouille::Response` |
//!
//! [`HttpSessions`] works with any server whose request type implements
//! [`HttpRequest`] and whose response type implements [`HttpResponse`]; the
//! features implement them for tiny_http and rouille. The core crate knows
//! no server.
//!
//! # Behind a proxy
//!
//! A TLS-terminating proxy talks plain HTTP to the application, so the
//! server alone would call every request insecure. Proxies say what the
//! client used in `X-Forwarded-Proto`, but any client can send that header
//! too, so it is ignored unless you opt in with [`TrustForwardedProto::Yes`],
//! which you should do only when every request passes through a proxy that
//! sets (or overwrites) the header. The last value counts, the one the
//! nearest proxy added.
//!
//! [`SessionManager`]: crate::SessionManager

#[cfg(feature = "rouille")]
pub mod rouille;
#[cfg(feature = "tiny-http")]
pub mod tiny_http;

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::Read as _;
use std::time::Duration;

use dynamodb_sessions_core::{
    CommitError, Scheme, Sequencing, Session, SessionError, SessionManager,
};

pub use dynamodb_sessions_core::MAX_TURN_WAIT;

/// What the glue needs to know about a server's request.
pub trait HttpRequest {
    /// The request's `Cookie` headers joined with `"; "` (see
    /// [`join_cookie_headers`]), or `None`.
    fn cookie_header(&self) -> Option<String>;

    /// How the request came: [`Scheme::Https`] over the server's own TLS,
    /// or with [`TrustForwardedProto::Yes`] an `X-Forwarded-Proto: https`
    /// header (see [`scheme`]).
    fn scheme(&self, trust: TrustForwardedProto) -> Scheme;

    /// The first value of header `name` (matched without regard to case),
    /// or `None`. The CSRF check reads [`CSRF_HEADER`] through it; the
    /// default knows no headers, so on a server that does not implement it
    /// only the form field passes the CSRF check.
    fn header(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    /// The request's method, e.g. `"GET"`. It decides whether a handler
    /// is rerun on a conflict by default ([`OnConflict::RerunSafeMethods`])
    /// and when a request waits for the other requests of its session
    /// ([`InProcessTurns::ByMethod`]).
    fn method(&self) -> &str;
}

/// Whether `method` is safe in the sense of RFC 9110 (section 9.2.1): a
/// request that asks only to read (`GET`, `HEAD`, `OPTIONS`, `TRACE`).
/// Browsers and proxies may repeat such requests on their own, so running
/// their handler again is what their authors already expect. Methods are
/// case-sensitive (section 9.1): `get` is another, unknown method, which a
/// router matching `"GET"` does not treat as one, so it is not safe either.
///
/// ```
/// use dynamodb_sessions::http::is_safe_method;
///
/// assert!(is_safe_method("GET"));
/// assert!(!is_safe_method("POST"));
/// assert!(!is_safe_method("get"));
/// ```
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// What the glue needs to do to a server's response.
pub trait HttpResponse: Sized {
    /// The response with a `Set-Cookie` header of `value` added; other
    /// `Set-Cookie` headers stay.
    fn with_set_cookie(self, value: String) -> Self;
}

/// A [`SessionManager`] with what it needs to know about the requests of a
/// server. Cheap to clone; share one across all server threads.
///
/// Per request, either let the server module's `serve` run your handler
/// (load → handler → commit → `Set-Cookie`, rerun on a conflict; see
/// [`handle`](Self::handle)), or call [`load`](Self::load) before handling
/// it and [`commit`](Self::commit) on the response before sending it; the
/// server modules show both in full.
#[derive(Debug, Clone)]
pub struct HttpSessions {
    manager: SessionManager,
    trust_forwarded_proto: TrustForwardedProto,
    on_conflict: OnConflict,
    turns: InProcessTurns,
    max_form_bytes: usize,
}

impl HttpSessions {
    /// Sessions from `manager`, ignoring `X-Forwarded-Proto`, rerunning
    /// the handlers of safe methods on a conflict
    /// ([`OnConflict::RerunSafeMethods`]), letting the requests of one
    /// session take turns in this process ([`InProcessTurns::ByMethod`])
    /// and reading form bodies up to [`DEFAULT_FORM_LIMIT`] bytes.
    pub fn new(manager: SessionManager) -> Self {
        HttpSessions {
            manager,
            trust_forwarded_proto: TrustForwardedProto::No,
            on_conflict: OnConflict::default(),
            turns: InProcessTurns::default(),
            max_form_bytes: DEFAULT_FORM_LIMIT,
        }
    }

    /// What [`handle`](Self::handle) and the servers' `serve` do when a
    /// commit finds the session changed by another request; see
    /// [`OnConflict`]. For one handler that may run again whatever its
    /// method, use a clone: `sessions.clone().on_conflict(OnConflict::Rerun)`.
    #[must_use]
    pub fn on_conflict(mut self, on_conflict: OnConflict) -> Self {
        self.on_conflict = on_conflict;
        self
    }

    /// Whether the requests of one session wait for each other in this
    /// process, so that they do not conflict; see [`InProcessTurns`].
    #[must_use]
    pub fn in_process_turns(mut self, turns: InProcessTurns) -> Self {
        self.turns = turns;
        self
    }

    /// The largest urlencoded form body that the servers' `read_form` and
    /// `serve` read, in bytes ([`DEFAULT_FORM_LIMIT`] unless set).
    #[must_use]
    pub fn max_form_bytes(mut self, bytes: usize) -> Self {
        self.max_form_bytes = bytes;
        self
    }

    /// Whether to honour `X-Forwarded-Proto: https`; only behind a proxy
    /// that sets it (see [`TrustForwardedProto`]).
    #[must_use]
    pub fn trust_forwarded_proto(mut self, trust: TrustForwardedProto) -> Self {
        self.trust_forwarded_proto = trust;
        self
    }

    /// The manager.
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }

    /// Starts the request's session from its `Cookie` headers. Makes no
    /// store call; see [`SessionManager::load_with`]. The session takes its
    /// turn among the requests of the same session in this process as
    /// [`InProcessTurns`] says.
    pub fn load(&self, request: &impl HttpRequest) -> Session {
        let sequencing = match self.turns {
            InProcessTurns::Off => Sequencing::Off,
            InProcessTurns::ByMethod if is_safe_method(request.method()) => {
                Sequencing::FromFirstChange
            }
            InProcessTurns::ByMethod => Sequencing::FromLoad,
        };
        self.load_with(request, sequencing)
    }

    fn load_with(&self, request: &impl HttpRequest, sequencing: Sequencing) -> Session {
        self.manager
            .load_with(request.cookie_header().as_deref(), sequencing)
    }

    /// How `request` came, by the server's scheme and, if trusted,
    /// `X-Forwarded-Proto`.
    pub fn scheme(&self, request: &impl HttpRequest) -> Scheme {
        request.scheme(self.trust_forwarded_proto)
    }

    /// Commits `session` (see [`SessionManager::commit`]) and adds the
    /// `Set-Cookie` header, if any, to `response`.
    ///
    /// # Errors
    ///
    /// As [`SessionManager::commit`]; the response is dropped then, since it
    /// may describe a change that was not saved.
    pub fn commit<P: HttpResponse>(
        &self,
        session: Session,
        request: &impl HttpRequest,
        response: P,
    ) -> Result<P, CommitError> {
        Ok(match self.manager.commit(session, self.scheme(request))? {
            Some(value) => response.with_set_cookie(value),
            None => response,
        })
    }

    /// Runs one request: loads its session, calls `handler` with it,
    /// commits, and returns the handler's response with the `Set-Cookie`
    /// header added.
    ///
    /// When the commit fails with [`CommitError::Conflict`] (another request
    /// of the same browser changed the session meanwhile), nothing was
    /// written. Within one process that is rare: requests of one session
    /// take turns ([`InProcessTurns`]); across processes it happens when two
    /// servers handle the same browser at once. Then, for a request with a
    /// safe method (`GET`, `HEAD`; see [`OnConflict`] for the choices), the
    /// session is loaded again, after a short random pause, and `handler`
    /// runs again on the fresh data, at most [`MAX_HANDLER_RUNS`] times in
    /// all. The handler's response from a run whose commit failed is
    /// dropped, as it may describe a change that was not saved.
    ///
    /// [`CommitError::Expired`] is never rerun: the session ended while the
    /// handler ran, and a rerun would run its effects again for an
    /// anonymous user (or fail its CSRF check against an empty session).
    /// It comes back at once, and `serve` answers it as expired.
    ///
    /// ```
    /// use dynamodb_sessions::http::HttpSessions;
    /// use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
    /// use rouille::{Request, Response};
    ///
    /// let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
    /// let request = Request::fake_http("GET", "/", vec![], vec![]);
    /// let response = sessions.handle(&request, |session| {
    ///     let visits = session.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
    ///     match session.insert("visits", &visits) {
    ///         Ok(()) => Response::text(format!("visit {visits}")),
    ///         Err(_) => Response::text("session unavailable").with_status_code(500),
    ///     }
    /// })?;
    /// assert!(response.headers.iter().any(|(name, _)| name == "Set-Cookie"));
    /// # Ok::<(), dynamodb_sessions::CommitError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`SessionManager::commit`], from the last run: a conflict after
    /// the last run allowed (the first, for a request that is not rerun),
    /// or any other commit error, an expiry included, at once.
    pub fn handle<P: HttpResponse>(
        &self,
        request: &impl HttpRequest,
        mut handler: impl FnMut(&mut Session) -> P,
    ) -> Result<P, CommitError> {
        let reruns = match self.on_conflict {
            OnConflict::RerunSafeMethods if is_safe_method(request.method()) => true,
            OnConflict::Rerun => true,
            OnConflict::RerunSafeMethods | OnConflict::Fail => false,
        };
        let runs = if reruns { MAX_HANDLER_RUNS } else { 1 };
        let mut session = self.load(request);
        let mut run = 1;
        loop {
            let response = handler(&mut session);
            match self.commit(session, request, response) {
                Err(CommitError::Conflict) if run < runs => {
                    log::debug!("session changed meanwhile; running the handler again");
                    std::thread::sleep(rerun_pause(run));
                    run += 1;
                    // The rerun waits for its turn before it reads, so no
                    // other request of this process can conflict with it.
                    let sequencing = match self.turns {
                        InProcessTurns::ByMethod => Sequencing::FromLoad,
                        InProcessTurns::Off => Sequencing::Off,
                    };
                    session = self.load_with(request, sequencing);
                }
                other => return other,
            }
        }
    }

    /// Checks a request against the session's CSRF token, in constant time
    /// (see [`Session::check_csrf_token`]): the form field [`CSRF_FIELD`]
    /// if the form has it, else the [`CSRF_HEADER`] header, as Pyramid's
    /// `check_csrf_token` does. Forms carry the token in a hidden field;
    /// `fetch` calls in the header.
    ///
    /// Call it on requests that change state (`POST` and the like), and on
    /// a login form before [`Session::regenerate_id`] (which rotates the
    /// token). `form` is what the server module's `read_form` returned (the
    /// servers' `serve` reads it for you), or an empty [`Form`] for a
    /// request without a form body.
    ///
    /// ```
    /// use dynamodb_sessions::http::{CsrfError, Form, HttpSessions};
    /// use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
    /// use rouille::Request;
    ///
    /// let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
    /// let request = Request::fake_http("POST", "/", vec![], vec![]);
    /// let mut session = sessions.load(&request);
    /// let token = session.csrf_token()?;
    ///
    /// let form = Form::parse(format!("csrf_token={token}&note=hi").as_bytes());
    /// sessions.check_csrf(&mut session, &request, &form)?;
    /// assert_eq!(form.get("note"), Some("hi"));
    ///
    /// let forged = Form::parse(b"csrf_token=guess");
    /// assert!(matches!(sessions.check_csrf(&mut session, &request, &forged), Err(CsrfError::Rejected)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`CsrfError::Rejected`] when the request has no token or a wrong
    /// one; [`CsrfError::Session`] when the session cannot be loaded.
    pub fn check_csrf(
        &self,
        session: &mut Session,
        request: &impl HttpRequest,
        form: &Form,
    ) -> Result<(), CsrfError> {
        let header = request.header(CSRF_HEADER);
        let candidate = form
            .get(CSRF_FIELD)
            .filter(|value| !value.is_empty())
            .or(header.as_deref())
            .unwrap_or("");
        if session
            .check_csrf_token(candidate)
            .map_err(CsrfError::Session)?
        {
            Ok(())
        } else {
            Err(CsrfError::Rejected)
        }
    }
}

/// How many times at most [`HttpSessions::handle`] runs a handler that may
/// be rerun (see [`OnConflict`]): the first run and two reruns.
pub const MAX_HANDLER_RUNS: u32 = 3;

/// The pause before rerun number `run` (1 for the first rerun): random,
/// up to 10 ms and then 20 ms, so that two servers whose requests of one
/// session collided do not collide again in lockstep.
fn rerun_pause(run: u32) -> Duration {
    let ceiling_micros = 10_000u64 << run.saturating_sub(1).min(4);
    // std's hasher keys are random per process and per instance: jitter
    // without a dependency.
    let random = RandomState::new().build_hasher().finish();
    Duration::from_micros(1_000 + random % ceiling_micros)
}

/// The default largest form body read, in bytes: 64 KiB.
pub const DEFAULT_FORM_LIMIT: usize = 64 * 1024;

/// The request header that carries the CSRF token of a `fetch` call, as in
/// Pyramid.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The form field that carries the CSRF token of a form, as in Pyramid.
pub const CSRF_FIELD: &str = "csrf_token";

/// What [`HttpSessions::handle`] does when a commit finds that another
/// request changed the session since this one loaded it. Nothing was
/// written then.
///
/// Rerunning is right for handlers whose only effects are on the session
/// (a counter, a cart, flash messages, login and logout): the rerun sees
/// the other request's change and applies its own on top, and the user
/// never sees the conflict. It is wrong for a handler with effects
/// elsewhere that must not happen twice (a payment, an email, an insert
/// without a unique key). The glue cannot tell them apart, so by default
/// it reruns only requests whose method promises no effects
/// ([`RerunSafeMethods`](Self::RerunSafeMethods)); a `POST` that conflicts
/// is answered 409 and the user resubmits. Opt a handler whose only effects
/// are on the session in with [`Rerun`](Self::Rerun), and one that must
/// never run twice, even as a `GET`, out with [`Fail`](Self::Fail).
///
/// Conflicts are rare in the first place: within one process, requests of
/// one session take turns ([`InProcessTurns`]), so a conflict needs two
/// servers handling one browser at once.
///
/// ```
/// use dynamodb_sessions::http::{HttpSessions, OnConflict};
/// use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
///
/// let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
/// // The cart's "add" form changes nothing but the session: rerun it.
/// let cart = sessions.clone().on_conflict(OnConflict::Rerun);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OnConflict {
    /// Rerun the handler of a request with a safe method (`GET`, `HEAD`,
    /// `OPTIONS`, `TRACE`; see [`is_safe_method`]), up to
    /// [`MAX_HANDLER_RUNS`] runs in all; return the commit error of any
    /// other at once. The default: a handler of a safe method is expected
    /// to run again anyway (browsers retry them), one of `POST` is not.
    #[default]
    RerunSafeMethods,
    /// Rerun the handler whatever the request's method, up to
    /// [`MAX_HANDLER_RUNS`] runs in all: for handlers whose only effects
    /// are on the session.
    Rerun,
    /// Run the handler once and return the commit error.
    Fail,
}

/// Whether the requests of one session wait for each other inside this
/// process (see [`Sequencing`]), so that their conditional writes do not
/// conflict: a page's parallel `fetch` calls that each write the session
/// would otherwise fail all but one.
///
/// Waiting happens only between requests of the same session, and a turn
/// is never waited for longer than [`MAX_TURN_WAIT`]. Load a request's
/// session once ([`HttpSessions::load`] or the session `serve` hands the
/// handler): a second load of it in the same thread goes on without a turn
/// rather than wait for its own.
/// Across processes nothing waits; the conditional writes keep the
/// sessions exact there, as they do here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InProcessTurns {
    /// Requests with an unsafe method (`POST` and the like), which are
    /// there to change something, wait for their turn before they read the
    /// session ([`Sequencing::FromLoad`]); requests with a safe method read
    /// without waiting and take the turn only if they change the session
    /// ([`Sequencing::FromFirstChange`]), so read-only requests never wait.
    /// A rerun always takes the turn before it reads. The default.
    #[default]
    ByMethod,
    /// Never wait: parallel writes of one session conflict, and are rerun
    /// or answered as [`OnConflict`] says.
    Off,
}

/// Why a request failed its CSRF check, or its form could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum CsrfError {
    /// The request carries no CSRF token, or not the session's. Answer
    /// 403 Forbidden.
    Rejected,
    /// The session could not be loaded to compare the token.
    Session(SessionError),
    /// The form body is longer than the limit
    /// ([`HttpSessions::max_form_bytes`]); it was not read to the end.
    FormTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The form body could not be read (the connection failed, or the body
    /// was already taken).
    Body(std::io::Error),
}

impl CsrfError {
    /// The HTTP status to answer with: 403 when rejected, 413 for a form
    /// too large, 400 for a body that could not be read, and for a session
    /// that could not be loaded what [`FailedCommit::of_session`] says (503
    /// for a store that is busy or out of reach, else 500).
    ///
    /// ```
    /// use dynamodb_sessions::http::CsrfError;
    /// assert_eq!(CsrfError::Rejected.status_code(), 403);
    /// ```
    pub fn status_code(&self) -> u16 {
        match self {
            CsrfError::Rejected => 403,
            CsrfError::FormTooLarge { .. } => 413,
            CsrfError::Body(_) => 400,
            CsrfError::Session(error) => FailedCommit::of_session(error).status,
        }
    }
}

impl fmt::Display for CsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsrfError::Rejected => f.write_str("missing or wrong CSRF token"),
            CsrfError::Session(e) => write!(f, "could not check the CSRF token: {e}"),
            CsrfError::FormTooLarge { limit } => {
                write!(f, "form body larger than {limit} bytes")
            }
            CsrfError::Body(e) => write!(f, "could not read the form body: {e}"),
        }
    }
}

impl std::error::Error for CsrfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CsrfError::Session(e) => Some(e),
            CsrfError::Body(e) => Some(e),
            _ => None,
        }
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, in order,
/// decoded. The servers' `read_form` returns one; the CSRF check reads its
/// [`CSRF_FIELD`], and the application the rest.
///
/// ```
/// use dynamodb_sessions::http::Form;
///
/// let form = Form::parse(b"name=Ada+L%C3%B6&tag=a&tag=b");
/// assert_eq!(form.get("name"), Some("Ada Lö"));
/// assert_eq!(form.get_all("tag").collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(form.get("missing"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Parses an urlencoded body. Parsing never fails: bytes that are not
    /// UTF-8 become U+FFFD.
    pub fn parse(body: &[u8]) -> Self {
        Form {
            fields: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of field `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// All fields, in order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// All fields, in order, owned.
    pub fn into_fields(self) -> Vec<(String, String)> {
        self.fields
    }
}

/// Whether a `Content-Type` value names an urlencoded form.
#[cfg_attr(not(any(feature = "tiny-http", feature = "rouille")), allow(dead_code))]
pub(crate) fn is_urlencoded(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Reads at most `limit` bytes of `body` and parses them as a form.
#[cfg_attr(not(any(feature = "tiny-http", feature = "rouille")), allow(dead_code))]
pub(crate) fn read_form_body(body: impl std::io::Read, limit: usize) -> Result<Form, CsrfError> {
    let mut bytes = Vec::new();
    body.take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(CsrfError::Body)?;
    if bytes.len() > limit {
        return Err(CsrfError::FormTooLarge { limit });
    }
    Ok(Form::parse(&bytes))
}

/// What to answer a request whose commit failed: what the glue's `serve`
/// answers, and what an application with its own request loop can answer
/// too.
///
/// ```
/// use dynamodb_sessions::http::FailedCommit;
/// use dynamodb_sessions::CommitError;
///
/// let answer = FailedCommit::of(&CommitError::Conflict);
/// assert_eq!(answer.status, 409);
/// assert_eq!(answer.retry_after, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedCommit {
    /// 409 when the session changed under the request or expired during
    /// it (nothing was written), 503 when the store is busy, full or out of
    /// reach ([`CommitError::is_temporary`]), 500 otherwise.
    pub status: u16,
    /// A short text for the user. A failed write "may not have been
    /// saved": one whose answer was lost may have been applied, so the
    /// user should reload before redoing it.
    pub message: &'static str,
    /// The `Retry-After` header's seconds, with a 503: a store that is
    /// busy or full usually is for a moment, and a second keeps a retrying
    /// client from adding to the load.
    pub retry_after: Option<&'static str>,
}

impl FailedCommit {
    /// The answer to a commit that failed with `error`.
    pub fn of(error: &CommitError) -> FailedCommit {
        let answer = |status, message| FailedCommit {
            status,
            message,
            retry_after: None,
        };
        match error {
            CommitError::Conflict => answer(
                409,
                "Your session was changed by another request at the same time, and this change was not saved; please try again.",
            ),
            CommitError::Expired => answer(409, "Your session expired; please reload the page."),
            // A programming error (a session committed through another
            // manager), not a store failure: nothing was written.
            CommitError::OtherManager => answer(
                500,
                "Your change was not saved (a server error); please reload the page.",
            ),
            // The store is busy or full, not broken: say so, and let
            // clients and load balancers back off.
            error if error.is_temporary() => FailedCommit {
                retry_after: Some("1"),
                ..answer(
                    503,
                    "The service is busy and your change may not have been saved; please reload the page before trying again.",
                )
            },
            _ => answer(
                500,
                "Your change may not have been saved; please reload the page before trying again.",
            ),
        }
    }
}

impl FailedCommit {
    /// The answer to a request whose session could not be loaded or used
    /// in its handler (the store was down during the lazy load, say): 503
    /// with `Retry-After` when the store is busy or out of reach
    /// ([`SessionError::is_temporary`]), else 500. Nothing was written.
    ///
    /// ```
    /// use dynamodb_sessions::http::FailedCommit;
    /// use dynamodb_sessions::{BackendError, SessionError, store::Operation};
    ///
    /// let down = SessionError::Load(BackendError::Timeout {
    ///     operation: Operation::Load,
    ///     after: std::time::Duration::from_secs(5),
    /// });
    /// let answer = FailedCommit::of_session(&down);
    /// assert_eq!((answer.status, answer.retry_after), (503, Some("1")));
    /// ```
    pub fn of_session(error: &SessionError) -> FailedCommit {
        if error.is_temporary() {
            FailedCommit {
                status: 503,
                message: "The service is busy; please try again in a moment.",
                retry_after: Some("1"),
            }
        } else {
            FailedCommit {
                status: 500,
                message: "Your session could not be read; please try again later.",
                retry_after: None,
            }
        }
    }
}

/// Logs a failed commit with its causes (a warning when nothing was
/// written, an error otherwise) and says what `serve` answers.
#[cfg_attr(not(any(feature = "tiny-http", feature = "rouille")), allow(dead_code))]
pub(crate) fn commit_failed(error: &CommitError) -> FailedCommit {
    let answer = FailedCommit::of(error);
    let message = with_causes(error);
    if answer.status == 409 {
        log::warn!("session not saved: {message}");
    } else {
        log::error!("session not saved: {message}");
    }
    answer
}

/// `error`'s message followed by those of its causes, each once: a
/// `CommitError` names its cause in its own message too.
#[cfg_attr(not(any(feature = "tiny-http", feature = "rouille")), allow(dead_code))]
fn with_causes(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        let named = message == cause_text || message.ends_with(&format!(": {cause_text}"));
        if !named {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// Whether the `X-Forwarded-Proto` request header may say that a request
/// came over HTTPS. Off by default; see the [module documentation](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TrustForwardedProto {
    /// Ignore the header: only the server's own scheme counts. The default,
    /// right for a server that clients reach directly.
    #[default]
    No,
    /// Honour `X-Forwarded-Proto: https`: right only behind a proxy that
    /// sets the header on every request.
    Yes,
}

/// The name of the header that proxies use to pass on the client's scheme.
pub const FORWARDED_PROTO_HEADER: &str = "X-Forwarded-Proto";

/// Joins the values of a request's `Cookie` headers with `"; "`, the way
/// HTTP/2 splits them and some clients send them; `None` without any.
///
/// ```
/// use dynamodb_sessions::http::join_cookie_headers;
///
/// assert_eq!(join_cookie_headers(["a=1", "session_id=x/1"]).as_deref(), Some("a=1; session_id=x/1"));
/// assert_eq!(join_cookie_headers(Vec::<&str>::new()), None);
/// ```
pub fn join_cookie_headers<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match &mut joined {
            Some(all) => {
                all.push_str("; ");
                all.push_str(value);
            }
            None => joined = Some(value.to_owned()),
        }
    }
    joined
}

/// How a request came: `connection` is the scheme of the connection the
/// server accepted (its own TLS or not); `forwarded_proto` are the values
/// of the request's `X-Forwarded-Proto` headers, consulted only with
/// [`TrustForwardedProto::Yes`]. A list of values (`"https, http"`) counts
/// by its last entry.
///
/// ```
/// use dynamodb_sessions::http::{scheme, TrustForwardedProto};
/// use dynamodb_sessions::Scheme::{Http, Https};
///
/// assert_eq!(scheme(Http, ["https"], TrustForwardedProto::No), Http);
/// assert_eq!(scheme(Http, ["https"], TrustForwardedProto::Yes), Https);
/// assert_eq!(scheme(Http, ["https, http"], TrustForwardedProto::Yes), Http);
/// assert_eq!(scheme(Https, Vec::<&str>::new(), TrustForwardedProto::No), Https);
/// ```
pub fn scheme<'a>(
    connection: Scheme,
    forwarded_proto: impl IntoIterator<Item = &'a str>,
    trust: TrustForwardedProto,
) -> Scheme {
    let forwarded_https = match trust {
        TrustForwardedProto::No => false,
        TrustForwardedProto::Yes => forwarded_proto
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .last()
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https")),
    };
    if forwarded_https {
        Scheme::Https
    } else {
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_headers_join_and_skip_empty_ones() {
        assert_eq!(join_cookie_headers([" ", ""]), None);
        assert_eq!(
            join_cookie_headers(["a=1", " ", "b=2 "]).as_deref(),
            Some("a=1; b=2")
        );
    }

    #[test]
    fn forwarded_proto_needs_the_opt_in() {
        use TrustForwardedProto::{No, Yes};
        assert_eq!(TrustForwardedProto::default(), No);
        use Scheme::{Http, Https};
        assert_eq!(scheme(Http, ["https"], No), Http);
        assert_eq!(scheme(Http, ["HTTPS"], Yes), Https);
        assert_eq!(scheme(Http, ["http", "https"], Yes), Https);
        assert_eq!(scheme(Http, ["http, https "], Yes), Https);
        assert_eq!(scheme(Http, ["https", "http"], Yes), Http);
        assert_eq!(scheme(Http, ["ftp"], Yes), Http);
        assert_eq!(scheme(Http, Vec::<&str>::new(), Yes), Http);
        assert_eq!(scheme(Https, ["http"], Yes), Https);
    }

    #[test]
    fn failed_commits_are_answered_by_what_is_known() {
        use dynamodb_sessions_core::{store::Operation, BackendError};
        let of = |error: CommitError| {
            let answer = FailedCommit::of(&error);
            (answer.status, answer.retry_after)
        };
        assert_eq!(of(CommitError::Conflict), (409, None));
        assert_eq!(of(CommitError::Expired), (409, None));
        let busy = BackendError::Throttled {
            operation: Operation::Replace,
            attempts: 4,
            source: "slow down".into(),
        };
        assert_eq!(of(CommitError::Backend(busy)), (503, Some("1")));
        let unknown = BackendError::OutcomeUnknown {
            operation: Operation::Replace,
        };
        assert_eq!(of(CommitError::Backend(unknown)), (500, None));
        let answer = FailedCommit::of(&CommitError::Backend(BackendError::Timeout {
            operation: Operation::Create,
            after: std::time::Duration::from_secs(5),
        }));
        assert!(answer.message.contains("may not have been saved"));
    }

    #[test]
    fn a_logged_commit_error_names_each_cause_once() {
        use dynamodb_sessions_core::{store::Operation, BackendError};
        let error = CommitError::Backend(BackendError::Unavailable {
            operation: Operation::Replace,
            attempts: 3,
            source: "connection refused".into(),
        });
        assert_eq!(
            with_causes(&error),
            "could not save the session: session store unavailable for replace \
             after 3 attempts: connection refused"
        );
    }
}

//! Sessions in the [rouille] framework (feature `rouille`).
//!
//! Wrap the manager in an [`HttpSessions`] once, then in the handler call
//! [`load`](super::HttpSessions::load) first and
//! [`commit`](super::HttpSessions::commit) on the response last:
//!
//! ```
//! use dynamodb_sessions::{SessionConfig, SessionManager};
//! use dynamodb_sessions::http::HttpSessions;
//! use dynamodb_sessions::MemoryBackend;
//! use rouille::{Request, Response};
//!
//! let sessions = HttpSessions::new(SessionManager::new(
//!     MemoryBackend::new(),
//!     SessionConfig::default(),
//! ));
//!
//! // The handler given to `rouille::start_server` or `rouille::Server::new`:
//! let handler = move |request: &Request| -> Response {
//!     let mut session = sessions.load(request);
//!     let visits = session.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
//!     if session.insert("visits", &visits).is_err() {
//!         return Response::text("session unavailable").with_status_code(500);
//!     }
//!     sessions
//!         .commit(session, request, Response::text(format!("visit {visits}")))
//!         .unwrap_or_else(|_| Response::text("session not saved").with_status_code(500))
//! };
//!
//! let response = handler(&Request::fake_http("GET", "/", vec![], vec![]));
//! let (_, set_cookie) = response.headers.iter().find(|(name, _)| name == "Set-Cookie").unwrap();
//! assert!(set_cookie.starts_with("session_id="));
//! ```
//!
//! Or let [`serve`] do the load, commit and `Set-Cookie`, read the form
//! for the CSRF check, and rerun the handler if another request changed the
//! session meanwhile (see [`HttpSessions::handle`](super::HttpSessions::handle)):
//!
//! ```
//! use dynamodb_sessions::http::{rouille::serve, HttpSessions};
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//! use rouille::{Request, Response};
//!
//! let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
//! let handler = move |request: &Request| -> Response {
//!     serve(&sessions, request, |request, form, session| {
//!         if request.method() == "POST" {
//!             if let Err(rejected) = sessions.check_csrf(session, request, form) {
//!                 return Response::text(rejected.to_string()).with_status_code(rejected.status_code());
//!             }
//!         }
//!         let visits = session.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
//!         let _ = session.insert("visits", &visits);
//!         Response::text(format!("visit {visits}"))
//!     })
//! };
//! let response = handler(&Request::fake_http("GET", "/", vec![], vec![]));
//! assert!(response.headers.iter().any(|(name, _)| name == "Set-Cookie"));
//! ```
//!
//! rouille serves plain HTTP unless it was started with `Server::new_ssl`;
//! [`Request::is_secure`] tells which, and `X-Forwarded-Proto` counts only
//! when you opt in (see [`TrustForwardedProto`]).

use ::rouille::{Request, Response};
use dynamodb_sessions_core::{Scheme, Session};

use super::{CsrfError, Form, HttpRequest, HttpResponse, HttpSessions, TrustForwardedProto};

impl HttpRequest for Request {
    fn cookie_header(&self) -> Option<String> {
        cookie_header(self)
    }

    fn scheme(&self, trust: TrustForwardedProto) -> Scheme {
        scheme(self, trust)
    }

    fn header(&self, name: &str) -> Option<String> {
        header_values(self, name).next().map(str::to_owned)
    }

    fn method(&self) -> &str {
        Request::method(self)
    }
}

/// Runs one request: reads its form (if its body is urlencoded), then
/// [`HttpSessions::handle`] (load, `handler`, commit, `Set-Cookie`, and on
/// a conflict a rerun as [`OnConflict`](super::OnConflict) says), and
/// returns the response for rouille to send.
///
/// `handler` gets the request, the form (empty unless the body was
/// urlencoded; the body is then taken) and the session; check the CSRF
/// token with [`HttpSessions::check_csrf`]. A body of another type is left
/// for the handler, but it can be taken only once, so a handler that reads
/// one should run under [`OnConflict::Fail`](super::OnConflict::Fail).
///
/// If the form cannot be read, the answer is [`CsrfError::status_code`]
/// and the handler does not run. If the commit fails, the handler's
/// response is dropped (it may describe a change that was not saved), the
/// error is logged with its causes, and the answer is 409 (another request
/// changed the session meanwhile, and the request was not to be rerun or
/// kept conflicting; or the session expired while the handler ran), 503
/// (the store is busy, full or unreachable) or 500.
///
/// See the [module documentation](self) for an example.
pub fn serve<F>(sessions: &HttpSessions, request: &Request, mut handler: F) -> Response
where
    F: FnMut(&Request, &Form, &mut Session) -> Response,
{
    let form = match read_form(request, sessions.max_form_bytes) {
        Ok(form) => form,
        Err(error) => {
            return Response::text(error.to_string()).with_status_code(error.status_code())
        }
    };
    match sessions.handle(request, |session| handler(request, &form, session)) {
        Ok(response) => response,
        Err(error) => {
            let answer = super::commit_failed(&error);
            let response = Response::text(answer.message).with_status_code(answer.status);
            match answer.retry_after {
                Some(seconds) => response.with_unique_header("Retry-After", seconds),
                None => response,
            }
        }
    }
}

/// Takes the request's body as a form if its `Content-Type` is
/// `application/x-www-form-urlencoded`, at most `limit` bytes (see
/// [`HttpSessions::max_form_bytes`]); any other body is left and the form
/// is empty. rouille's body can be taken only once: keep the form.
///
/// ```
/// use dynamodb_sessions::http::rouille::read_form;
/// use rouille::Request;
///
/// let headers = vec![("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned())];
/// let request = Request::fake_http("POST", "/", headers, b"csrf_token=abc&name=Ada".to_vec());
/// let form = read_form(&request, 1024)?;
/// assert_eq!(form.get("name"), Some("Ada"));
/// # Ok::<(), dynamodb_sessions::http::CsrfError>(())
/// ```
///
/// # Errors
///
/// [`CsrfError::FormTooLarge`] over `limit`, [`CsrfError::Body`] when the
/// body cannot be read or was already taken.
pub fn read_form(request: &Request, limit: usize) -> Result<Form, CsrfError> {
    if !super::is_urlencoded(header_values(request, "Content-Type").next()) {
        return Ok(Form::default());
    }
    let body = request.data().ok_or_else(|| {
        CsrfError::Body(std::io::Error::other("the request body was already taken"))
    })?;
    super::read_form_body(body, limit)
}

impl HttpResponse for Response {
    fn with_set_cookie(self, value: String) -> Self {
        with_set_cookie(self, value)
    }
}

/// The request's `Cookie` headers joined with `"; "`, or `None`. (rouille's
/// own `Request::header` returns only the first.)
pub fn cookie_header(request: &Request) -> Option<String> {
    super::join_cookie_headers(header_values(request, "Cookie"))
}

/// How `request` came: [`Scheme::Https`] over rouille's own TLS, or with
/// [`TrustForwardedProto::Yes`] an `X-Forwarded-Proto: https` header.
///
/// ```
/// use dynamodb_sessions::http::{rouille::scheme, TrustForwardedProto};
/// use dynamodb_sessions::Scheme;
/// use rouille::Request;
///
/// let headers = vec![("X-Forwarded-Proto".to_owned(), "https".to_owned())];
/// let proxied = Request::fake_http("GET", "/", headers, vec![]);
/// assert_eq!(scheme(&proxied, TrustForwardedProto::No), Scheme::Http);
/// assert_eq!(scheme(&proxied, TrustForwardedProto::Yes), Scheme::Https);
/// ```
pub fn scheme(request: &Request, trust: TrustForwardedProto) -> Scheme {
    let connection = if request.is_secure() {
        Scheme::Https
    } else {
        Scheme::Http
    };
    super::scheme(
        connection,
        header_values(request, super::FORWARDED_PROTO_HEADER),
        trust,
    )
}

/// `response` with a `Set-Cookie` header of `value` (as
/// [`SessionManager::commit`](crate::SessionManager::commit) returns it) added; other `Set-Cookie` headers
/// stay.
pub fn with_set_cookie(response: Response, value: String) -> Response {
    response.with_additional_header("Set-Cookie", value)
}

fn header_values<'a>(request: &'a Request, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    request
        .headers()
        .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpSessions;
    use dynamodb_sessions_core::{SessionConfig, SessionManager};

    use crate::MemoryBackend;

    fn request(headers: &[(&str, &str)], https: bool) -> Request {
        let headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        if https {
            Request::fake_https("GET", "/", headers, vec![])
        } else {
            Request::fake_http("GET", "/", headers, vec![])
        }
    }

    #[test]
    fn several_cookie_headers_are_joined() {
        let both = request(&[("Cookie", "a=1"), ("cookie", "session_id=x")], false);
        assert_eq!(cookie_header(&both).as_deref(), Some("a=1; session_id=x"));
        assert_eq!(cookie_header(&request(&[], false)), None);
    }

    #[test]
    fn scheme_from_the_server_or_a_trusted_proxy() {
        assert_eq!(
            scheme(&request(&[], true), TrustForwardedProto::No),
            Scheme::Https
        );
        let plain = request(&[("X-Forwarded-Proto", "http")], false);
        assert_eq!(scheme(&plain, TrustForwardedProto::Yes), Scheme::Http);
    }

    #[test]
    fn commit_sets_secure_only_over_https() {
        let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
        let sessions = HttpSessions::new(manager).trust_forwarded_proto(TrustForwardedProto::Yes);
        for (request, secure) in [
            (request(&[], false), false),
            (request(&[("X-Forwarded-Proto", "https")], false), true),
        ] {
            let mut session = sessions.load(&request);
            session.insert("k", &1).unwrap();
            let response = sessions
                .commit(session, &request, Response::text(""))
                .unwrap();
            let cookies: Vec<_> = response
                .headers
                .iter()
                .filter(|(name, _)| name == "Set-Cookie")
                .map(|(_, value)| value.to_string())
                .collect();
            assert_eq!(cookies.len(), 1);
            assert_eq!(cookies[0].contains("; Secure"), secure, "{}", cookies[0]);
        }
    }
}

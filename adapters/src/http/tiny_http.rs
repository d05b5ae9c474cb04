//! Sessions on the [tiny_http] server (feature `tiny-http`).
//!
//! Wrap the manager in an [`HttpSessions`] once, then per request call
//! [`load`](super::HttpSessions::load) before handling it and
//! [`commit`](super::HttpSessions::commit) on the response before sending it:
//!
//! ```
//! use dynamodb_sessions::{SessionConfig, SessionManager};
//! use dynamodb_sessions::http::HttpSessions;
//! use dynamodb_sessions::MemoryBackend;
//! use tiny_http::{Request, Response, TestRequest};
//!
//! let sessions = HttpSessions::new(SessionManager::new(
//!     MemoryBackend::new(),
//!     SessionConfig::default(),
//! ));
//!
//! // In the server loop: `for request in server.incoming_requests() { .. }`
//! let request: Request = TestRequest::new().into();
//! let mut session = sessions.load(&request);
//! let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//! session.insert("visits", &visits)?;
//! let response = sessions.commit(session, &request, Response::from_string(format!("visit {visits}")))?;
//! let set_cookie = response.headers().iter().find(|h| h.field.equiv("Set-Cookie")).unwrap();
//! assert!(set_cookie.value.as_str().starts_with("session_id="));
//! // request.respond(response)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Or let [`serve`] do the load, commit and `Set-Cookie`, read the form
//! for the CSRF check, rerun the handler if another request changed the
//! session meanwhile (see [`HttpSessions::handle`](super::HttpSessions::handle)),
//! and answer the request, once:
//!
//! ```
//! use dynamodb_sessions::http::{tiny_http::serve, HttpSessions};
//! use dynamodb_sessions::{MemoryBackend, SessionConfig, SessionManager};
//! use tiny_http::{Header, Response, TestRequest};
//!
//! let sessions = HttpSessions::new(SessionManager::new(MemoryBackend::new(), SessionConfig::default()));
//! let request = TestRequest::new()
//!     .with_method(tiny_http::Method::Post)
//!     .with_header(Header::from_bytes("Content-Type", "application/x-www-form-urlencoded").unwrap())
//!     .with_body("note=hi&csrf_token=forged");
//! serve(&sessions, request.into(), |request, form, session| {
//!     if let Err(rejected) = sessions.check_csrf(session, request, form) {
//!         return Response::from_string(rejected.to_string()).with_status_code(rejected.status_code());
//!     }
//!     let _ = session.flash_message(form.get("note").unwrap_or(""));
//!     Response::from_string("saved")
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! tiny_http serves plain HTTP unless it was started with
//! `Server::https`; [`Request::secure`] tells which, and
//! `X-Forwarded-Proto` counts only when you opt in (see
//! [`TrustForwardedProto`]).

use std::io::{self, Read};

use ::tiny_http::{Header, Request, Response, ResponseBox};
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
        self.headers()
            .iter()
            .find(|header| header.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|header| header.value.as_str().to_owned())
    }

    fn method(&self) -> &str {
        Request::method(self).as_str()
    }
}

/// Runs one request: reads its form (if its body is urlencoded), then
/// [`HttpSessions::handle`] (load, `handler`, commit, `Set-Cookie`, and on
/// a conflict a rerun as [`OnConflict`](super::OnConflict) says), and
/// answers the request with the handler's response, once.
///
/// `handler` gets the request (its body already read), the form (empty
/// unless the body was urlencoded) and the session; check the CSRF token
/// with [`HttpSessions::check_csrf`]. A body of another type is left
/// unread for the handler, but it can be read only once, so a handler that
/// reads one should run under [`OnConflict::Fail`](super::OnConflict::Fail).
///
/// If the form cannot be read, the request is answered with
/// [`CsrfError::status_code`] and the handler does not run. If the commit
/// fails, the handler's response is dropped (it may describe a change that
/// was not saved), the error is logged with its causes, and the request is
/// answered 409 (another request changed the session meanwhile, and the
/// request was not to be rerun or kept conflicting; or the session expired
/// while the handler ran), 503 (the store is busy, full or unreachable) or
/// 500.
///
/// See the [module documentation](self) for an example.
///
/// # Errors
///
/// Only from answering the request: the client went away.
pub fn serve<R, F>(sessions: &HttpSessions, mut request: Request, mut handler: F) -> io::Result<()>
where
    R: Read + Send + 'static,
    F: FnMut(&Request, &Form, &mut Session) -> Response<R>,
{
    let form = match read_form(&mut request, sessions.max_form_bytes) {
        Ok(form) => form,
        Err(error) => {
            let status = error.status_code();
            return request
                .respond(Response::from_string(error.to_string()).with_status_code(status));
        }
    };
    let response: ResponseBox = match sessions.handle(&request, |session| {
        handler(&request, &form, session).boxed()
    }) {
        Ok(response) => response,
        Err(error) => {
            let answer = super::commit_failed(&error);
            let mut response =
                Response::from_string(answer.message).with_status_code(answer.status);
            if let Some(seconds) = answer.retry_after {
                if let Ok(header) = Header::from_bytes("Retry-After", seconds) {
                    response.add_header(header);
                }
            }
            response.boxed()
        }
    };
    request.respond(response)
}

/// Reads the request's body as a form if its `Content-Type` is
/// `application/x-www-form-urlencoded`, at most `limit` bytes (see
/// [`HttpSessions::max_form_bytes`]); any other body is left unread and
/// the form is empty. tiny_http's body can be read only once: keep the form.
///
/// ```
/// use dynamodb_sessions::http::tiny_http::read_form;
/// use tiny_http::{Header, Request, TestRequest};
///
/// let mut request: Request = TestRequest::new()
///     .with_header(Header::from_bytes("Content-Type", "application/x-www-form-urlencoded").unwrap())
///     .with_body("csrf_token=abc&name=Ada")
///     .into();
/// let form = read_form(&mut request, 1024)?;
/// assert_eq!(form.get("name"), Some("Ada"));
/// # Ok::<(), dynamodb_sessions::http::CsrfError>(())
/// ```
///
/// # Errors
///
/// [`CsrfError::FormTooLarge`] over `limit`, [`CsrfError::Body`] when the
/// body cannot be read.
pub fn read_form(request: &mut Request, limit: usize) -> Result<Form, CsrfError> {
    if !super::is_urlencoded(header_values(request, "Content-Type").next()) {
        return Ok(Form::default());
    }
    super::read_form_body(request.as_reader(), limit)
}

impl<R: Read> HttpResponse for Response<R> {
    fn with_set_cookie(mut self, value: String) -> Self {
        add_set_cookie(&mut self, &value);
        self
    }
}

/// The request's `Cookie` headers joined with `"; "`, or `None`.
pub fn cookie_header(request: &Request) -> Option<String> {
    super::join_cookie_headers(header_values(request, "Cookie"))
}

/// How `request` came: [`Scheme::Https`] over tiny_http's own TLS, or with
/// [`TrustForwardedProto::Yes`] an `X-Forwarded-Proto: https` header.
///
/// ```
/// use dynamodb_sessions::http::{tiny_http::scheme, TrustForwardedProto};
/// use dynamodb_sessions::Scheme;
/// use tiny_http::{Header, Request, TestRequest};
///
/// let proxied = || -> Request {
///     TestRequest::new()
///         .with_header(Header::from_bytes("X-Forwarded-Proto", "https").unwrap())
///         .into()
/// };
/// assert_eq!(scheme(&proxied(), TrustForwardedProto::No), Scheme::Http);
/// assert_eq!(scheme(&proxied(), TrustForwardedProto::Yes), Scheme::Https);
/// ```
pub fn scheme(request: &Request, trust: TrustForwardedProto) -> Scheme {
    let connection = if request.secure() {
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

/// Adds a `Set-Cookie` header with `value` (as [`SessionManager::commit`](crate::SessionManager::commit)
/// returns it) to `response`. Such values are always ASCII; a value that
/// is not cannot be a tiny_http header and is left out, with an error in the
/// log.
pub fn add_set_cookie<R: Read>(response: &mut Response<R>, value: &str) {
    match Header::from_bytes("Set-Cookie", value) {
        Ok(header) => response.add_header(header),
        Err(()) => log::error!("dropping a Set-Cookie header that is not ASCII"),
    }
}

fn header_values<'a>(
    request: &'a Request,
    name: &'static str,
) -> impl Iterator<Item = &'a str> + 'a {
    request
        .headers()
        .iter()
        .filter(move |header| header.field.equiv(name))
        .map(|header| header.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpSessions;
    use ::tiny_http::TestRequest;
    use dynamodb_sessions_core::{SessionConfig, SessionManager};

    use crate::MemoryBackend;

    fn header(name: &str, value: &str) -> Header {
        Header::from_bytes(name, value).unwrap()
    }

    #[test]
    fn several_cookie_headers_are_joined() {
        let request: Request = TestRequest::new()
            .with_header(header("Cookie", "a=1"))
            .with_header(header("cookie", "session_id=x"))
            .into();
        assert_eq!(
            cookie_header(&request).as_deref(),
            Some("a=1; session_id=x")
        );
        assert_eq!(cookie_header(&TestRequest::new().into()), None);
    }

    #[test]
    fn scheme_from_the_server_or_a_trusted_proxy() {
        let tls: Request = TestRequest::new().with_https().into();
        assert_eq!(scheme(&tls, TrustForwardedProto::No), Scheme::Https);
        let plain: Request = TestRequest::new()
            .with_header(header("X-Forwarded-Proto", "http"))
            .into();
        assert_eq!(scheme(&plain, TrustForwardedProto::Yes), Scheme::Http);
    }

    #[test]
    fn commit_sets_secure_only_over_https() {
        let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
        let sessions = HttpSessions::new(manager).trust_forwarded_proto(TrustForwardedProto::Yes);
        for (request, secure) in [
            (TestRequest::new(), false),
            (
                TestRequest::new().with_header(header("X-Forwarded-Proto", "https")),
                true,
            ),
        ] {
            let request: Request = request.into();
            let mut session = sessions.load(&request);
            session.insert("k", &1).unwrap();
            let response = sessions
                .commit(session, &request, Response::empty(200))
                .unwrap();
            let cookies: Vec<_> = response
                .headers()
                .iter()
                .filter(|h| h.field.equiv("Set-Cookie"))
                .map(|h| h.value.to_string())
                .collect();
            assert_eq!(cookies.len(), 1);
            assert_eq!(cookies[0].contains("; Secure"), secure, "{}", cookies[0]);
        }
    }
}

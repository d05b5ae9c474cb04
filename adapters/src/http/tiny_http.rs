//! Sessions on the [tiny_http] server (feature `tiny-http`).
//!
//! Wrap the manager in an [`HttpSessions`](super::HttpSessions) once, then per request call
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
//! tiny_http serves plain HTTP unless it was started with
//! `Server::https`; [`Request::secure`] tells which, and
//! `X-Forwarded-Proto` counts only when you opt in (see
//! [`TrustForwardedProto`]).

use std::io::Read;

use ::tiny_http::{Header, Request, Response};

use super::{HttpRequest, HttpResponse, TrustForwardedProto};

impl HttpRequest for Request {
    fn cookie_header(&self) -> Option<String> {
        cookie_header(self)
    }

    fn is_https(&self, trust: TrustForwardedProto) -> bool {
        is_https(self, trust)
    }
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

/// Whether `request` came over HTTPS: tiny_http's own TLS, or with
/// [`TrustForwardedProto::Yes`] an `X-Forwarded-Proto: https` header.
///
/// ```
/// use dynamodb_sessions::http::{tiny_http::is_https, TrustForwardedProto};
/// use tiny_http::{Header, Request, TestRequest};
///
/// let proxied = || -> Request {
///     TestRequest::new()
///         .with_header(Header::from_bytes("X-Forwarded-Proto", "https").unwrap())
///         .into()
/// };
/// assert!(!is_https(&proxied(), TrustForwardedProto::No));
/// assert!(is_https(&proxied(), TrustForwardedProto::Yes));
/// ```
pub fn is_https(request: &Request, trust: TrustForwardedProto) -> bool {
    super::is_https(
        request.secure(),
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
        assert!(is_https(&tls, TrustForwardedProto::No));
        let plain: Request = TestRequest::new()
            .with_header(header("X-Forwarded-Proto", "http"))
            .into();
        assert!(!is_https(&plain, TrustForwardedProto::Yes));
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

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

use dynamodb_sessions_core::{CommitError, Session, SessionManager};

/// What the glue needs to know about a server's request.
pub trait HttpRequest {
    /// The request's `Cookie` headers joined with `"; "` (see
    /// [`join_cookie_headers`]), or `None`.
    fn cookie_header(&self) -> Option<String>;

    /// Whether the request came over HTTPS: the server's own TLS, or with
    /// [`TrustForwardedProto::Yes`] an `X-Forwarded-Proto: https` header
    /// (see [`is_https`]).
    fn is_https(&self, trust: TrustForwardedProto) -> bool;
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
/// Per request, call [`load`](Self::load) before handling it and
/// [`commit`](Self::commit) on the response before sending it; the server
/// modules show it in full.
#[derive(Debug, Clone)]
pub struct HttpSessions {
    manager: SessionManager,
    trust_forwarded_proto: TrustForwardedProto,
}

impl HttpSessions {
    /// Sessions from `manager`, ignoring `X-Forwarded-Proto`.
    pub fn new(manager: SessionManager) -> Self {
        HttpSessions {
            manager,
            trust_forwarded_proto: TrustForwardedProto::No,
        }
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
    /// store call; see [`SessionManager::load`].
    pub fn load(&self, request: &impl HttpRequest) -> Session {
        self.manager.load(request.cookie_header().as_deref())
    }

    /// Whether `request` came over HTTPS, by the server's scheme and, if
    /// trusted, `X-Forwarded-Proto`.
    pub fn is_https(&self, request: &impl HttpRequest) -> bool {
        request.is_https(self.trust_forwarded_proto)
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
        Ok(
            match self.manager.commit(session, self.is_https(request))? {
                Some(value) => response.with_set_cookie(value),
                None => response,
            },
        )
    }
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

/// Whether a request came over HTTPS: `server_is_https` says whether the
/// server itself speaks TLS on this connection; `forwarded_proto` are the
/// values of the request's `X-Forwarded-Proto` headers, consulted only with
/// [`TrustForwardedProto::Yes`]. A list of values (`"https, http"`) counts
/// by its last entry.
///
/// ```
/// use dynamodb_sessions::http::{is_https, TrustForwardedProto};
///
/// assert!(!is_https(false, ["https"], TrustForwardedProto::No));
/// assert!(is_https(false, ["https"], TrustForwardedProto::Yes));
/// assert!(!is_https(false, ["https, http"], TrustForwardedProto::Yes));
/// assert!(is_https(true, Vec::<&str>::new(), TrustForwardedProto::No));
/// ```
pub fn is_https<'a>(
    server_is_https: bool,
    forwarded_proto: impl IntoIterator<Item = &'a str>,
    trust: TrustForwardedProto,
) -> bool {
    if server_is_https {
        return true;
    }
    match trust {
        TrustForwardedProto::No => false,
        TrustForwardedProto::Yes => forwarded_proto
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .last()
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https")),
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
        assert!(!is_https(false, ["https"], No));
        assert!(is_https(false, ["HTTPS"], Yes));
        assert!(is_https(false, ["http", "https"], Yes));
        assert!(is_https(false, ["http, https "], Yes));
        assert!(!is_https(false, ["https", "http"], Yes));
        assert!(!is_https(false, ["ftp"], Yes));
        assert!(!is_https(false, Vec::<&str>::new(), Yes));
        assert!(is_https(true, ["http"], Yes));
    }
}

//! How a request reached the server: over HTTP or HTTPS.

/// How a request reached the server, which decides the cookie's `Secure`
/// flag unless [`SessionConfig`](crate::SessionConfig) forces it (see
/// [`Secure`](crate::Secure)). The HTTP glue tells it from the connection
/// and, when trusted, the proxy's `X-Forwarded-Proto`; a server without
/// glue passes what it knows.
///
/// ```
/// use dynamodb_sessions_core::Scheme;
///
/// # let tls = true;
/// let scheme = if tls { Scheme::Https } else { Scheme::Http };
/// assert_eq!(scheme, Scheme::Https);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTPS, the server's own TLS or a trusted proxy's.
    Https,
}

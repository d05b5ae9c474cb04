//! A client's failure told in our own fixed words: the source of every
//! error a backend returns for a request.
//!
//! The clients' own errors carry text that is not ours to pass on: a
//! DynamoDB error message may quote the request, an unreadable answer's
//! body may be the item, the AWS SDK prints the whole request (storage key,
//! `dat`) when it cannot apply an endpoint, and a `credential_process` may
//! print secrets on its standard error. Errors reach logs (the HTTP glue
//! logs failed commits with their causes), so none of that text enters an
//! error here: only a fixed description of the kind of failure, DynamoDB's
//! error code (checked to look like one), the HTTP status, and the kind of
//! an I/O error.

use std::error::Error;
use std::fmt;
use std::io::ErrorKind;

use dynamodb_sessions_core::store::BoxError;

/// What went wrong with one request, without any of the client's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientError {
    /// The kind of failure, in fixed words.
    what: &'static str,
    /// DynamoDB's error code, e.g. `ResourceNotFoundException`.
    code: Option<String>,
    /// The HTTP status of the answer, when one came.
    status: Option<u16>,
    /// The kind of the I/O error underneath, e.g. connection refused.
    io: Option<ErrorKind>,
}

impl ClientError {
    /// A failure of this kind.
    pub(crate) fn new(what: &'static str) -> Self {
        ClientError {
            what,
            code: None,
            status: None,
            io: None,
        }
    }

    /// DynamoDB's error answer: its code (the part after `#`, kept only if
    /// it looks like a code) and status.
    pub(crate) fn answered(code: Option<&str>, status: Option<u16>) -> Self {
        ClientError {
            code: code.and_then(safe_code),
            status,
            ..ClientError::new("DynamoDB answered with an error")
        }
    }

    /// With the kind of the I/O error found in `error`'s chain, if any.
    #[cfg(feature = "aws-sdk")]
    pub(crate) fn with_io_from(mut self, error: &(dyn Error + 'static)) -> Self {
        self.io = io_kind(error);
        self
    }

    /// With the kind of I/O error `kind`.
    pub(crate) fn with_io(mut self, kind: ErrorKind) -> Self {
        self.io = Some(kind);
        self
    }

    /// With the HTTP status of the answer.
    #[cfg(feature = "aws-sdk")]
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The kind of I/O error, if known.
    #[cfg(feature = "aws-sdk")]
    pub(crate) fn io(&self) -> Option<ErrorKind> {
        self.io
    }

    /// DynamoDB's error code, when it answered with one.
    #[cfg(feature = "dynamodb")]
    pub(crate) fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub(crate) fn boxed(self) -> BoxError {
        Box::new(self)
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        if let Some(code) = &self.code {
            write!(f, ": {code}")?;
        }
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(kind) = self.io {
            // io::ErrorKind's Display is a fixed description.
            write!(f, ": {kind}")?;
        }
        Ok(())
    }
}

impl Error for ClientError {}

/// DynamoDB's error code without its namespace
/// (`com.amazonaws.dynamodb.v20120810#ThrottlingException` gives
/// `ThrottlingException`), if it is 1 to 100 ASCII letters, digits, `_` and
/// `.`: what codes are, and nothing a request could have put there.
fn safe_code(code: &str) -> Option<String> {
    let code = code.rsplit('#').next().unwrap_or(code).trim();
    let looks_like_one = (1..=100).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    looks_like_one.then(|| code.to_owned())
}

/// The kind of the first I/O error in `error`'s chain, itself included.
#[cfg(feature = "aws-sdk")]
fn io_kind(error: &(dyn Error + 'static)) -> Option<ErrorKind> {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        next = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kept_only_when_they_look_like_codes() {
        let shown = |code: &str| ClientError::answered(Some(code), Some(400)).to_string();
        assert_eq!(
            shown("com.amazonaws.dynamodb.v20120810#ThrottlingException"),
            "DynamoDB answered with an error: ThrottlingException (HTTP 400)"
        );
        for planted in [
            "x#{\"sid\":{\"B\":\"c2VjcmV0\"}}",
            "Exception: c2VjcmV0",
            &"A".repeat(101),
            "",
        ] {
            assert_eq!(
                shown(planted),
                "DynamoDB answered with an error (HTTP 400)",
                "{planted}"
            );
        }
    }

    #[test]
    #[cfg(feature = "aws-sdk")]
    fn io_kinds_are_found_anywhere_in_the_chain() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("outer with secret text")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(std::io::Error::new(
            ErrorKind::ConnectionRefused,
            "secret text",
        ));
        let ours = ClientError::new("could not connect").with_io_from(&error);
        assert_eq!(ours.io(), Some(ErrorKind::ConnectionRefused));
        assert_eq!(ours.to_string(), "could not connect: connection refused");
    }
}

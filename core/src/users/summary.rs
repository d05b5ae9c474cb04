//! A user's session as a "your sessions" page shows it.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// An opaque name for one of a user's sessions, to end it with
/// [`Session::end_session`](crate::Session::end_session):
/// 22 URL-safe characters. It is derived from the session's storage key
/// under the app's user secret, so it is neither the session's token nor
/// its key, cannot be turned into either, and is useless as a cookie; it
/// ends a session only for the user that session belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHandle([u8; 16]);

impl SessionHandle {
    pub(crate) const fn from_bytes(bytes: [u8; 16]) -> SessionHandle {
        SessionHandle(bytes)
    }

    #[cfg(test)]
    pub(crate) const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionHandle({self})")
    }
}

/// Text that is not a [`SessionHandle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseHandleError;

impl fmt::Display for ParseHandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a session handle")
    }
}

impl std::error::Error for ParseHandleError {}

impl FromStr for SessionHandle {
    type Err = ParseHandleError;

    /// The handle written by its `Display` (as from a form field).
    ///
    /// ```
    /// use dynamodb_sessions_core::users::SessionHandle;
    ///
    /// assert!("AAAAAAAAAAAAAAAAAAAAAA".parse::<SessionHandle>().is_ok());
    /// assert!("not a handle".parse::<SessionHandle>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<SessionHandle, ParseHandleError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| ParseHandleError)?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| ParseHandleError)?;
        Ok(SessionHandle(bytes))
    }
}

/// One of a user's live sessions, from
/// [`Session::user_sessions`](crate::Session::user_sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSummary {
    /// Ends this session (see [`SessionHandle`]).
    pub handle: SessionHandle,
    /// When the session began (unix seconds), if known.
    pub created_at: Option<i64>,
    /// When it was last written or reissued (unix seconds): its last use,
    /// accurate to the reissue time (120 s by default), since read-only
    /// requests write nothing before it.
    pub last_used: i64,
    /// When it idles out unless used (unix seconds).
    pub expires_at: i64,
    /// The label the app gave it ([`Session::set_label`](crate::Session::set_label)).
    pub label: Option<String>,
    /// Whether it is the session the listing request came with.
    pub current: bool,
}

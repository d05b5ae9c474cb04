//! CSRF tokens, stored under `_csrft_` as Pyramid stores them.

use std::fmt::Write as _;

use ciborium::Value;
use subtle::ConstantTimeEq;

use crate::{Session, SessionError};

const CSRF_KEY: &str = "_csrft_";

/// Random bytes in a CSRF token: 256 bits, as Python's `secrets.token_hex()`.
const CSRF_BYTES: usize = 32;

impl Session {
    /// Draws a new CSRF token (64 hex characters), stores it and returns it.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Random`] if the
    /// operating system has no random bytes.
    pub fn new_csrf_token(&mut self) -> Result<String, SessionError> {
        self.load()?;
        let mut bytes = [0u8; CSRF_BYTES];
        getrandom::getrandom(&mut bytes).map_err(SessionError::random)?;
        let token = bytes
            .iter()
            .fold(String::with_capacity(2 * CSRF_BYTES), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            });
        self.will_change();
        self.data
            .insert(CSRF_KEY.to_owned(), Value::Text(token.clone()));
        self.changed = true;
        Ok(token)
    }

    /// The session's CSRF token, drawing one if it has none (Pyramid's
    /// `get_csrf_token`).
    ///
    /// ```
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// let mut session = manager.load(None);
    /// let token = session.csrf_token()?;
    /// assert_eq!(session.csrf_token()?, token);
    /// assert!(session.check_csrf_token(&token)?);
    /// assert!(!session.check_csrf_token("forged")?);
    /// # Ok::<(), dynamodb_sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`new_csrf_token`](Self::new_csrf_token).
    pub fn csrf_token(&mut self) -> Result<String, SessionError> {
        self.load()?;
        match self.data.get(CSRF_KEY) {
            Some(Value::Text(token)) if !token.is_empty() => Ok(token.clone()),
            _ => self.new_csrf_token(),
        }
    }

    /// Forgets the CSRF token, so that the next
    /// [`csrf_token`](Self::csrf_token) draws a new one. Needs the
    /// session loaded.
    pub(crate) fn drop_csrf_token(&mut self) {
        debug_assert!(self.is_loaded());
        self.data.remove(CSRF_KEY);
    }

    /// Whether `candidate` is the session's CSRF token, compared in constant
    /// time. A session without a token, or with an empty one, matches nothing.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn check_csrf_token(&mut self, candidate: &str) -> Result<bool, SessionError> {
        self.load()?;
        Ok(match self.data.get(CSRF_KEY) {
            // An empty token (written by something else) must not let a
            // form without a token pass.
            Some(Value::Text(token)) if !token.is_empty() => {
                token.as_bytes().ct_eq(candidate.as_bytes()).into()
            }
            _ => false,
        })
    }
}

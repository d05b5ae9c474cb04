//! Session tokens (what the cookie carries) and storage keys (what the table holds).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::regions::KeySlots;
use crate::RandomError;

/// Number of random bytes in a token: 256 bits, far beyond OWASP's 64-bit minimum.
const TOKEN_BYTES: usize = 32;

/// Draws after which [`Token::generate_in`] gives up: with one slot of 16
/// held, a working random source needs more with a probability of
/// (15/16)^1024, under 10^-28.
const MAX_SLOT_DRAWS: u32 = 1024;

/// Length of a token in characters: 32 bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// The secret session token carried in the cookie.
///
/// A token is 32 bytes from the operating system's random source, written as
/// 43 characters of unpadded base64url. It is never stored: the table holds its
/// [`StorageKey`]. `Debug` hides it so it cannot leak into logs by accident.
///
/// ```
/// use dynamodb_sessions_core::store::Token;
///
/// let token = Token::generate().unwrap();
/// assert_eq!(token.as_str().len(), 43);
/// assert_eq!(format!("{token:?}"), "Token(..)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Draws a new token from the operating system's random source.
    ///
    /// # Errors
    ///
    /// Fails only when the operating system cannot provide random bytes.
    pub fn generate() -> Result<Self, RandomError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::getrandom(&mut bytes).map_err(RandomError::new)?;
        Ok(Token(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Draws a new token whose [storage key](Self::storage_key) falls in
    /// `slots`: the session it names is homed in the region holding those
    /// slots (see [`regions`](crate::regions)).
    ///
    /// It draws tokens as [`generate`](Self::generate) does until one's key
    /// falls in `slots`, which takes `16 / slots.count()` tries on average
    /// (2 for half the slots, 4 for a quarter). With
    /// [`KeySlots::ALL`] it is exactly one call of `generate`. The token is
    /// drawn uniformly among the 256-bit tokens whose key falls in `slots`:
    /// its text is as uniform as ever, and it carries `256 - log2(16 /
    /// slots.count())` bits of entropy, at least 252 (the 4 bits of the
    /// key's slot are all an attacker learns, and they say nothing about
    /// other tokens).
    ///
    /// ```
    /// use dynamodb_sessions_core::regions::KeySlots;
    /// use dynamodb_sessions_core::store::Token;
    ///
    /// let slots = KeySlots::range(4..8)?;
    /// let token = Token::generate_in(slots)?;
    /// assert!(slots.holds(&token.storage_key()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Fails when the operating system cannot provide random bytes, or
    /// when 1024 draws in a row fall outside `slots`, which a working
    /// random source does with a probability under 10^-28.
    pub fn generate_in(slots: KeySlots) -> Result<Self, RandomError> {
        if slots == KeySlots::ALL {
            return Token::generate();
        }
        for _ in 0..MAX_SLOT_DRAWS {
            let token = Token::generate()?;
            if slots.holds(&token.storage_key()) {
                return Ok(token);
            }
        }
        Err(RandomError::outside_slots(MAX_SLOT_DRAWS))
    }

    /// Accepts `text` as a token if it has the shape of one: exactly 43
    /// base64url characters. Anything else is `None`.
    ///
    /// ```
    /// use dynamodb_sessions_core::store::Token;
    ///
    /// assert!(Token::parse(&"A".repeat(43)).is_some());
    /// assert!(Token::parse("short").is_none());
    /// assert!(Token::parse(&"+".repeat(43)).is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == TOKEN_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Token(text.to_owned()))
    }

    /// The token's text, as it goes into the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which this token's session is stored: SHA-256 of the
    /// token's UTF-8 bytes, as pyramid-dynamodb-sessions computes it.
    pub fn storage_key(&self) -> StorageKey {
        StorageKey(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// The key of a session record: the SHA-256 digest of its token.
///
/// A leaked table therefore holds no usable session IDs. `Debug` hides the
/// bytes, so keys stay out of logs and error messages.
///
/// ```
/// use dynamodb_sessions_core::store::StorageKey;
///
/// let key = StorageKey::from_bytes([7; 32]);
/// assert_eq!(key.as_bytes(), &[7; 32]);
/// assert_eq!(format!("{key:?}"), "StorageKey(..)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey([u8; 32]);

impl StorageKey {
    /// Wraps a 32-byte digest, e.g. one read back from the table.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        StorageKey(bytes)
    }

    /// The key's bytes, as stored in the `sid` attribute.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_well_formed_and_distinct() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_ne!(a, b);
        assert!(Token::parse(a.as_str()).is_some());
    }

    #[test]
    fn tokens_drawn_in_slots_have_keys_there() {
        for start in [0, 5, 15] {
            let slots = KeySlots::range(start..start + 1).unwrap();
            for _ in 0..20 {
                let token = Token::generate_in(slots).unwrap();
                assert!(Token::parse(token.as_str()).is_some());
                assert_eq!(KeySlots::slot_of(&token.storage_key()), start);
            }
        }
        assert!(Token::generate_in(KeySlots::ALL).is_ok());
    }

    #[test]
    fn storage_key_is_sha256_of_the_token_text() {
        let token = Token::parse("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ").unwrap();
        let expected: [u8; 32] =
            Sha256::digest(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ").into();
        assert_eq!(token.storage_key().as_bytes(), &expected);
    }

    #[test]
    fn rejects_tokens_of_the_wrong_shape() {
        for bad in [
            "",
            &"a".repeat(42),
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
            &format!("{}/", "a".repeat(42)),
            &format!("{}é", "a".repeat(41)),
            &format!("{} ", "a".repeat(42)),
        ] {
            assert!(Token::parse(bad).is_none(), "{bad:?}");
        }
    }
}

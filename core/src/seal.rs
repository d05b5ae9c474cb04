//! Sealing `dat` under a key only the cookie holds, so that a leaked table
//! (a backup, an export, an over-broad IAM role) reveals no session data.
//!
//! A sealed `dat` is
//!
//! ```text
//! 0x1c | nonce (24 bytes) | XChaCha20-Poly1305 ciphertext of the CBOR map | tag (16 bytes)
//! ```
//!
//! - The key is HKDF-SHA256 of the token with this module's own label. The
//!   store holds SHA-256 of the token (the storage key), which does not
//!   lead to this key, and the server keeps no key at all.
//! - The nonce is 24 fresh random bytes per write: random nonces of that
//!   length never repeat in practice, however many writes a session sees.
//! - The associated data binds the ciphertext to where it is stored: the
//!   format byte, the storage key (`sid`), the version (`ver`) and the
//!   creation time (`crt`). A create or replace rewrites all of them with
//!   `dat`; a reissue rewrites only `iss` and `exp`, which are therefore
//!   left out. So a `dat` moved to another key, an older `dat` of the same
//!   session put back under a newer version, or a `crt` moved to stretch
//!   the absolute lifetime does not open.
//!
//! 0x1c is a CBOR initial byte with additional information 28, which RFC
//! 8949 reserves: no well-formed CBOR item starts with it, so a sealed `dat`
//! is never taken for a plain map, and no plain map (which starts with a
//! map head 0xa0..=0xbf, or a tag head before one) is ever taken for a sealed
//! one. A CBOR reader that knows nothing of sealing refuses it as malformed.

use std::fmt;

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::{RandomError, StorageKey, Token};

/// The first byte of a sealed `dat`: the format, version 1.
pub(crate) const SEALED_V1: u8 = 0x1c;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;

/// How many bytes sealing adds to the plain CBOR: the format byte, the
/// nonce and the tag. The item-size check counts them.
pub(crate) const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// HKDF's `info`: this key's purpose, so that no other use of the token can
/// ever derive the same key.
const KEY_LABEL: &[u8] = b"dynamodb-sessions v1 dat sealing key";

/// What a sealed `dat` is bound to: the record it is stored in.
#[derive(Clone, Copy)]
pub(crate) struct Binding<'a> {
    /// The token the session's cookie holds; the key derives from it.
    pub(crate) token: &'a Token,
    /// Where the record is stored (`sid`).
    pub(crate) key: &'a StorageKey,
    /// The record's version (`ver`).
    pub(crate) version: u64,
    /// The record's creation time (`crt`), if it has one.
    pub(crate) created_at: Option<i64>,
}

impl Binding<'_> {
    /// Fixed-length associated data: format byte, `sid`, `ver`, then `crt`
    /// behind a presence byte, so that no two bindings share an encoding.
    fn associated_data(&self) -> [u8; 1 + 32 + 8 + 1 + 8] {
        let mut ad = [0; 1 + 32 + 8 + 1 + 8];
        ad[0] = SEALED_V1;
        ad[1..33].copy_from_slice(self.key.as_bytes());
        ad[33..41].copy_from_slice(&self.version.to_be_bytes());
        if let Some(created_at) = self.created_at {
            ad[41] = 1;
            ad[42..50].copy_from_slice(&created_at.to_be_bytes());
        }
        ad
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let hkdf = Hkdf::<Sha256>::new(None, self.token.as_str().as_bytes());
        let mut key = Key::default();
        // Only an output over 255 × 32 bytes can fail; this one is 32.
        if hkdf.expand(KEY_LABEL, &mut key).is_err() {
            unreachable!("a 32-byte HKDF-SHA256 output is always valid");
        }
        XChaCha20Poly1305::new(&key)
    }
}

/// Whether `dat` bytes are sealed (rather than a plain CBOR map).
pub(crate) fn is_sealed(bytes: &[u8]) -> bool {
    bytes.first() == Some(&SEALED_V1)
}

/// Seals plain CBOR bytes for the record `binding` describes.
///
/// # Errors
///
/// [`RandomError`] when the operating system has no random bytes for the nonce.
pub(crate) fn seal(plain: &[u8], binding: &Binding<'_>) -> Result<Vec<u8>, RandomError> {
    let mut nonce = XNonce::default();
    getrandom::getrandom(&mut nonce).map_err(RandomError::new)?;
    let mut sealed = Vec::with_capacity(plain.len() + OVERHEAD);
    sealed.push(SEALED_V1);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(plain);
    let tag = binding
        .cipher()
        .encrypt_in_place_detached(
            &nonce,
            &binding.associated_data(),
            &mut sealed[HEADER_LEN..],
        )
        // Only a message over 256 GiB can fail; DynamoDB items are 400 KB.
        .unwrap_or_else(|_| unreachable!("a session's data is far below XChaCha20's limit"));
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Why a sealed `dat` did not open. It says nothing about the data, the
/// token or the key, so it can be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Shorter than the format byte, nonce and tag.
    Truncated,
    /// The tag does not match: the bytes were changed, or they belong to
    /// another record (key, version or creation time), or to another token.
    Forged,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpenError::Truncated => "sealed data too short",
            OpenError::Forged => {
                "sealed data does not open: changed, or moved from another record or version"
            }
        })
    }
}

/// Opens a sealed `dat` (one for which [`is_sealed`] holds) stored in the
/// record `binding` describes, returning the plain CBOR bytes.
pub(crate) fn open(sealed: &[u8], binding: &Binding<'_>) -> Result<Vec<u8>, OpenError> {
    if sealed.len() < OVERHEAD || !is_sealed(sealed) {
        return Err(OpenError::Truncated);
    }
    let (header, rest) = sealed.split_at(HEADER_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce = XNonce::from_slice(&header[1..]);
    let mut plain = ciphertext.to_vec();
    binding
        .cipher()
        .decrypt_in_place_detached(
            nonce,
            &binding.associated_data(),
            &mut plain,
            Tag::from_slice(tag),
        )
        .map_err(|_| OpenError::Forged)?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(c: char) -> Token {
        Token::parse(&c.to_string().repeat(43)).unwrap()
    }

    fn binding<'a>(token: &'a Token, key: &'a StorageKey) -> Binding<'a> {
        Binding {
            token,
            key,
            version: 3,
            created_at: Some(1_700_000_000),
        }
    }

    #[test]
    fn round_trips_and_hides_the_plaintext() {
        let token = token('a');
        let key = token.storage_key();
        let plain = b"\xa1\x61k\x65hello".to_vec();
        let sealed = seal(&plain, &binding(&token, &key)).unwrap();
        assert_eq!(sealed.len(), plain.len() + OVERHEAD);
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
        assert_eq!(open(&sealed, &binding(&token, &key)).unwrap(), plain);
    }

    #[test]
    fn every_write_draws_a_fresh_nonce() {
        let token = token('a');
        let key = token.storage_key();
        let a = seal(b"\xa0", &binding(&token, &key)).unwrap();
        let b = seal(b"\xa0", &binding(&token, &key)).unwrap();
        assert_ne!(a[1..HEADER_LEN], b[1..HEADER_LEN]);
    }

    #[test]
    fn opens_only_where_it_was_sealed() {
        let (a, b) = (token('a'), token('b'));
        let (key_a, key_b) = (a.storage_key(), b.storage_key());
        let sealed = seal(b"\xa0", &binding(&a, &key_a)).unwrap();
        let elsewhere = [
            binding(&b, &key_b),
            binding(&a, &key_b),
            binding(&b, &key_a),
            Binding {
                version: 4,
                ..binding(&a, &key_a)
            },
            Binding {
                created_at: Some(1_700_000_001),
                ..binding(&a, &key_a)
            },
            Binding {
                created_at: None,
                ..binding(&a, &key_a)
            },
        ];
        for other in elsewhere {
            assert_eq!(open(&sealed, &other), Err(OpenError::Forged));
        }
    }

    #[test]
    fn any_changed_byte_or_cut_fails() {
        let token = token('a');
        let key = token.storage_key();
        let at = binding(&token, &key);
        let sealed = seal(b"\xa1\x61k\x01", &at).unwrap();
        for i in 1..sealed.len() {
            let mut changed = sealed.clone();
            changed[i] ^= 0x01;
            assert_eq!(open(&changed, &at), Err(OpenError::Forged), "byte {i}");
        }
        for len in 0..OVERHEAD {
            assert_eq!(open(&sealed[..len], &at), Err(OpenError::Truncated));
        }
        for len in OVERHEAD..sealed.len() {
            assert_eq!(open(&sealed[..len], &at), Err(OpenError::Forged));
        }
    }

    #[test]
    fn the_sealing_key_is_not_the_storage_key() {
        let token = token('a');
        let key = token.storage_key();
        let hkdf = Hkdf::<Sha256>::new(None, token.as_str().as_bytes());
        let mut derived = [0; 32];
        hkdf.expand(KEY_LABEL, &mut derived).unwrap();
        assert_ne!(&derived, key.as_bytes());
    }

    /// The format byte is malformed CBOR, so no plain record is ever
    /// mistaken for a sealed one, and a plain reader refuses sealed bytes.
    #[test]
    fn the_format_byte_is_never_well_formed_cbor() {
        let token = token('a');
        let key = token.storage_key();
        let sealed = seal(b"\xa0", &binding(&token, &key)).unwrap();
        let read: Result<ciborium::Value, _> = ciborium::from_reader(sealed.as_slice());
        assert!(
            matches!(read, Err(ciborium::de::Error::Syntax(0))),
            "{read:?}"
        );
        assert!(ciborium::from_reader::<ciborium::Value, _>(&[SEALED_V1][..]).is_err());
    }
}

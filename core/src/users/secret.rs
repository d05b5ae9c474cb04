//! The app's user secret and what derives from it: users' pseudonyms, the
//! sealing of user ids and labels, and session handles.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{SessionHandle, UserRef, UserSecretError};
use crate::{RandomError, StorageKey};

/// The app's secret for users' sessions: at least 32 random bytes, the same
/// on every server of the app and kept as long as its sessions should
/// last. Without it a leaked table reveals no user id and no label, and
/// its pseudonyms cannot be checked against guessed ids.
///
/// Changing it orphans every user's sessions: their pseudonyms no longer
/// match, so they load as ended (users log in again). Its `Debug` shows
/// nothing of it.
#[derive(Clone)]
pub struct UserSecret {
    pseudonym: [u8; 32],
    sealing: [u8; 32],
    handles: [u8; 32],
}

const NONCE_LEN: usize = 24;

/// What `uin` holds, before sealing.
#[derive(Serialize, Deserialize)]
struct Sealed {
    id: String,
    label: Option<String>,
}

impl UserSecret {
    /// The shortest secret taken.
    pub const MIN_LEN: usize = 32;

    /// A secret of these bytes (at least [`MIN_LEN`](Self::MIN_LEN) of
    /// them, random: e.g. `openssl rand -base64 48`, decoded).
    ///
    /// ```
    /// use dynamodb_sessions_core::users::UserSecret;
    ///
    /// assert!(UserSecret::from_bytes(&[7; 32]).is_ok());
    /// assert!(UserSecret::from_bytes(b"password").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`UserSecretError::TooShort`] for fewer than 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<UserSecret, UserSecretError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(UserSecretError::TooShort { len: bytes.len() });
        }
        let hkdf = Hkdf::<Sha256>::new(None, bytes);
        let derive = |label: &[u8]| {
            let mut key = [0; 32];
            if hkdf.expand(label, &mut key).is_err() {
                unreachable!("a 32-byte HKDF-SHA256 output is always valid");
            }
            key
        };
        Ok(UserSecret {
            pseudonym: derive(b"dynamodb-sessions v1 user pseudonym key"),
            sealing: derive(b"dynamodb-sessions v1 user sealing key"),
            handles: derive(b"dynamodb-sessions v1 session handle key"),
        })
    }

    /// The pseudonym of the user with this id.
    pub fn user_ref(&self, user_id: &str) -> UserRef {
        UserRef::from_bytes(mac(&self.pseudonym, &[user_id.as_bytes()]))
    }

    /// The handle of the session stored under `key`.
    pub(crate) fn handle(&self, key: &StorageKey) -> SessionHandle {
        let full = mac(&self.handles, &[key.as_bytes()]);
        let mut short = [0; 16];
        short.copy_from_slice(&full[..16]);
        SessionHandle::from_bytes(short)
    }

    /// `uin`: the user id and label sealed for the record of `user` under
    /// `key`.
    pub(crate) fn seal(
        &self,
        key: &StorageKey,
        user: &UserRef,
        id: &str,
        label: Option<&str>,
    ) -> Result<Vec<u8>, RandomError> {
        let mut plain = Vec::new();
        let sealed = Sealed {
            id: id.to_owned(),
            label: label.map(str::to_owned),
        };
        if ciborium::into_writer(&sealed, &mut plain).is_err() {
            unreachable!("two strings always encode");
        }
        let mut nonce = XNonce::default();
        getrandom::getrandom(&mut nonce).map_err(RandomError::new)?;
        let aad = associated_data(key, user);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .unwrap_or_else(|_| unreachable!("a user id is far below XChaCha20's limit"));
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// The user id and label sealed in `uin` for the record of `user` under
    /// `key`, or `None` when they do not open (changed, moved, or sealed
    /// under another secret).
    pub(crate) fn open(
        &self,
        key: &StorageKey,
        user: &UserRef,
        sealed: &[u8],
    ) -> Option<(String, Option<String>)> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = associated_data(key, user);
        let plain = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()?;
        let opened: Sealed = ciborium::from_reader(plain.as_slice()).ok()?;
        // A pseudonym that does not match the id inside: not this secret's.
        (self.user_ref(&opened.id) == *user).then_some((opened.id, opened.label))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.sealing))
    }
}

impl fmt::Debug for UserSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserSecret(..)")
    }
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `uin` is bound to the record's key and user: moved to another record,
/// it does not open.
fn associated_data(key: &StorageKey, user: &UserRef) -> [u8; 4 + 32 + 32] {
    let mut aad = [0; 68];
    aad[..4].copy_from_slice(b"uin1");
    aad[4..36].copy_from_slice(key.as_bytes());
    aad[36..].copy_from_slice(user.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> UserSecret {
        UserSecret::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn pseudonyms_depend_on_the_id_and_the_secret() {
        let a = secret(1);
        assert_eq!(a.user_ref("alice"), a.user_ref("alice"));
        assert_ne!(a.user_ref("alice"), a.user_ref("bob"));
        assert_ne!(a.user_ref("alice"), secret(2).user_ref("alice"));
    }

    #[test]
    fn sealed_ids_open_only_where_they_were_sealed() {
        let a = secret(1);
        let key = StorageKey::from_bytes([3; 32]);
        let alice = a.user_ref("alice");
        let sealed = a.seal(&key, &alice, "alice", Some("Firefox")).unwrap();
        assert!(
            !sealed.windows(5).any(|w| w == b"alice"),
            "not in the clear"
        );
        assert_eq!(
            a.open(&key, &alice, &sealed),
            Some(("alice".to_owned(), Some("Firefox".to_owned())))
        );
        let other_key = StorageKey::from_bytes([4; 32]);
        assert_eq!(a.open(&other_key, &alice, &sealed), None, "moved");
        assert_eq!(a.open(&key, &a.user_ref("bob"), &sealed), None);
        assert_eq!(secret(2).open(&key, &alice, &sealed), None);
        assert_eq!(a.open(&key, &alice, &sealed[..10]), None);
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(a.open(&key, &alice, &changed), None);
    }

    #[test]
    fn handles_are_not_the_key() {
        let a = secret(1);
        let key = StorageKey::from_bytes([3; 32]);
        let handle = a.handle(&key);
        assert_eq!(handle, a.handle(&key));
        assert_ne!(handle, a.handle(&StorageKey::from_bytes([4; 32])));
        assert_ne!(handle, secret(2).handle(&key));
        assert!(!key.as_bytes().windows(16).any(|w| w == handle.as_bytes()));
    }
}

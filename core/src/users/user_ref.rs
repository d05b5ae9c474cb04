//! A user as the store sees one: a pseudonym, never the app's user id.

use std::fmt;

/// A user's pseudonym in the store: HMAC-SHA256 of the app's user id under a
/// key derived from the app's [`UserSecret`](crate::users::UserSecret). It
/// is stored with each of the user's sessions (`usr`) and keys the user's
/// generation item; without the secret it cannot be turned back into the
/// id, nor computed from a guessed one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserRef([u8; 32]);

impl UserRef {
    /// The pseudonym held in these bytes (as read back from a store).
    pub const fn from_bytes(bytes: [u8; 32]) -> UserRef {
        UserRef(bytes)
    }

    /// The pseudonym's bytes, as a store keeps them.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The storage key of this user's generation item: the byte `0x55` and
    /// the pseudonym, 33 bytes. Session records are keyed by 32-byte
    /// SHA-256 hashes (and pyramid-dynamodb-sessions looks up nothing
    /// else), so no session lookup ever reaches a generation item.
    pub fn generation_key(&self) -> [u8; 33] {
        let mut key = [0x55; 33];
        key[1..].copy_from_slice(&self.0);
        key
    }
}

impl fmt::Debug for UserRef {
    /// A short prefix: enough to tell users apart in a test's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UserRef({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

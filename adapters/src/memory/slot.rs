//! What a [`MemoryBackend`](super::MemoryBackend) holds under one key.

use dynamodb_sessions_core::store::{item_size, Record, StorageKey};
use dynamodb_sessions_core::users::UserRef;

/// One item.
#[derive(Debug, Clone)]
pub(super) enum Slot {
    /// A record.
    Record { current: Record },
    /// An item that is not a well-formed session record, as a foreign writer
    /// could leave in a DynamoDB table.
    Corrupt { reason: String },
}

impl Slot {
    /// The item's size as DynamoDB counts it (for a corrupt item, its key
    /// and reason).
    pub(super) fn size(&self, key: &StorageKey) -> usize {
        match self {
            Slot::Record { current, .. } => item_size(key, current),
            Slot::Corrupt { reason } => key.as_bytes().len() + reason.len(),
        }
    }

    /// Whether the item is an ended session's record (a tombstone).
    pub(super) fn is_ended(&self) -> bool {
        matches!(self, Slot::Record { current, .. } if current.is_ended())
    }

    /// When the session began (`crt`), for a record that says.
    pub(super) fn created_at(&self) -> Option<i64> {
        match self {
            Slot::Record { current, .. } => current.created_at,
            Slot::Corrupt { .. } => None,
        }
    }

    /// When the item's TTL runs out; a corrupt item has none.
    pub(super) fn expires_at(&self) -> Option<i64> {
        match self {
            Slot::Record { current, .. } => Some(current.expires_at),
            Slot::Corrupt { .. } => None,
        }
    }

    pub(super) fn user(&self) -> Option<UserRef> {
        match self {
            Slot::Record { current } => current.user.as_ref().map(|stamp| stamp.user),
            Slot::Corrupt { .. } => None,
        }
    }
}

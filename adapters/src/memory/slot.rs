//! What a [`MemoryBackend`](super::MemoryBackend) holds under one key.

use dynamodb_sessions_core::store::{item_size, Record, StorageKey};

/// One item.
#[derive(Debug, Clone)]
pub(super) enum Slot {
    /// A record, with what a lagging replica still shows of it.
    Record { current: Record, previous: Lag },
    /// An item that is not a well-formed session record, as a foreign writer
    /// could leave in a DynamoDB table.
    Corrupt { reason: String },
}

impl Slot {
    /// The item's size as DynamoDB counts it (for a corrupt item, its key
    /// and reason). A lagging replica's copy is test-only and not counted.
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
}

/// The state a record had before its last write, kept only for writes made
/// in stale-read mode: outside it nothing lags, and keeping every record's
/// previous version would double the memory a session holds.
#[derive(Debug, Clone)]
pub(super) enum Lag {
    /// Written outside stale-read mode: replicas have caught up.
    CaughtUp,
    /// Created in stale-read mode: replicas do not have it yet.
    Absent,
    /// Written in stale-read mode: replicas still have this.
    Was(Box<Record>),
}

impl Lag {
    /// What an eventually consistent read returns in stale-read mode.
    pub(super) fn visible(&self, current: &Record) -> Option<Record> {
        match self {
            Lag::CaughtUp => Some(current.clone()),
            Lag::Absent => None,
            Lag::Was(previous) => Some(Record::clone(previous)),
        }
    }
}

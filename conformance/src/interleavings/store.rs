//! What the checker sees in the store: each key's record, decoded down to
//! what the simulated application wrote (`tag`, `n`) and its times.

use std::collections::BTreeMap;

use dynamodb_sessions_core::{
    store::{Backend, Consistency, LoadOutcome, Record, StorageKey, StoredData},
    users::UserRef,
    BackendError,
};

/// A storage key's number within a schedule (`K1`, `K2`, … in the trace),
/// in the order the keys were first seen: stable across replays, unlike the
/// random tokens behind them.
pub(crate) type KeyId = usize;

/// The unique value a writing request stores under `tag`.
pub(crate) type Tag = u64;

/// A live-looking session record, reduced to what the checks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordView {
    pub(crate) version: u64,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) created_at: Option<i64>,
    /// The `tag` of the request whose write this is.
    pub(crate) tag: Option<Tag>,
    /// The counter the write requests increment.
    pub(crate) n: Option<u64>,
    /// The user a login attached, with the generation it was stamped with.
    pub(crate) user: Option<StampView>,
}

/// A record's user stamp, without the sealed id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StampView {
    pub(crate) user: UserRef,
    pub(crate) generation: u64,
}

impl RecordView {
    /// Whether the manager may load it at `now`: not past `exp` (alive at
    /// exactly `exp`) nor past its creation plus `absolute` seconds.
    pub(crate) fn alive(&self, now: i64, absolute: i64) -> bool {
        self.expires_at >= now
            && self
                .created_at
                .is_none_or(|created| created.saturating_add(absolute) >= now)
    }
}

/// One key's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    /// No item.
    Missing,
    /// A tombstone: logged out, or the old ID of a login (then naming the
    /// key the session moved to).
    Ended(Option<StorageKey>),
    /// A session record.
    Record(RecordView),
    /// A record whose data is not what this test writes.
    Undecodable(String),
    /// The checker's own read failed (a harness problem, not the library's).
    Unreadable(String),
}

impl Stored {
    /// The record, if it is one that loads at `now`.
    pub(crate) fn live(&self, now: i64, absolute: i64) -> Option<&RecordView> {
        match self {
            Stored::Record(record) if record.alive(now, absolute) => Some(record),
            _ => None,
        }
    }

    /// A short description for the trace.
    pub(crate) fn describe(&self, start: i64) -> String {
        match self {
            Stored::Missing => "missing".to_owned(),
            Stored::Ended(None) => "ended".to_owned(),
            Stored::Ended(Some(_)) => "ended, moved on by a login".to_owned(),
            Stored::Record(r) => format!(
                "v{} {} n={} exp={} crt={}{}",
                r.version,
                r.tag.map_or("no tag".to_owned(), |t| format!("t{t}")),
                r.n.unwrap_or(0),
                r.expires_at - start,
                r.created_at
                    .map_or("-".to_owned(), |c| (c - start).to_string()),
                r.user
                    .map_or(String::new(), |stamp| format!(" gen={}", stamp.generation)),
            ),
            Stored::Undecodable(why) => format!("undecodable ({why})"),
            Stored::Unreadable(why) => format!("unreadable ({why})"),
        }
    }
}

/// Decodes a stored record. The data is a CBOR map as the manager writes it
/// (the schedules use the default CBOR encoding).
pub(crate) fn decode(record: &Record) -> Stored {
    if record.is_ended() {
        return Stored::Ended(record.successor);
    }
    let StoredData::Cbor(bytes) = &record.data else {
        return Stored::Undecodable("not CBOR".to_owned());
    };
    let value: ciborium::Value = match ciborium::from_reader(bytes.as_slice()) {
        Ok(value) => value,
        Err(error) => return Stored::Undecodable(error.to_string()),
    };
    let Some(entries) = value.as_map() else {
        return Stored::Undecodable("not a map".to_owned());
    };
    let number = |name: &str| {
        entries.iter().find_map(|(key, value)| {
            (key.as_text() == Some(name))
                .then(|| value.as_integer().and_then(|i| u64::try_from(i).ok()))
                .flatten()
        })
    };
    Stored::Record(RecordView {
        version: record.version,
        issued_at: record.issued_at,
        expires_at: record.expires_at,
        created_at: record.created_at,
        tag: number("tag"),
        n: number("n"),
        user: record.user.as_ref().map(|stamp| StampView {
            user: stamp.user,
            generation: stamp.generation,
        }),
    })
}

/// The state of a read's answer.
pub(crate) fn from_load(result: Result<LoadOutcome, BackendError>) -> Stored {
    match result {
        Ok(LoadOutcome::Live(record) | LoadOutcome::Ended(record)) => decode(&record),
        Ok(LoadOutcome::Missing) => Stored::Missing,
        Err(error) => Stored::Unreadable(error.to_string()),
    }
}

/// Reads `key` strongly through the unwrapped store, retrying a few times
/// so that a hiccup of the checker's own connection is not taken for the
/// library's fault.
pub(crate) fn observe(observer: &dyn Backend, key: &StorageKey) -> Stored {
    let mut last = Stored::Missing;
    for _ in 0..3 {
        last = from_load(observer.load(key, Consistency::Strong));
        if !matches!(last, Stored::Unreadable(_)) {
            break;
        }
    }
    last
}

/// The checker's picture of every key written so far, and of the users'
/// generations.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreView {
    pub(crate) keys: BTreeMap<KeyId, Stored>,
    /// Each user's generation, for users whose generation was advanced.
    pub(crate) generations: BTreeMap<UserRef, u64>,
    /// What a region's TTL deleted once it had expired everywhere (records
    /// and tombstones, as the settled view held them): their writes count
    /// as expired, not lost.
    pub(crate) deleted_expired: BTreeMap<KeyId, Stored>,
}

impl StoreView {
    /// The state of `key` (missing if never written).
    pub(crate) fn get(&self, key: KeyId) -> &Stored {
        self.keys.get(&key).unwrap_or(&Stored::Missing)
    }

    /// The record under `key`, if it loads at `now`: alive, and not ended
    /// by its user's generation.
    pub(crate) fn live(&self, key: KeyId, now: i64, absolute: i64) -> Option<&RecordView> {
        self.get(key)
            .live(now, absolute)
            .filter(|record| !self.ended_by_user(record))
    }

    /// Whether the record's user generation has moved past its stamp: the
    /// user's sessions were ended since it was written.
    pub(crate) fn ended_by_user(&self, record: &RecordView) -> bool {
        record.user.is_some_and(|stamp| {
            self.generations
                .get(&stamp.user)
                .is_some_and(|current| stamp.generation < *current)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbor(value: &ciborium::Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        ciborium::into_writer(value, &mut bytes).unwrap();
        bytes
    }

    #[test]
    fn decodes_tag_and_counter_and_tombstones() {
        use ciborium::Value;
        let data = Value::Map(vec![
            (Value::Text("n".into()), Value::Integer(3.into())),
            (Value::Text("tag".into()), Value::Integer(17.into())),
            (Value::Text("user".into()), Value::Text("b0".into())),
        ]);
        let record = Record::new(2, 10, 70, StoredData::Cbor(cbor(&data))).created_at(Some(5));
        let Stored::Record(view) = decode(&record) else {
            panic!("a record");
        };
        assert_eq!((view.tag, view.n, view.version), (Some(17), Some(3), 2));
        assert!(view.alive(70, 150) && !view.alive(71, 150));
        assert!(!view.alive(60, 50), "past crt + absolute");
        let tombstone = Record::tombstone(10, dynamodb_sessions_core::DataEncoding::Cbor);
        assert_eq!(decode(&tombstone), Stored::Ended(None));
    }
}

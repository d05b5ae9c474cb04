//! The cached records: a map bounded in entries and bytes, each record
//! stamped with when the store call behind it was sent, and a log of this
//! process's writes that keeps an answer sent before a write from being
//! cached after it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::{Record, StorageKey};

use super::CacheSettings;

/// Write stripes: a key's writes are noted in the stripe its first bytes
/// pick. Two keys sharing a stripe only cost each other a skipped fill.
const STRIPES: usize = 4096;

/// How many stale records an insert clears on its way, at most.
const SWEEP: usize = 16;

/// Which point in this process's history of writes a read was sent at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ticket(u64);

#[derive(Debug)]
struct Entry {
    record: Record,
    /// When the call that produced it was sent: its age counts from here.
    sent_at: Duration,
    bytes: usize,
    /// Its place in `order`.
    seq: u64,
}

/// The cache's state, behind one lock.
#[derive(Debug)]
pub(super) struct Entries {
    settings: CacheSettings,
    map: HashMap<StorageKey, Entry>,
    /// Insertion order, oldest first: what is evicted first.
    order: BTreeMap<u64, StorageKey>,
    next_seq: u64,
    bytes: usize,
    /// Writes started or finished through this process, counted.
    writes: u64,
    /// Per stripe, the count of the last write started or finished there.
    last_write: Vec<u64>,
}

fn stripe(key: &StorageKey) -> usize {
    let bytes = key.as_bytes();
    usize::from(u16::from_le_bytes([bytes[0], bytes[1]])) % STRIPES
}

fn size_of(record: &Record) -> usize {
    record
        .data
        .len()
        .saturating_add(CacheSettings::ENTRY_OVERHEAD)
}

impl Entries {
    pub(super) fn new(settings: CacheSettings) -> Self {
        Entries {
            settings,
            map: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            bytes: 0,
            writes: 0,
            last_write: vec![0; STRIPES],
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    fn is_fresh(&self, entry: &Entry, now: Duration) -> bool {
        now.saturating_sub(entry.sent_at) < self.settings.max_staleness
    }

    /// The record cached for `key`, if it is younger than the staleness
    /// bound at `now`; a stale one is dropped.
    pub(super) fn get(&mut self, key: &StorageKey, now: Duration) -> Option<Record> {
        let entry = self.map.get(key)?;
        if self.is_fresh(entry, now) {
            return Some(entry.record.clone());
        }
        self.remove(key);
        None
    }

    /// Where this process's writes stand, for a read about to be sent.
    pub(super) fn ticket(&self) -> Ticket {
        Ticket(self.writes)
    }

    /// Whether no write of `key` (or of a key sharing its stripe) started
    /// or finished since `ticket` was taken.
    pub(super) fn unwritten_since(&self, key: &StorageKey, ticket: Ticket) -> bool {
        self.last_write[stripe(key)] <= ticket.0
    }

    /// Caches what a read sent at `sent_at` with `ticket` found: a record,
    /// or nothing (then any cached record is dropped). Skipped if a write
    /// through this process may have changed the key since the read was
    /// sent: its answer could predate that write.
    pub(super) fn fill(
        &mut self,
        key: &StorageKey,
        found: Option<&Record>,
        sent_at: Duration,
        ticket: Ticket,
    ) {
        if !self.unwritten_since(key, ticket) {
            return;
        }
        match found {
            Some(record) => self.put(key, record, sent_at),
            None => self.remove(key),
        }
    }

    /// Notes that a write of `key` starts or finished, and drops its record.
    pub(super) fn written(&mut self, key: &StorageKey) {
        self.writes += 1;
        self.last_write[stripe(key)] = self.writes;
        self.remove(key);
    }

    /// Caches `record` for `key`, as the store held it at some moment after
    /// `sent_at`, unless the cached record is newer: a fresh one of a higher
    /// version (versions only grow), or the same version from a call sent
    /// later (a slow call's answer, arriving after a later call's, does not
    /// make the record look older than it is).
    pub(super) fn put(&mut self, key: &StorageKey, record: &Record, sent_at: Duration) {
        if let Some(cached) = self.map.get(key) {
            let newer = match cached.record.version.cmp(&record.version) {
                Ordering::Greater => self.is_fresh(cached, sent_at),
                Ordering::Equal => cached.sent_at > sent_at,
                Ordering::Less => false,
            };
            if newer {
                return;
            }
            self.remove(key);
        }
        let bytes = size_of(record);
        if bytes > self.settings.max_bytes || self.settings.max_entries == 0 {
            return;
        }
        self.sweep(sent_at);
        while self.map.len() >= self.settings.max_entries
            || self.bytes.saturating_add(bytes) > self.settings.max_bytes
        {
            let Some((_, oldest)) = self.order.first_key_value() else {
                break;
            };
            let oldest = *oldest;
            self.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, *key);
        self.bytes += bytes;
        self.map.insert(
            *key,
            Entry {
                record: record.clone(),
                sent_at,
                bytes,
                seq,
            },
        );
    }

    /// Drops up to [`SWEEP`] of the oldest records if they are stale, so
    /// that stale records do not sit in memory until evicted.
    fn sweep(&mut self, now: Duration) {
        for _ in 0..SWEEP {
            let Some((_, oldest)) = self.order.first_key_value() else {
                return;
            };
            let oldest = *oldest;
            match self.map.get(&oldest) {
                Some(entry) if self.is_fresh(entry, now) => return,
                _ => self.remove(&oldest),
            }
        }
    }

    fn remove(&mut self, key: &StorageKey) {
        if let Some(entry) = self.map.remove(key) {
            self.order.remove(&entry.seq);
            self.bytes -= entry.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoredData;

    fn record(version: u64, data_len: usize) -> Record {
        Record::new(version, 0, 1200, StoredData::Cbor(vec![0; data_len]))
    }

    fn key(n: u8) -> StorageKey {
        StorageKey::from_bytes([n; 32])
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn records_are_served_only_younger_than_the_bound() {
        let mut entries = Entries::new(CacheSettings::DEFAULT);
        entries.put(&key(1), &record(1, 10), SECOND);
        assert_eq!(
            entries.get(&key(1), SECOND * 2 - Duration::from_nanos(1)),
            Some(record(1, 10))
        );
        assert_eq!(entries.get(&key(1), SECOND * 2), None);
        assert_eq!(entries.len(), 0, "a stale record is dropped when found");
    }

    #[test]
    fn entries_and_bytes_stay_bounded_oldest_out_first() {
        let settings = CacheSettings::DEFAULT
            .max_entries(3)
            .max_bytes(3 * (100 + CacheSettings::ENTRY_OVERHEAD));
        let mut entries = Entries::new(settings);
        for n in 0..200 {
            entries.put(&key(n), &record(1, 100), Duration::ZERO);
            assert!(entries.len() <= 3);
            assert!(entries.bytes() <= settings.max_bytes);
        }
        assert!(entries.get(&key(199), Duration::ZERO).is_some());
        assert!(entries.get(&key(196), Duration::ZERO).is_none());
        // A large record pushes out as many as it needs: two of three.
        entries.put(&key(7), &record(1, 250), Duration::ZERO);
        assert_eq!(entries.len(), 2);
        assert!(entries.get(&key(199), Duration::ZERO).is_some());
        // One over the whole budget is never cached.
        entries.put(&key(8), &record(1, 1_000), Duration::ZERO);
        assert!(entries.get(&key(8), Duration::ZERO).is_none());
        assert_eq!(
            entries.bytes(),
            100 + 250 + 2 * CacheSettings::ENTRY_OVERHEAD
        );
    }

    #[test]
    fn an_answer_sent_before_a_write_is_not_cached() {
        let mut entries = Entries::new(CacheSettings::DEFAULT);
        let before = entries.ticket();
        entries.written(&key(1));
        entries.fill(&key(1), Some(&record(1, 1)), Duration::ZERO, before);
        assert!(entries.get(&key(1), Duration::ZERO).is_none());
        // Other stripes are not affected, and a later read fills.
        entries.fill(&key(2), Some(&record(1, 1)), Duration::ZERO, before);
        assert!(entries.get(&key(2), Duration::ZERO).is_some());
        let after = entries.ticket();
        entries.fill(&key(1), Some(&record(2, 1)), Duration::ZERO, after);
        assert_eq!(entries.get(&key(1), Duration::ZERO), Some(record(2, 1)));
        // A read that found nothing drops what was cached.
        entries.fill(&key(1), None, Duration::ZERO, after);
        assert!(entries.get(&key(1), Duration::ZERO).is_none());
    }

    #[test]
    fn an_older_version_never_replaces_a_fresh_newer_one() {
        let mut entries = Entries::new(CacheSettings::DEFAULT);
        entries.put(&key(1), &record(Record::ENDED_VERSION, 1), SECOND);
        entries.put(&key(1), &record(3, 1), Duration::ZERO);
        assert!(entries.get(&key(1), SECOND).unwrap().is_ended());
        entries.put(&key(1), &record(3, 1), SECOND * 3);
        assert_eq!(entries.get(&key(1), SECOND * 3).unwrap().version, 3);
    }

    #[test]
    fn an_answer_sent_earlier_never_replaces_one_sent_later() {
        let mut entries = Entries::new(CacheSettings::DEFAULT);
        // A slow call sent at 0 answers after a call sent at 0.9 s.
        let later = SECOND * 9 / 10;
        entries.put(&key(1), &record(3, 1), later);
        entries.put(&key(1), &record(3, 2), Duration::ZERO);
        assert_eq!(
            entries.get(&key(1), SECOND),
            Some(record(3, 1)),
            "the later call's record, still fresh"
        );
        // A higher version is newer, however early its call was sent.
        entries.put(&key(1), &record(4, 1), Duration::ZERO);
        assert_eq!(entries.get(&key(1), later).unwrap().version, 4);
    }
}

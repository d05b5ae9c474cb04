//! One table replicated in several regions, as a DynamoDB global table
//! is: the store behind schedules that run across regions
//! ([`Options::regions`](super::Options::regions)).
//!
//! Each region has its own replica. Under [`ReplicaModel::Eventual`]
//! (DynamoDB's multi-Region eventual consistency, MREC) a write is checked
//! against its own region's replica only, applied there, and queued for
//! every other region, where it arrives later, in any order across items,
//! and wins only if its write stamp is later than the stamp of what that
//! replica holds: last writer wins, per item. Under
//! [`ReplicaModel::Strong`] (multi-Region strong consistency, MRSC) every
//! condition and strong read sees one current copy; eventual reads see
//! their region's copy, which the same queue brings up to date; and a write
//! racing another region's write to the same item is refused, as
//! DynamoDB's `ReplicatedWriteConflictException` is (nothing written).
//! A region can be down: calls to it fail, and replication from and to it
//! waits until it is back. A region's TTL can delete the items its own
//! replica holds past their `exp`; the delete replicates like a write, and
//! wins or loses by its stamp like one.

use std::collections::BTreeMap;
use std::sync::Arc;

use dynamodb_sessions_core::{
    store::{
        ensure_version_grows, Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome,
        Operation, Record, ReplaceOutcome, StorageKey, TouchOutcome,
    },
    testing::{Clock, ManualClock},
    BackendError,
};
use parking_lot::Mutex;

/// How the regions' replicas agree, as a DynamoDB global table's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaModel {
    /// Multi-Region eventual consistency (MREC, DynamoDB's default):
    /// conditions are checked in the writer's region only; replication is
    /// asynchronous, and concurrent writes to one item resolve last writer
    /// wins.
    Eventual,
    /// Multi-Region strong consistency (MRSC): conditions and strong reads
    /// are global; a write racing another region's is refused.
    Strong,
}

/// A write's place in the order of all writes: its sequence number, and
/// the region that made it (the last writer wins).
type Stamp = (u64, usize);

/// One write on its way to another region's replica.
#[derive(Debug, Clone)]
struct Pending {
    from: usize,
    to: usize,
    key: StorageKey,
    /// `None`: deleted by TTL.
    record: Option<Record>,
    stamp: Stamp,
    /// The schedule time from which it is delivered when the clock moves.
    due: i64,
}

/// Each key's item (`None` once TTL deleted it) and the stamp of the write
/// that put it there.
type Items = BTreeMap<StorageKey, (Option<Record>, Stamp)>;

#[derive(Debug, Default)]
struct State {
    /// One per region.
    replicas: Vec<Items>,
    /// The one current copy conditions see under [`ReplicaModel::Strong`].
    current: Items,
    queue: Vec<Pending>,
    down: Vec<bool>,
    sequence: u64,
    /// Per key, the region and time of the last write (for the conflicts
    /// of [`ReplicaModel::Strong`]).
    last_write: BTreeMap<StorageKey, (usize, i64)>,
    delivered: u64,
    conflicts: u64,
}

/// The replicas of one table, shared by the regions' stores.
#[derive(Debug)]
pub(crate) struct Replicas {
    model: ReplicaModel,
    /// How many seconds of schedule time a write takes to reach another
    /// region, unless a step delivers it earlier.
    delay: i64,
    clock: Arc<ManualClock>,
    state: Mutex<State>,
}

impl Replicas {
    pub(crate) fn new(
        model: ReplicaModel,
        regions: usize,
        delay: i64,
        clock: Arc<ManualClock>,
    ) -> Arc<Self> {
        Arc::new(Replicas {
            model,
            delay,
            clock,
            state: Mutex::new(State {
                replicas: vec![Items::new(); regions],
                down: vec![false; regions],
                ..State::default()
            }),
        })
    }

    /// The store of `region`: what that region's processes call.
    pub(crate) fn region(self: &Arc<Self>, region: usize) -> RegionStore {
        RegionStore {
            replicas: Arc::clone(self),
            region,
        }
    }

    /// What every replica holds once every queued write has arrived: what
    /// the checker holds the library's promises to.
    pub(crate) fn settled(self: &Arc<Self>) -> Settled {
        Settled {
            replicas: Arc::clone(self),
        }
    }

    pub(crate) fn regions(&self) -> usize {
        self.state.lock().down.len()
    }

    pub(crate) fn is_down(&self, region: usize) -> bool {
        self.state.lock().down[region]
    }

    pub(crate) fn set_down(&self, region: usize, down: bool) {
        self.state.lock().down[region] = down;
    }

    /// The queued writes that can arrive now (both regions up), by index.
    pub(crate) fn deliverable(&self) -> Vec<usize> {
        let state = self.state.lock();
        (0..state.queue.len())
            .filter(|i| {
                let p = &state.queue[*i];
                !state.down[p.from] && !state.down[p.to]
            })
            .collect()
    }

    /// Delivers the queued write at `index`; returns a line for the trace.
    pub(crate) fn deliver(&self, index: usize) -> String {
        let mut state = self.state.lock();
        let pending = state.queue.remove(index);
        let line = format!(
            "write w{} of region {} reaches region {}",
            pending.stamp.0, pending.from, pending.to
        );
        arrive(&mut state, pending);
        line
    }

    /// Delivers every queued write that is due at `now`.
    pub(crate) fn deliver_due(&self) -> usize {
        let now = self.clock.now();
        let mut state = self.state.lock();
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut state.queue)
            .into_iter()
            .partition(|p| p.due <= now && !state.down[p.from] && !state.down[p.to]);
        state.queue = waiting;
        let count = due.len();
        for pending in due {
            arrive(&mut state, pending);
        }
        count
    }

    /// Writes delivered, and writes refused as replication conflicts.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let state = self.state.lock();
        (state.delivered, state.conflicts)
    }

    fn down_error(&self, operation: Operation, region: usize) -> BackendError {
        BackendError::Unavailable {
            operation,
            attempts: 1,
            source: format!("region {region} is down").into(),
        }
    }

    /// Applies `write` in `region`: checks its condition against what that
    /// region sees, stores the result, and queues it for the others.
    fn write<T>(
        &self,
        region: usize,
        operation: Operation,
        key: &StorageKey,
        write: impl FnOnce(Option<&Record>) -> (T, Option<Record>),
    ) -> Result<T, BackendError> {
        let now = self.clock.now();
        let mut state = self.state.lock();
        if state.down[region] {
            return Err(self.down_error(operation, region));
        }
        if self.model == ReplicaModel::Strong {
            if let Some((writer, at)) = state.last_write.get(key) {
                if *writer != region && *at == now {
                    state.conflicts += 1;
                    return Err(BackendError::Throttled {
                        operation,
                        attempts: 1,
                        source: "ReplicatedWriteConflictException".into(),
                    });
                }
            }
        }
        let seen = match self.model {
            ReplicaModel::Eventual => state.replicas[region].get(key),
            ReplicaModel::Strong => state.current.get(key),
        };
        let (outcome, written) = write(seen.and_then(|(record, _)| record.as_ref()));
        if let Some(record) = written {
            state.last_write.insert(*key, (region, now));
            self.put(&mut state, region, *key, Some(record));
        }
        Ok(outcome)
    }

    /// Stores `record` (`None`: a delete) under `key` in `region`, stamped
    /// as the latest write, and queues it for the other regions.
    fn put(&self, state: &mut State, region: usize, key: StorageKey, record: Option<Record>) {
        state.sequence += 1;
        let stamp = (state.sequence, region);
        if self.model == ReplicaModel::Strong {
            state.current.insert(key, (record.clone(), stamp));
        }
        state.replicas[region].insert(key, (record.clone(), stamp));
        let due = self.clock.now() + self.delay;
        for to in (0..state.replicas.len()).filter(|r| *r != region) {
            let record = record.clone();
            let (from, stamp) = (region, stamp);
            state.queue.push(Pending {
                from,
                to,
                key,
                record,
                stamp,
                due,
            });
        }
    }

    /// The keys `region`'s TTL would delete now: items its replica (or,
    /// under [`ReplicaModel::Strong`], the current copy) holds past their
    /// `exp`.
    pub(crate) fn expired_in(&self, region: usize) -> Vec<StorageKey> {
        let now = self.clock.now();
        let state = self.state.lock();
        if state.down[region] {
            return Vec::new();
        }
        let items = match self.model {
            ReplicaModel::Eventual => &state.replicas[region],
            ReplicaModel::Strong => &state.current,
        };
        items
            .iter()
            .filter(|(_, (record, _))| record.as_ref().is_some_and(|r| r.expires_at < now))
            .map(|(key, _)| *key)
            .collect()
    }

    /// `region`'s TTL deletes `key` (one of [`expired_in`](Self::expired_in)).
    pub(crate) fn ttl_delete(&self, region: usize, key: &StorageKey) {
        let mut state = self.state.lock();
        self.put(&mut state, region, *key, None);
    }
}

/// A queued write reaches its replica: it wins if it is the later write.
fn arrive(state: &mut State, pending: Pending) {
    state.delivered += 1;
    let replica = &mut state.replicas[pending.to];
    let later = replica
        .get(&pending.key)
        .is_none_or(|(_, stamp)| *stamp < pending.stamp);
    if later {
        replica.insert(pending.key, (pending.record, pending.stamp));
    }
}

/// One region's store: the calls of that region's processes.
#[derive(Debug, Clone)]
pub(crate) struct RegionStore {
    replicas: Arc<Replicas>,
    region: usize,
}

impl Backend for RegionStore {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let state = self.replicas.state.lock();
        if state.down[self.region] {
            return Err(self.replicas.down_error(Operation::Load, self.region));
        }
        let items = match (self.replicas.model, consistency) {
            (ReplicaModel::Strong, Consistency::Strong) => &state.current,
            _ => &state.replicas[self.region],
        };
        Ok(LoadOutcome::from_stored(
            items.get(key).and_then(|(record, _)| record.clone()),
        ))
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.replicas
            .write(self.region, Operation::Create, key, |stored| match stored {
                Some(_) => (CreateOutcome::AlreadyExists, None),
                None => (CreateOutcome::Created, Some(record.clone())),
            })
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        ensure_version_grows(expected_version, record)?;
        self.replicas.write(
            self.region,
            Operation::Replace,
            key,
            |stored| match stored {
                Some(current) if current.version == expected_version => {
                    (ReplaceOutcome::Replaced, Some(record.clone()))
                }
                _ => (ReplaceOutcome::Conflict, None),
            },
        )
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.replicas
            .write(self.region, Operation::Touch, key, |stored| match stored {
                Some(current)
                    if current.version == expected_version && current.issued_at < issued_at =>
                {
                    let mut touched = current.clone();
                    touched.issued_at = issued_at;
                    touched.expires_at = expires_at;
                    (TouchOutcome::Touched, Some(touched))
                }
                _ => (TouchOutcome::Conflict, None),
            })
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.replicas
            .write(self.region, Operation::End, key, |stored| match stored {
                None => (EndOutcome::Missing, None),
                Some(current) if current.is_ended() => (
                    EndOutcome::AlreadyEnded {
                        successor: current.successor,
                    },
                    None,
                ),
                Some(_) => (EndOutcome::Ended, Some(tombstone.clone())),
            })
    }
}

/// The settled view: each key's latest write (by stamp) among every
/// replica and every queued write, which is what all replicas converge to.
/// Read-only: the checker's observer.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    replicas: Arc<Replicas>,
}

impl Settled {
    fn refuse(operation: Operation) -> BackendError {
        BackendError::Rejected {
            operation,
            source: "the settled view of the replicas is read-only".into(),
        }
    }
}

impl Backend for Settled {
    fn load(&self, key: &StorageKey, _: Consistency) -> Result<LoadOutcome, BackendError> {
        let state = self.replicas.state.lock();
        let latest = state
            .replicas
            .iter()
            .filter_map(|items| items.get(key))
            .map(|(record, stamp)| (record, *stamp))
            .chain(
                state
                    .queue
                    .iter()
                    .filter(|p| p.key == *key)
                    .map(|p| (&p.record, p.stamp)),
            )
            .max_by_key(|(_, stamp)| *stamp);
        Ok(LoadOutcome::from_stored(
            latest.and_then(|(record, _)| record.clone()),
        ))
    }

    fn create(&self, _: &StorageKey, _: &Record) -> Result<CreateOutcome, BackendError> {
        Err(Self::refuse(Operation::Create))
    }

    fn replace(&self, _: &StorageKey, _: u64, _: &Record) -> Result<ReplaceOutcome, BackendError> {
        Err(Self::refuse(Operation::Replace))
    }

    fn touch(&self, _: &StorageKey, _: u64, _: i64, _: i64) -> Result<TouchOutcome, BackendError> {
        Err(Self::refuse(Operation::Touch))
    }

    fn end(&self, _: &StorageKey, _: &Record) -> Result<EndOutcome, BackendError> {
        Err(Self::refuse(Operation::End))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamodb_sessions_core::{
        store::{StoredData, Token},
        DataEncoding,
    };

    fn record(version: u64, issued_at: i64) -> Record {
        Record::new(
            version,
            issued_at,
            issued_at + 60,
            StoredData::Cbor(vec![0xa0]),
        )
    }

    fn key() -> StorageKey {
        Token::generate().unwrap().storage_key()
    }

    fn live_version(store: &dyn Backend, key: &StorageKey) -> Option<u64> {
        match store.load(key, Consistency::Strong).unwrap() {
            LoadOutcome::Live(record) => Some(record.version),
            LoadOutcome::Ended(_) => Some(Record::ENDED_VERSION),
            LoadOutcome::Missing => None,
        }
    }

    #[test]
    fn eventual_conditions_are_local_and_the_later_write_wins_everywhere() {
        let clock = Arc::new(ManualClock::new(0));
        let replicas = Replicas::new(ReplicaModel::Eventual, 2, 1, Arc::clone(&clock));
        let (a, b, settled) = (replicas.region(0), replicas.region(1), replicas.settled());
        let k = key();
        assert_eq!(a.create(&k, &record(1, 0)).unwrap(), CreateOutcome::Created);
        // Not yet in region 1: a create there succeeds too.
        assert_eq!(live_version(&b, &k), None);
        assert_eq!(b.create(&k, &record(1, 0)).unwrap(), CreateOutcome::Created);
        // Both regions pass the same version check.
        assert_eq!(
            a.replace(&k, 1, &record(2, 1)).unwrap(),
            ReplaceOutcome::Replaced
        );
        let tombstone = Record::tombstone(2, DataEncoding::Cbor);
        assert_eq!(b.end(&k, &tombstone).unwrap(), EndOutcome::Ended);
        // The end is the later write: it wins in both, whatever the order.
        assert_eq!(live_version(&settled, &k), Some(Record::ENDED_VERSION));
        clock.advance(1);
        assert_eq!(replicas.deliver_due(), 4);
        assert_eq!(live_version(&a, &k), Some(Record::ENDED_VERSION));
        assert_eq!(live_version(&b, &k), Some(Record::ENDED_VERSION));
    }

    #[test]
    fn strong_conditions_are_global_and_racing_writes_are_refused() {
        let clock = Arc::new(ManualClock::new(0));
        let replicas = Replicas::new(ReplicaModel::Strong, 3, 1, Arc::clone(&clock));
        let (a, b) = (replicas.region(0), replicas.region(1));
        let k = key();
        assert_eq!(a.create(&k, &record(1, 0)).unwrap(), CreateOutcome::Created);
        // Same second, another region: refused, nothing written.
        assert!(matches!(
            b.replace(&k, 1, &record(2, 0)),
            Err(BackendError::Throttled { .. })
        ));
        clock.advance(1);
        assert_eq!(
            b.create(&k, &record(1, 1)).unwrap(),
            CreateOutcome::AlreadyExists
        );
        assert_eq!(
            b.replace(&k, 1, &record(2, 1)).unwrap(),
            ReplaceOutcome::Replaced
        );
        clock.advance(1);
        // Region 0 has not seen the replace, but its condition sees it.
        assert_eq!(
            a.replace(&k, 1, &record(2, 2)).unwrap(),
            ReplaceOutcome::Conflict
        );
        // Region 0's eventual read lags; its strong read does not.
        assert_eq!(
            a.load(&k, Consistency::Eventual)
                .unwrap()
                .into_record()
                .unwrap()
                .version,
            1
        );
        assert_eq!(live_version(&a, &k), Some(2));
        assert_eq!(replicas.counts().1, 1);
    }

    #[test]
    fn a_region_that_is_down_answers_nothing_and_replication_waits() {
        let clock = Arc::new(ManualClock::new(0));
        let replicas = Replicas::new(ReplicaModel::Eventual, 2, 0, Arc::clone(&clock));
        let k = key();
        let created = replicas.region(0).create(&k, &record(1, 0)).unwrap();
        assert_eq!(created, CreateOutcome::Created);
        replicas.set_down(1, true);
        assert!(replicas.region(1).load(&k, Consistency::Strong).is_err());
        assert_eq!(replicas.deliver_due(), 0);
        assert!(replicas.deliverable().is_empty());
        replicas.set_down(1, false);
        assert_eq!(replicas.deliverable(), vec![0]);
        replicas.deliver(0);
        assert_eq!(live_version(&replicas.region(1), &k), Some(1));
    }
}

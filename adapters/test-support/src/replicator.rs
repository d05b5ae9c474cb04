//! A stand-in for the replication of a DynamoDB global table in its
//! default mode (MREC, multi-Region eventual consistency) between two
//! DynamoDB Local instances, Regions [`A`](Region::A) and
//! [`B`](Region::B), fed by each instance's DynamoDB Stream and steered by
//! the test.
//!
//! What it copies of MREC: replication is asynchronous (nothing moves until
//! the test delivers, or [`start_background`](Replicator::start_background)
//! does after a delay); items replicate one at a time, each write as the
//! whole item (a new image is a PutItem, a removal a DeleteItem, TTL
//! deletions included); concurrent writes to one item in both Regions
//! resolve last-writer-wins, and both Regions end with the same winner.
//!
//! How it decides the winner: every stream record gets a [`Stamp`] when the
//! replicator reads it, from one counter bumped per record read, the origin
//! Region breaking ties. A record is applied to the other Region only if its
//! stamp is newer than the stamp of what that Region holds for the item, and
//! only if the item there is still what the replicator last saw (a
//! condition on every attribute): a local write there that the replicator
//! has not read yet will get a newer stamp when it is read, so it wins and
//! the older record is dropped. Records caused by the replicator's own
//! writes (echoes) are recognized by their image and not sent back.
//!
//! **The gap**: stamps follow the order in which the replicator reads
//! records, not DynamoDB's per-item clock. Between two polls, which of two
//! Regions' writes "was later" is decided by the read order (A's stream is
//! read before B's), not by when they happened; a test that needs a
//! particular winner polls between the writes. Enough to show what
//! last-writer-wins loses, and nothing the home-Region mode relies on: it
//! never lets two Regions write one item.
//!
//! On DynamoDB Local (2026-05-28 jar, measured): a record can be read as
//! soon as its write is acknowledged; a table's stream has one shard, which
//! did not roll over in our runs; TTL deletions appear as records with no
//! new image and the event name `UNKNOWN_TO_SDK_VERSION` (DynamoDB says
//! `REMOVE`); a write that changes nothing makes no record; and a shard
//! iterator taken on an empty shard is refused (`TrimmedDataAccess`) once
//! the shard has records, so the replicator asks for a new one whenever it
//! has read nothing from a shard yet.
//!
//! ```no_run
//! use dynamodb_sessions_test_support::replicator::{Region, Replicator};
//!
//! # fn example(a: &str, b: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let replicator = Replicator::new(a, b, "sessions")?;
//! // ... write in A ...
//! replicator.poll_once()?;          // read both streams, queue what changed
//! assert_eq!(replicator.pending(), 1);
//! replicator.pause(Region::B);      // B isolated: nothing reaches it
//! assert_eq!(replicator.deliver_all()?, 0);
//! replicator.resume(Region::B);
//! replicator.deliver_all()?;        // now B holds A's write
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusoto_core::credential::StaticProvider;
use rusoto_core::{HttpClient, Region as AwsRegion, RusotoError};
use rusoto_dynamodb::{
    AttributeValue, DeleteItemError, DeleteItemInput, DescribeTableInput, DynamoDb, DynamoDbClient,
    PutItemError, PutItemInput,
};
use rusoto_dynamodbstreams::{
    AttributeValue as StreamValue, DescribeStreamInput, DynamoDbStreams, DynamoDbStreamsClient,
    GetRecordsError, GetRecordsInput, GetShardIteratorInput, Record as StreamRecord,
};

use crate::raw_table::raw_client;

/// An item as DynamoDB stores it.
type Item = HashMap<String, AttributeValue>;

/// How often the background mode looks for new records.
const BACKGROUND_TICK: Duration = Duration::from_millis(20);

/// One of the two Regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    /// The first instance given to [`Replicator::new`].
    A,
    /// The second instance.
    B,
}

impl Region {
    /// The Region that receives this one's writes.
    pub fn other(self) -> Region {
        match self {
            Region::A => Region::B,
            Region::B => Region::A,
        }
    }

    fn index(self) -> usize {
        match self {
            Region::A => 0,
            Region::B => 1,
        }
    }
}

/// When a write counts as made, for last-writer-wins: the replicator's
/// counter when it read the write's stream record, then the origin Region
/// (later is newer; on equal ticks B is newer than A, which only happens
/// for the initial "nothing yet").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// The replicator's counter, bumped once per stream record read.
    pub tick: u64,
    /// The Region the write was made in.
    pub origin: Region,
}

impl Stamp {
    /// Older than any write: what an item the replicator never saw has.
    const NEVER: Stamp = Stamp {
        tick: 0,
        origin: Region::A,
    };
}

/// What the replicator has done so far, counted per stream record or
/// delivery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicationStats {
    /// Stream records read that were local writes (queued for the other
    /// Region).
    pub read: u64,
    /// Stream records read that were the replicator's own writes, skipped.
    pub echoes: u64,
    /// Records written into the other Region.
    pub applied: u64,
    /// Records dropped because the other Region held a newer stamp for the
    /// item: the last-writer-wins losers.
    pub stale: u64,
    /// Records dropped because the other Region's item had changed since
    /// the replicator last saw it (a local write it had not read yet, which
    /// is newer).
    pub superseded: u64,
    /// Records that found the other Region already holding the same item:
    /// nothing to write.
    pub identical: u64,
}

/// A request to one of the instances failed; the replicator's state is as
/// before the failed step, so the step can be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationError {
    region: Region,
    operation: &'static str,
    message: String,
}

impl ReplicationError {
    fn new(region: Region, operation: &'static str, message: impl fmt::Display) -> Self {
        ReplicationError {
            region,
            operation,
            message: message.to_string(),
        }
    }

    /// The Region whose instance failed.
    pub fn region(&self) -> Region {
        self.region
    }
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replication: {} in Region {:?} failed: {}",
            self.operation, self.region, self.message
        )
    }
}

impl Error for ReplicationError {}

/// Replicates one table between two DynamoDB Local instances, as an MREC
/// global table does, when told to. Cheap to clone: clones steer the same
/// replicator.
#[derive(Clone)]
pub struct Replicator {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for Replicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("Replicator")
            .field("table", &inner.table)
            .field("pending", &inner.queue.len())
            .field("stats", &inner.stats)
            .finish_non_exhaustive()
    }
}

struct Inner {
    runtime: tokio::runtime::Runtime,
    table: String,
    sides: [Side; 2],
    /// The Lamport counter: bumped for every stream record read.
    tick: u64,
    /// Read and not yet delivered, oldest first.
    queue: VecDeque<Pending>,
    paused: [bool; 2],
    stats: ReplicationStats,
}

/// One Region: its clients, where its stream has been read up to, and
/// what the replicator knows of its items.
struct Side {
    region: Region,
    db: DynamoDbClient,
    streams: DynamoDbStreamsClient,
    stream_arn: String,
    /// The stream's shards in the order DynamoDB listed them.
    shards: Vec<Shard>,
    items: HashMap<Vec<u8>, Known>,
}

struct Shard {
    id: String,
    parent: Option<String>,
    /// Where the next read starts; `None` before the first record has been
    /// read (see the module docs: Local refuses an iterator taken on an
    /// empty shard) and after an iterator was refused.
    iterator: Option<String>,
    last_sequence: Option<String>,
    /// Closed and read to its end.
    finished: bool,
}

/// What the replicator knows of one item in one Region.
struct Known {
    /// The stamp of the write the item holds.
    stamp: Stamp,
    /// The item as the replicator last saw or wrote it (`None`: absent).
    image: Option<Item>,
    /// The images the replicator wrote there whose stream records it has not
    /// read yet, oldest first.
    echoes: VecDeque<Option<Item>>,
}

impl Default for Known {
    fn default() -> Self {
        Known {
            stamp: Stamp::NEVER,
            image: None,
            echoes: VecDeque::new(),
        }
    }
}

/// A local write read from `from`'s stream, to apply in the other Region.
struct Pending {
    from: Region,
    key: Vec<u8>,
    key_item: Item,
    image: Option<Item>,
    stamp: Stamp,
    read_at: Instant,
}

/// How a delivery ended.
enum Delivered {
    Applied,
    Stale,
    Superseded,
    Identical,
}

impl Replicator {
    /// A replicator of `table` between the DynamoDB Local instances at
    /// `a_endpoint` and `b_endpoint`. The table must exist in both with its
    /// stream on ([`crate::raw_table::enable_streams`]); the replicator
    /// reads each stream from its oldest record, so start it before the
    /// test writes, or it will replicate what was written before too.
    ///
    /// # Errors
    ///
    /// When a table cannot be described or has no stream.
    pub fn new(a_endpoint: &str, b_endpoint: &str, table: &str) -> Result<Self, ReplicationError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ReplicationError::new(Region::A, "starting a runtime", e))?;
        let side = |region: Region, endpoint: &str| -> Result<Side, ReplicationError> {
            let _entered = runtime.enter();
            let db = raw_client(endpoint);
            let described = runtime
                .block_on(db.describe_table(DescribeTableInput {
                    table_name: table.to_owned(),
                }))
                .map_err(|e| ReplicationError::new(region, "DescribeTable", e))?;
            let stream_arn = described
                .table
                .and_then(|t| t.latest_stream_arn)
                .ok_or_else(|| {
                    ReplicationError::new(region, "DescribeTable", "the table has no stream")
                })?;
            Ok(Side {
                region,
                db,
                streams: streams_client(endpoint),
                stream_arn,
                shards: Vec::new(),
                items: HashMap::new(),
            })
        };
        let sides = [side(Region::A, a_endpoint)?, side(Region::B, b_endpoint)?];
        Ok(Replicator {
            inner: Arc::new(Mutex::new(Inner {
                runtime,
                table: table.to_owned(),
                sides,
                tick: 0,
                queue: VecDeque::new(),
                paused: [false; 2],
                stats: ReplicationStats::default(),
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads every new record from both streams (A's first, then B's;
    /// a paused Region's not at all), stamps each, skips echoes, and
    /// queues the local writes for the other Region. Returns how many
    /// were queued.
    ///
    /// # Errors
    ///
    /// When a stream cannot be read. What was read before the failure stays
    /// queued.
    pub fn poll_once(&self) -> Result<usize, ReplicationError> {
        self.lock().poll()
    }

    /// Delivers every queued record that can be delivered (neither Region
    /// paused), oldest first. Returns how many were handled: applied, or
    /// dropped as older than what the other Region holds.
    ///
    /// # Errors
    ///
    /// When a write fails; that record stays first in the queue.
    pub fn deliver_all(&self) -> Result<usize, ReplicationError> {
        self.deliver_next(usize::MAX)
    }

    /// Delivers the `n` oldest deliverable records (fewer if fewer are
    /// queued), as [`deliver_all`](Self::deliver_all) does.
    ///
    /// # Errors
    ///
    /// As [`deliver_all`](Self::deliver_all).
    pub fn deliver_next(&self, n: usize) -> Result<usize, ReplicationError> {
        let mut inner = self.lock();
        let mut handled = 0;
        while handled < n {
            let Some(position) = inner.next_deliverable(None) else {
                break;
            };
            inner.deliver_at(position)?;
            handled += 1;
        }
        Ok(handled)
    }

    /// Polls and delivers until both Regions agree: nothing queued and
    /// nothing new in either stream (paused Regions aside). Returns how
    /// many records were delivered.
    ///
    /// # Errors
    ///
    /// As [`poll_once`](Self::poll_once) and
    /// [`deliver_all`](Self::deliver_all).
    pub fn settle(&self) -> Result<usize, ReplicationError> {
        let mut delivered = 0;
        loop {
            let read = self.poll_once()?;
            let handled = self.deliver_all()?;
            delivered += handled;
            if read == 0 && handled == 0 {
                return Ok(delivered);
            }
        }
    }

    /// How many records are queued, paused ones included.
    pub fn pending(&self) -> usize {
        self.lock().queue.len()
    }

    /// Isolates `region`: its stream is not read, and nothing is delivered
    /// from it or to it, until [`resume`](Self::resume). Its writes wait in
    /// its stream, as an isolated replica's do.
    pub fn pause(&self, region: Region) {
        self.lock().paused[region.index()] = true;
    }

    /// Ends [`pause`](Self::pause).
    pub fn resume(&self, region: Region) {
        self.lock().paused[region.index()] = false;
    }

    /// What the replicator has done so far.
    pub fn stats(&self) -> ReplicationStats {
        self.lock().stats
    }

    /// Replicates on its own from now on: every few milliseconds it reads
    /// both streams and delivers each record `delay` after reading it
    /// ("typically within a second"), until the returned handle is
    /// dropped. Steering calls still work meanwhile. Failed requests (an
    /// instance killed) are retried on the next round; the last one is
    /// kept in [`Background::last_error`].
    pub fn start_background(&self, delay: Duration) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let last_error = Arc::new(Mutex::new(None));
        let (replicator, flag, errors) = (self.clone(), stop.clone(), last_error.clone());
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let round = {
                    let mut inner = replicator.lock();
                    inner.poll().and_then(|_| inner.deliver_due(delay))
                };
                if let Err(error) = round {
                    *errors.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                }
                thread::sleep(BACKGROUND_TICK);
            }
        });
        Background {
            stop,
            last_error,
            thread: Some(thread),
        }
    }
}

/// The background replication of [`Replicator::start_background`]; stops
/// when dropped.
pub struct Background {
    stop: Arc<AtomicBool>,
    last_error: Arc<Mutex<Option<ReplicationError>>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// The last failure of a background round, if any.
    pub fn last_error(&self) -> Option<ReplicationError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field("last_error", &self.last_error())
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn poll(&mut self) -> Result<usize, ReplicationError> {
        let mut queued = 0;
        for region in [Region::A, Region::B] {
            if self.paused[region.index()] {
                continue;
            }
            let records = self.read_stream(region)?;
            for record in records {
                queued += usize::from(self.take(region, record));
            }
        }
        Ok(queued)
    }

    /// Every new record of `region`'s stream, parents' shards before their
    /// children's, each shard in order.
    fn read_stream(&mut self, region: Region) -> Result<Vec<StreamRecord>, ReplicationError> {
        let Inner { runtime, sides, .. } = self;
        let side = &mut sides[region.index()];
        let _entered = runtime.enter();
        side.discover_shards(runtime)?;
        let mut records = Vec::new();
        for index in 0..side.shards.len() {
            let parent_open = side.shards[index].parent.as_ref().is_some_and(|parent| {
                side.shards
                    .iter()
                    .any(|shard| &shard.id == parent && !shard.finished)
            });
            if side.shards[index].finished || parent_open {
                continue;
            }
            side.read_shard(runtime, index, &mut records)?;
        }
        Ok(records)
    }

    /// Stamps one record read from `region`: an echo is skipped, a local
    /// write queued. Says whether it was queued.
    fn take(&mut self, region: Region, record: StreamRecord) -> bool {
        let Some(change) = record.dynamodb else {
            return false;
        };
        let Some(keys) = change.keys else {
            return false;
        };
        let key_item: Item = keys.into_iter().map(|(k, v)| (k, to_value(v))).collect();
        let key = canonical_key(&key_item);
        // No new image: a removal, by DeleteItem or by the TTL.
        let image: Option<Item> = change
            .new_image
            .map(|image| image.into_iter().map(|(k, v)| (k, to_value(v))).collect());
        let known = self.sides[region.index()]
            .items
            .entry(key.clone())
            .or_default();
        if known.echoes.front() == Some(&image) {
            known.echoes.pop_front();
            self.stats.echoes += 1;
            return false;
        }
        self.tick += 1;
        let stamp = Stamp {
            tick: self.tick,
            origin: region,
        };
        known.stamp = stamp;
        known.image.clone_from(&image);
        self.stats.read += 1;
        self.queue.push_back(Pending {
            from: region,
            key,
            key_item,
            image,
            stamp,
            read_at: Instant::now(),
        });
        true
    }

    /// The queue position of the oldest record neither of whose Regions is
    /// paused (and, with `due`, read at least that long ago).
    fn next_deliverable(&self, due: Option<Duration>) -> Option<usize> {
        self.queue.iter().position(|pending| {
            !self.paused[pending.from.index()]
                && !self.paused[pending.from.other().index()]
                && due.is_none_or(|delay| pending.read_at.elapsed() >= delay)
        })
    }

    fn deliver_due(&mut self, delay: Duration) -> Result<(), ReplicationError> {
        while let Some(position) = self.next_deliverable(Some(delay)) {
            self.deliver_at(position)?;
        }
        Ok(())
    }

    /// Applies the queued record at `position` to the other Region by
    /// last-writer-wins, and takes it off the queue unless the write failed.
    fn deliver_at(&mut self, position: usize) -> Result<(), ReplicationError> {
        let Some(pending) = self.queue.get(position) else {
            return Ok(());
        };
        let outcome = self.deliver(pending)?;
        let counter = match outcome {
            Delivered::Applied => &mut self.stats.applied,
            Delivered::Stale => &mut self.stats.stale,
            Delivered::Superseded => &mut self.stats.superseded,
            Delivered::Identical => &mut self.stats.identical,
        };
        *counter += 1;
        if let Some(pending) = self.queue.remove(position) {
            let target = &mut self.sides[pending.from.other().index()];
            let known = target.items.entry(pending.key).or_default();
            if matches!(outcome, Delivered::Applied | Delivered::Identical) {
                known.stamp = pending.stamp;
                known.image.clone_from(&pending.image);
            }
            if matches!(outcome, Delivered::Applied) {
                known.echoes.push_back(pending.image);
            }
        }
        Ok(())
    }

    fn deliver(&self, pending: &Pending) -> Result<Delivered, ReplicationError> {
        let target = &self.sides[pending.from.other().index()];
        let (stamp, expected) = match target.items.get(&pending.key) {
            Some(known) => (known.stamp, known.image.as_ref()),
            None => (Stamp::NEVER, None),
        };
        if pending.stamp <= stamp {
            return Ok(Delivered::Stale);
        }
        if expected == pending.image.as_ref() {
            return Ok(Delivered::Identical);
        }
        let (condition, names, values) = condition_on(expected, &pending.key_item);
        let _entered = self.runtime.enter();
        let result = match &pending.image {
            Some(item) => self
                .runtime
                .block_on(target.db.put_item(PutItemInput {
                    table_name: self.table.clone(),
                    item: item.clone(),
                    condition_expression: Some(condition),
                    expression_attribute_names: Some(names),
                    expression_attribute_values: values,
                    ..PutItemInput::default()
                }))
                .map(|_| ())
                .map_err(|e| match e {
                    RusotoError::Service(PutItemError::ConditionalCheckFailed(_)) => None,
                    other => Some(other.to_string()),
                }),
            None => self
                .runtime
                .block_on(target.db.delete_item(DeleteItemInput {
                    table_name: self.table.clone(),
                    key: pending.key_item.clone(),
                    condition_expression: Some(condition),
                    expression_attribute_names: Some(names),
                    expression_attribute_values: values,
                    ..DeleteItemInput::default()
                }))
                .map(|_| ())
                .map_err(|e| match e {
                    RusotoError::Service(DeleteItemError::ConditionalCheckFailed(_)) => None,
                    other => Some(other.to_string()),
                }),
        };
        match result {
            Ok(()) => Ok(Delivered::Applied),
            Err(None) => Ok(Delivered::Superseded),
            Err(Some(message)) => Err(ReplicationError::new(
                target.region,
                if pending.image.is_some() {
                    "PutItem"
                } else {
                    "DeleteItem"
                },
                message,
            )),
        }
    }
}

impl Side {
    /// Adds the stream's shards not seen before, in the order listed.
    fn discover_shards(
        &mut self,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<(), ReplicationError> {
        let mut start = None;
        loop {
            let described = runtime
                .block_on(self.streams.describe_stream(DescribeStreamInput {
                    stream_arn: self.stream_arn.clone(),
                    exclusive_start_shard_id: start.take(),
                    limit: None,
                }))
                .map_err(|e| ReplicationError::new(self.region, "DescribeStream", e))?;
            let Some(description) = described.stream_description else {
                return Ok(());
            };
            for shard in description.shards.unwrap_or_default() {
                let Some(id) = shard.shard_id else { continue };
                if !self.shards.iter().any(|known| known.id == id) {
                    self.shards.push(Shard {
                        id,
                        parent: shard.parent_shard_id,
                        iterator: None,
                        last_sequence: None,
                        finished: false,
                    });
                }
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => return Ok(()),
            }
        }
    }

    /// Reads shard `index` up to its newest record, appending to `records`.
    fn read_shard(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        index: usize,
        records: &mut Vec<StreamRecord>,
    ) -> Result<(), ReplicationError> {
        // An iterator refused once is replaced; refused twice in a row is an
        // error, not a loop.
        let mut refusals = 0;
        loop {
            let iterator = match self.shards[index].iterator.take() {
                Some(iterator) => iterator,
                None => self.iterator_for(runtime, index)?,
            };
            let answer = match runtime.block_on(self.streams.get_records(GetRecordsInput {
                shard_iterator: iterator,
                limit: None,
            })) {
                Ok(answer) => answer,
                Err(RusotoError::Service(
                    GetRecordsError::TrimmedDataAccess(_) | GetRecordsError::ExpiredIterator(_),
                )) if refusals == 0 => {
                    refusals += 1;
                    continue;
                }
                Err(e) => return Err(ReplicationError::new(self.region, "GetRecords", e)),
            };
            refusals = 0;
            let page = answer.records.unwrap_or_default();
            let empty = page.is_empty();
            let shard = &mut self.shards[index];
            for record in page {
                if let Some(sequence) = record
                    .dynamodb
                    .as_ref()
                    .and_then(|change| change.sequence_number.clone())
                {
                    shard.last_sequence = Some(sequence);
                }
                records.push(record);
            }
            match answer.next_shard_iterator {
                None => {
                    shard.finished = true;
                    return Ok(());
                }
                // Kept only once a record has been read (see `Shard::iterator`).
                Some(next) if shard.last_sequence.is_some() => shard.iterator = Some(next),
                Some(_) => {}
            }
            if empty {
                return Ok(());
            }
        }
    }

    /// A fresh iterator: after the last record read, or at the oldest.
    fn iterator_for(
        &self,
        runtime: &tokio::runtime::Runtime,
        index: usize,
    ) -> Result<String, ReplicationError> {
        let shard = &self.shards[index];
        let (kind, sequence) = match &shard.last_sequence {
            Some(sequence) => ("AFTER_SEQUENCE_NUMBER", Some(sequence.clone())),
            None => ("TRIM_HORIZON", None),
        };
        runtime
            .block_on(self.streams.get_shard_iterator(GetShardIteratorInput {
                stream_arn: self.stream_arn.clone(),
                shard_id: shard.id.clone(),
                shard_iterator_type: kind.to_owned(),
                sequence_number: sequence,
            }))
            .map_err(|e| ReplicationError::new(self.region, "GetShardIterator", e))?
            .shard_iterator
            .ok_or_else(|| ReplicationError::new(self.region, "GetShardIterator", "no iterator"))
    }
}

/// A DynamoDB Streams client for `endpoint`, set up as
/// [`raw_client`] sets up its DynamoDB client.
fn streams_client(endpoint: &str) -> DynamoDbStreamsClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    DynamoDbStreamsClient::new_with(
        HttpClient::from_connector(connector),
        StaticProvider::new_minimal("test".into(), "test".into()),
        AwsRegion::Custom {
            name: "us-east-1".into(),
            endpoint: endpoint.to_owned(),
        },
    )
}

/// A condition that holds exactly while the item is `expected`: every
/// attribute equal (an item written since has at least one changed), or
/// absent.
fn condition_on(
    expected: Option<&Item>,
    key_item: &Item,
) -> (String, HashMap<String, String>, Option<Item>) {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut clauses = Vec::new();
    match expected {
        None => {
            let mut keys: Vec<&String> = key_item.keys().collect();
            keys.sort();
            for (i, name) in keys.into_iter().enumerate() {
                names.insert(format!("#k{i}"), name.clone());
                clauses.push(format!("attribute_not_exists(#k{i})"));
            }
        }
        Some(item) => {
            let mut attributes: Vec<(&String, &AttributeValue)> = item.iter().collect();
            attributes.sort_by(|x, y| x.0.cmp(y.0));
            for (i, (name, value)) in attributes.into_iter().enumerate() {
                names.insert(format!("#a{i}"), name.clone());
                values.insert(format!(":v{i}"), value.clone());
                clauses.push(format!("#a{i} = :v{i}"));
            }
        }
    }
    let values = (!values.is_empty()).then_some(values);
    (clauses.join(" AND "), names, values)
}

/// The item's key as bytes: each key attribute's name, type and value,
/// sorted by name.
fn canonical_key(key_item: &Item) -> Vec<u8> {
    let mut names: Vec<&String> = key_item.keys().collect();
    names.sort();
    let mut key = Vec::new();
    for name in names {
        let value = &key_item[name];
        key.extend_from_slice(name.as_bytes());
        key.push(0);
        if let Some(bytes) = &value.b {
            key.push(b'B');
            key.extend_from_slice(bytes);
        } else if let Some(text) = value.s.as_ref().or(value.n.as_ref()) {
            key.push(if value.s.is_some() { b'S' } else { b'N' });
            key.extend_from_slice(text.as_bytes());
        }
        key.push(0);
    }
    key
}

/// A stream record's attribute value as the DynamoDB API takes it.
fn to_value(value: StreamValue) -> AttributeValue {
    AttributeValue {
        b: value.b,
        bool: value.bool,
        bs: value.bs,
        l: value.l.map(|list| list.into_iter().map(to_value).collect()),
        m: value
            .m
            .map(|map| map.into_iter().map(|(k, v)| (k, to_value(v))).collect()),
        n: value.n,
        ns: value.ns,
        null: value.null,
        s: value.s,
        ss: value.ss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(bytes: &[u8]) -> AttributeValue {
        AttributeValue {
            b: Some(bytes.to_vec().into()),
            ..AttributeValue::default()
        }
    }

    #[test]
    fn stamps_order_by_tick_then_origin() {
        let a = |tick| Stamp {
            tick,
            origin: Region::A,
        };
        let b = |tick| Stamp {
            tick,
            origin: Region::B,
        };
        assert!(a(2) > b(1));
        assert!(b(1) > a(1));
        assert!(a(1) > Stamp::NEVER);
    }

    #[test]
    fn conditions_name_every_attribute_or_the_absent_key() {
        let key = HashMap::from([("sid".to_owned(), binary(b"k"))]);
        let (absent, names, values) = condition_on(None, &key);
        assert_eq!(absent, "attribute_not_exists(#k0)");
        assert_eq!(names["#k0"], "sid");
        assert!(values.is_none());
        let mut item = key.clone();
        item.insert("ver".to_owned(), binary(b"1"));
        let (present, names, values) = condition_on(Some(&item), &key);
        assert_eq!(present, "#a0 = :v0 AND #a1 = :v1");
        assert_eq!(
            (names["#a0"].as_str(), names["#a1"].as_str()),
            ("sid", "ver")
        );
        assert_eq!(values.map(|v| v.len()), Some(2));
    }

    #[test]
    fn keys_differ_by_type_and_value() {
        let b = HashMap::from([("sid".to_owned(), binary(b"1"))]);
        let s = HashMap::from([(
            "sid".to_owned(),
            AttributeValue {
                s: Some("1".to_owned()),
                ..AttributeValue::default()
            },
        )]);
        assert_ne!(canonical_key(&b), canonical_key(&s));
        assert_eq!(canonical_key(&b), canonical_key(&b.clone()));
    }
}

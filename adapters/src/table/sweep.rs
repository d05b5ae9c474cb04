//! Deleting expired sessions where DynamoDB's TTL cannot: a table in
//! multi-Region strong consistency (MRSC) supports no TTL, so its expired
//! items stay until something deletes them.
//!
//! A sweep scans the table (or one segment of it) page by page, reading
//! only each item's key and `exp`, with a filter that passes the items
//! whose `exp` is before a cutoff (now minus a grace). Each of those is
//! then deleted with a DeleteItem on the same condition, so an item
//! touched since the scan (its `exp` moved forward) stays.
//!
//! Why deleting is safe, as DynamoDB's TTL is: the manager never loads a
//! record past its `exp`, so an expired item is dead weight, never a
//! session. A deleted key can only be taken again by a write that needs no
//! item there, a create (every other write is conditioned on the item's
//! version, which a missing item fails); the library sends a create at
//! most once per key, from a fresh random token, so no delayed copy of an
//! old create can bring the session back. Items without `exp` (a user's
//! generation, which must never go) fail the filter and the condition
//! alike.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::store::Operation;
use dynamodb_sessions_core::BackendError;

use super::attribute::{Attribute, Item};
use super::item::{EXP, SID};
use super::retry::{execute, Stop};
use super::session_table::{stop_error, SessionTable};
use super::wire::{Expression, Scan, Wire};

/// The settings of one [`sweep_expired`] call.
///
/// Built from [`SweepOptions::default`] with the methods named after the
/// fields (fields may be added in later versions):
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions::dynamodb::SweepOptions;
///
/// let options = SweepOptions::default()
///     .grace(Duration::from_secs(2 * 3600))
///     .segment(0, 4);
/// assert_eq!(options.page_size, 1000);
/// ```
///
/// [`sweep_expired`]: crate::dynamodb::DynamoDbBackendOn::sweep_expired
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepOptions {
    /// How long past its `exp` an item must be before it is deleted.
    /// Default 1 hour: far more than the clock skew between the servers
    /// that write sessions and the one that sweeps, so that no server still
    /// takes for live what the sweeper deletes. The only cost is storage:
    /// expired items stay an hour longer.
    pub grace: Duration,
    /// How many items one Scan request reads at most (its `Limit`, counted
    /// before the filter). Default 1000: a page then stays far under
    /// DynamoDB's 1 MB per Scan and under the attempt timeout, and at most
    /// that many deletes follow one page. 0 is taken as 1.
    pub page_size: u32,
    /// How many pages this call scans at most; `None` (the default) scans
    /// to the end. A call that stops early gives a
    /// [`SweepReport::resume`] to start the next call from: a way to
    /// spread a sweep over time.
    pub max_pages: Option<u32>,
    /// The part of the table this call scans, as `(segment, total)`: a
    /// parallel scan, one call per segment (on as many threads or
    /// processes), the segments together covering the table exactly once.
    /// `None` (the default): the whole table. `total` must be 1 to
    /// 1,000,000 and `segment` below it.
    pub segment: Option<(u32, u32)>,
    /// Where to start: the [`SweepReport::resume`] of a call that stopped
    /// at [`max_pages`](Self::max_pages), with the same segment. `None`
    /// (the default): from the beginning.
    pub resume: Option<SweepCursor>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            grace: Duration::from_secs(3600),
            page_size: 1000,
            max_pages: None,
            segment: None,
            resume: None,
        }
    }
}

impl SweepOptions {
    /// These options with [`grace`](Self::grace) set.
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// These options with [`page_size`](Self::page_size) set.
    #[must_use]
    pub fn page_size(mut self, items: u32) -> Self {
        self.page_size = items;
        self
    }

    /// These options with [`max_pages`](Self::max_pages) set.
    #[must_use]
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// These options scanning segment `segment` of `total` (see
    /// [`segment`](Self::segment)).
    #[must_use]
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.segment = Some((segment, total));
        self
    }

    /// These options starting where `cursor` says (see
    /// [`resume`](Self::resume)).
    #[must_use]
    pub fn resume(mut self, cursor: SweepCursor) -> Self {
        self.resume = Some(cursor);
        self
    }

    /// The segment, checked against DynamoDB's limits.
    fn checked_segment(&self) -> Result<Option<(u32, u32)>, BackendError> {
        match self.segment {
            Some((segment, total)) if !(1..=1_000_000).contains(&total) || segment >= total => {
                Err(BackendError::Rejected {
                    operation: Operation::Sweep,
                    source: format!(
                        "segment {segment} of {total}: the total must be 1 to 1000000 and the \
                         segment below it"
                    )
                    .into(),
                })
            }
            segment => Ok(segment),
        }
    }
}

/// Where a sweep stopped, to start the next call from
/// ([`SweepOptions::resume`]). It holds a storage key, so its `Debug`
/// shows none of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SweepCursor(Vec<u8>);

impl fmt::Debug for SweepCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SweepCursor(..)")
    }
}

/// What one sweep did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SweepReport {
    /// The cutoff, in unix seconds: items whose `exp` was before it were
    /// deleted.
    pub cutoff: i64,
    /// Scan requests made.
    pub pages: u32,
    /// Items the scan read, expired or not (DynamoDB's `ScannedCount`,
    /// what the scan's read units are charged on).
    pub scanned: u64,
    /// Items deleted.
    pub deleted: u64,
    /// Items found expired by the scan but not deleted: their `exp` had
    /// moved past the cutoff by the time of the delete (the session was
    /// used meanwhile), or they were gone already.
    pub kept: u64,
    /// Read capacity units the scan consumed, as DynamoDB reported them
    /// (`None` when it reported none).
    pub read_units: Option<f64>,
    /// Write capacity units the deletes consumed, as DynamoDB reported
    /// them for those that succeeded (`None` when it reported none). A
    /// delete whose condition failed is charged too (at least one unit)
    /// but reports nothing.
    pub write_units: Option<f64>,
    /// Where to start the next call when this one stopped at
    /// [`SweepOptions::max_pages`] before the end; `None` when it reached
    /// the end.
    pub resume: Option<SweepCursor>,
}

impl SweepReport {
    fn starting(cutoff: i64) -> Self {
        SweepReport {
            cutoff,
            pages: 0,
            scanned: 0,
            deleted: 0,
            kept: 0,
            read_units: None,
            write_units: None,
            resume: None,
        }
    }
}

/// Adds `units` to `total`, which stays `None` until some are reported.
fn add_units(total: &mut Option<f64>, units: Option<f64>) {
    if let Some(units) = units {
        *total = Some(total.unwrap_or(0.0) + units);
    }
}

/// `exp < :cutoff`; with `with_key`, the name of `sid` too, for a
/// projection beside the filter (DynamoDB refuses names a request does not
/// use).
fn expired_before<A: Attribute>(cutoff: i64, with_key: bool) -> Expression<A> {
    let mut names = HashMap::from([(format!("#{EXP}"), EXP.to_owned())]);
    if with_key {
        names.insert(format!("#{SID}"), SID.to_owned());
    }
    Expression {
        condition: format!("#{EXP} < :cutoff"),
        names,
        values: Item::from([(":cutoff".to_owned(), A::number(cutoff))]),
    }
}

impl<W: Wire> SessionTable<W> {
    /// Deletes the items whose `exp` is before `now` minus the grace, as
    /// the module says. Each request runs under its own deadline and retry
    /// policy; the first error ends the sweep (what was deleted stays
    /// deleted: sweeping again carries on).
    pub(crate) async fn sweep(
        &self,
        options: &SweepOptions,
        now: i64,
    ) -> Result<SweepReport, BackendError> {
        let operation = Operation::Sweep;
        let segment = options.checked_segment()?;
        let grace = i64::try_from(options.grace.as_secs()).unwrap_or(i64::MAX);
        let cutoff = now.saturating_sub(grace);
        let condition = expired_before(cutoff, false);
        let mut scan = Scan {
            filter: expired_before(cutoff, true),
            projection: format!("#{SID}, #{EXP}"),
            start: options
                .resume
                .as_ref()
                .map(|cursor| key_of_bytes(&cursor.0)),
            limit: options.page_size.max(1),
            segment,
        };
        let mut report = SweepReport::starting(cutoff);
        loop {
            if options.max_pages.is_some_and(|max| report.pages >= max) {
                report.resume = scan.start.as_ref().map(cursor_of).transpose()?;
                return Ok(report);
            }
            let page = execute(&self.retry, operation, self.retry.deadline(), || {
                self.wire.scan(&self.name, &scan)
            })
            .await
            .map_err(|stop| stop_error(operation, stop))?;
            report.pages += 1;
            report.scanned += page.scanned;
            add_units(&mut report.read_units, page.read_units);
            for item in &page.items {
                let Some(key) = item.get(SID).and_then(Attribute::as_binary) else {
                    continue;
                };
                let key = key_of_bytes(key);
                match self.delete_expired(key, &condition).await? {
                    Deleted::Yes(units) => {
                        report.deleted += 1;
                        add_units(&mut report.write_units, units);
                    }
                    Deleted::No => report.kept += 1,
                }
            }
            log::debug!(
                "session sweep: page {}, {} scanned, {} deleted, {} kept so far",
                report.pages,
                report.scanned,
                report.deleted,
                report.kept
            );
            match page.next {
                Some(next) if !next.is_empty() => scan.start = Some(next),
                _ => return Ok(report),
            }
        }
    }

    /// One conditional delete, retried under its own deadline. After an
    /// attempt whose answer was lost, a failed condition may be our own
    /// delete: the key, read strongly, tells (gone: deleted).
    async fn delete_expired(
        &self,
        key: Item<W::Value>,
        condition: &Expression<W::Value>,
    ) -> Result<Deleted, BackendError> {
        let operation = Operation::Sweep;
        let deadline: Instant = self.retry.deadline();
        let sent = execute(&self.retry, operation, deadline, || {
            self.wire.delete_item(&self.name, key.clone(), condition)
        })
        .await;
        match sent {
            Ok(units) => Ok(Deleted::Yes(units)),
            Err(Stop::ConditionFailed { ambiguous: false }) => Ok(Deleted::No),
            Err(Stop::ConditionFailed { ambiguous: true }) => {
                let stored = execute(&self.retry, operation, deadline, || {
                    self.wire.get_item(&self.name, key.clone(), true)
                })
                .await
                .map_err(|stop| stop_error(operation, stop))?;
                Ok(match stored {
                    None => Deleted::Yes(None),
                    Some(_) => Deleted::No,
                })
            }
            Err(Stop::Error(error) | Stop::MaybeApplied(error)) => Err(error),
        }
    }
}

/// What one conditional delete did.
enum Deleted {
    /// Deleted, with the write units DynamoDB reported.
    Yes(Option<f64>),
    /// Kept: the condition failed.
    No,
}

/// The key item of the table's key `bytes`: a session's 32 bytes (or, were
/// one ever to pass the filter, a generation item's 33).
fn key_of_bytes<A: Attribute>(bytes: &[u8]) -> Item<A> {
    Item::from([(SID.to_owned(), A::binary(bytes))])
}

/// The cursor of a scan's `LastEvaluatedKey`.
fn cursor_of<A: Attribute>(key: &Item<A>) -> Result<SweepCursor, BackendError> {
    key.get(SID)
        .and_then(Attribute::as_binary)
        .map(|bytes| SweepCursor(bytes.to_vec()))
        .ok_or(BackendError::Rejected {
            operation: Operation::Sweep,
            source: "a scan page ended at a key without a binary `sid`".into(),
        })
}

/// The unix time now, in seconds, on this machine's clock.
pub(crate) fn unix_now() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::super::attribute::TestValue;
    use super::super::failure::Failure;
    use super::super::retry::RetryConfig;
    use super::super::transaction::{ConditionsFailed, TransactWrite};
    use super::super::wire::{Page, ScanPage};
    use super::*;

    type Table = BTreeMap<Vec<u8>, Item<TestValue>>;
    /// What runs before each delete.
    type Hook = Box<dyn FnMut(&mut Table) + Send>;

    /// A table in memory that evaluates the sweep's filter and condition,
    /// with a hook run before each delete (a request landing between the
    /// scan and the delete) and deletes whose answer is lost.
    #[derive(Default)]
    struct FakeWire {
        items: Mutex<Table>,
        before_delete: Mutex<Option<Hook>>,
        lose_delete_answers: Mutex<u32>,
        scans: Mutex<u32>,
    }

    fn cutoff_of(expression: &Expression<TestValue>) -> i64 {
        match &expression.values[":cutoff"] {
            TestValue::N(text) => text.parse().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn expired(item: &Item<TestValue>, cutoff: i64) -> bool {
        matches!(item.get(EXP), Some(TestValue::N(exp)) if exp.parse::<i64>().unwrap() < cutoff)
    }

    fn key_bytes(key: &Item<TestValue>) -> Vec<u8> {
        key[SID].as_binary().unwrap().to_vec()
    }

    impl Wire for FakeWire {
        type Value = TestValue;

        async fn get_item(
            &self,
            _: &str,
            key: Item<TestValue>,
            _: bool,
        ) -> Result<Option<Item<TestValue>>, Failure> {
            Ok(self.items.lock().unwrap().get(&key_bytes(&key)).cloned())
        }

        async fn put_item(
            &self,
            _: &str,
            _: Item<TestValue>,
            _: &Expression<TestValue>,
        ) -> Result<(), Failure> {
            unreachable!("a sweep never puts")
        }

        async fn update_item(
            &self,
            _: &str,
            _: Item<TestValue>,
            _: &str,
            _: &Expression<TestValue>,
        ) -> Result<(), Failure> {
            unreachable!("a sweep never updates")
        }

        async fn transact_write(
            &self,
            _: &str,
            _: Vec<TransactWrite<TestValue>>,
            _: &str,
        ) -> Result<Result<(), ConditionsFailed>, Failure> {
            unreachable!("a sweep sends no transaction")
        }

        async fn query(
            &self,
            _: &str,
            _: &str,
            _: &Expression<TestValue>,
            _: Option<Item<TestValue>>,
        ) -> Result<Option<Page<TestValue>>, Failure> {
            unreachable!("a sweep never queries")
        }

        async fn scan(
            &self,
            _: &str,
            scan: &Scan<TestValue>,
        ) -> Result<ScanPage<TestValue>, Failure> {
            *self.scans.lock().unwrap() += 1;
            assert_eq!(scan.projection, "#sid, #exp");
            let cutoff = cutoff_of(&scan.filter);
            let items = self.items.lock().unwrap();
            let after = scan.start.as_ref().map(key_bytes);
            let read: Vec<(&Vec<u8>, &Item<TestValue>)> = items
                .iter()
                .filter(|(key, _)| after.as_ref().is_none_or(|after| *key > after))
                .filter(|(key, _)| {
                    scan.segment
                        .is_none_or(|(segment, total)| u32::from(key[0]) % total == segment)
                })
                .take(scan.limit as usize)
                .collect();
            let last = read.last().map(|(key, _)| (*key).clone());
            let more = last.as_ref().is_some_and(|last| {
                items.keys().any(|key| key > last) && read.len() == scan.limit as usize
            });
            Ok(ScanPage {
                scanned: read.len() as u64,
                items: read
                    .iter()
                    .filter(|(_, item)| expired(item, cutoff))
                    .map(|(key, item)| {
                        Item::from([
                            (SID.to_owned(), TestValue::B((*key).clone())),
                            (EXP.to_owned(), item[EXP].clone()),
                        ])
                    })
                    .collect(),
                next: more.then(|| key_of_bytes(&last.unwrap())),
                read_units: Some(0.5),
            })
        }

        async fn delete_item(
            &self,
            _: &str,
            key: Item<TestValue>,
            condition: &Expression<TestValue>,
        ) -> Result<Option<f64>, Failure> {
            assert!(!condition.names.contains_key("#sid"), "unused name");
            let mut items = self.items.lock().unwrap();
            if let Some(hook) = self.before_delete.lock().unwrap().as_mut() {
                hook(&mut items);
            }
            let key = key_bytes(&key);
            let holds = items
                .get(&key)
                .is_some_and(|item| expired(item, cutoff_of(condition)));
            if !holds {
                return Err(Failure::ConditionFailed);
            }
            items.remove(&key);
            let mut lose = self.lose_delete_answers.lock().unwrap();
            if *lose > 0 {
                *lose -= 1;
                return Err(Failure::Transient("answer lost".into()));
            }
            Ok(Some(1.0))
        }
    }

    const NOW: i64 = 1_000_000;

    fn session(exp: i64) -> Item<TestValue> {
        Item::from([
            ("ver".to_owned(), TestValue::N("1".to_owned())),
            (EXP.to_owned(), TestValue::N(exp.to_string())),
            ("dat".to_owned(), TestValue::B(vec![0xa0])),
        ])
    }

    fn generation() -> Item<TestValue> {
        Item::from([("gen".to_owned(), TestValue::N("3".to_owned()))])
    }

    fn table(items: Table) -> SessionTable<FakeWire> {
        SessionTable {
            wire: FakeWire {
                items: Mutex::new(items),
                ..FakeWire::default()
            },
            name: "sessions".to_owned(),
            retry: RetryConfig::DEFAULT.base_delay(Duration::from_millis(1)),
            check_item_size: true,
            mode: Default::default(),
        }
    }

    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    fn keys(table: &SessionTable<FakeWire>) -> Vec<Vec<u8>> {
        table.wire.items.lock().unwrap().keys().cloned().collect()
    }

    #[test]
    fn expired_past_the_grace_go_the_rest_stays() {
        let hour = 3600;
        let items = Table::from([
            (vec![1; 32], session(NOW - hour - 10)), // expired past the grace
            (vec![2; 32], session(NOW - 10)),        // expired, within the grace
            (vec![3; 32], session(NOW + hour)),      // live
            (vec![4; 33], generation()),             // a user's generation
        ]);
        let table = table(items);
        let report = run(table.sweep(&SweepOptions::default(), NOW)).unwrap();
        assert_eq!(keys(&table), vec![vec![2; 32], vec![3; 32], vec![4; 33]]);
        assert_eq!(report.cutoff, NOW - hour);
        assert_eq!((report.scanned, report.deleted, report.kept), (4, 1, 0));
        assert_eq!(report.pages, 1);
        assert_eq!(report.read_units, Some(0.5));
        assert_eq!(report.write_units, Some(1.0));
        assert_eq!(report.resume, None);
    }

    #[test]
    fn a_session_touched_between_scan_and_delete_stays() {
        let table = table(Table::from([
            (vec![1; 32], session(NOW - 7200)),
            (vec![2; 32], session(NOW - 7200)),
        ]));
        *table.wire.before_delete.lock().unwrap() = Some(Box::new(|items: &mut Table| {
            // A touch of the first session, after the scan read it.
            if let Some(item) = items.get_mut(&vec![1; 32]) {
                item.insert(EXP.to_owned(), TestValue::N((NOW + 3600).to_string()));
            }
        }));
        let report = run(table.sweep(&SweepOptions::default(), NOW)).unwrap();
        assert_eq!(keys(&table), vec![vec![1; 32]]);
        assert_eq!((report.deleted, report.kept), (1, 1));
    }

    #[test]
    fn a_lost_answer_is_settled_by_reading_the_key() {
        let table = table(Table::from([(vec![1; 32], session(NOW - 7200))]));
        *table.wire.lose_delete_answers.lock().unwrap() = 1;
        let report = run(table.sweep(&SweepOptions::default(), NOW)).unwrap();
        assert!(keys(&table).is_empty());
        assert_eq!((report.deleted, report.kept), (1, 0));
    }

    #[test]
    fn pages_resume_and_segments_cover_the_table_once() {
        let items: Table = (0..50u8)
            .map(|n| (vec![n; 32], session(NOW - 7200 + i64::from(n % 2) * 9000)))
            .collect();
        let expired = items
            .values()
            .filter(|item| expired(item, NOW - 3600))
            .count();
        // Two pages at a time until the end.
        let paged = table(items.clone());
        let mut options = SweepOptions::default().page_size(7).max_pages(2);
        let mut total = SweepReport::starting(0);
        loop {
            let report = run(paged.sweep(&options, NOW)).unwrap();
            assert!(report.pages <= 2);
            total.pages += report.pages;
            total.scanned += report.scanned;
            total.deleted += report.deleted;
            match report.resume {
                Some(cursor) => options = options.resume(cursor),
                None => break,
            }
        }
        assert_eq!(total.scanned, 50);
        assert_eq!(total.deleted, expired as u64);
        assert_eq!(total.pages, 8);
        // Three segments, each swept alone.
        let segmented = table(items);
        let mut scanned = 0;
        let mut deleted = 0;
        for segment in 0..3 {
            let options = SweepOptions::default().page_size(4).segment(segment, 3);
            let report = run(segmented.sweep(&options, NOW)).unwrap();
            scanned += report.scanned;
            deleted += report.deleted;
        }
        assert_eq!((scanned, deleted), (50, expired as u64));
        assert_eq!(keys(&segmented).len(), 50 - expired);
    }

    #[test]
    fn a_bad_segment_is_refused_before_any_request() {
        for (segment, total) in [(3, 3), (0, 0), (0, 1_000_001)] {
            let table = table(Table::new());
            let options = SweepOptions::default().segment(segment, total);
            match run(table.sweep(&options, NOW)) {
                Err(BackendError::Rejected {
                    operation: Operation::Sweep,
                    ..
                }) => {}
                other => panic!("{other:?}"),
            }
            assert_eq!(*table.wire.scans.lock().unwrap(), 0);
        }
    }

    #[test]
    fn a_cursor_shows_no_key() {
        assert_eq!(
            format!("{:?}", SweepCursor(vec![0x41; 32])),
            "SweepCursor(..)"
        );
    }
}

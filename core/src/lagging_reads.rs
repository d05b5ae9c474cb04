//! A wrapper whose eventually consistent reads lag behind, on any backend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::forward::Forward;
use crate::users::{AdvanceOutcome, Keep, UserRef, UserSessions};
use crate::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

/// Whether eventually consistent loads see a lagging replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleReads {
    /// Every load is current. The default, as for a store that is read
    /// where it is written.
    #[default]
    Off,
    /// Eventually consistent loads return each record as it was before its
    /// last write made in this mode (nothing, for a record created in it),
    /// the way a lagging DynamoDB replica can; records last written outside
    /// the mode read as they are. Strong loads are always current.
    On,
}

/// Wraps any backend and makes its eventually consistent reads lag behind
/// its writes, as [`StaleReads`] says (on from the start): to test the
/// read-your-writes fallback on stores whose eventual reads are never
/// stale, such as the memory backend or DynamoDB Local.
///
/// Before each write in stale mode it reads the record strongly from the
/// wrapped backend; once the write is applied, eventual reads of the key
/// return that earlier state while the mode is on. A write applied outside
/// the mode lets the replica catch up. Only writes made through the
/// wrapper lag.
///
/// The read before a write and the write are two calls, so concurrent
/// writes of one key through the wrapper may leave an older state as the
/// lagging one: write each key from one thread at a time, as the
/// conformance cases and the checker do.
///
/// ```
/// use dynamodb_sessions::MemoryBackend;
/// use dynamodb_sessions_core::store::{Backend, Consistency, LoadOutcome, Record, StoredData, Token};
/// use dynamodb_sessions_core::testing::{LaggingReads, StaleReads};
///
/// let backend = LaggingReads::new(MemoryBackend::new());
/// let key = Token::generate()?.storage_key();
/// let record = Record::new(1, 0, 1200, StoredData::Cbor(vec![0xa0]));
/// let _ = backend.create(&key, &record)?;
/// assert_eq!(backend.load(&key, Consistency::Eventual)?, LoadOutcome::Missing);
/// assert_eq!(backend.load(&key, Consistency::Strong)?, LoadOutcome::Live(record.clone()));
/// backend.set_stale_reads(StaleReads::Off);
/// assert_eq!(backend.load(&key, Consistency::Eventual)?, LoadOutcome::Live(record));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LaggingReads<B> {
    inner: B,
    stale: AtomicBool,
    /// What eventual reads return, for each key last written in stale mode.
    before_last_write: Mutex<HashMap<StorageKey, LoadOutcome>>,
}

impl<B: Backend> LaggingReads<B> {
    /// Wraps `inner`, with stale reads [on](StaleReads::On).
    pub fn new(inner: B) -> Self {
        LaggingReads {
            inner,
            stale: AtomicBool::new(true),
            before_last_write: Mutex::new(HashMap::new()),
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// Turns lagging replicas on or off; see [`StaleReads`].
    pub fn set_stale_reads(&self, mode: StaleReads) {
        self.stale.store(mode == StaleReads::On, Ordering::SeqCst);
    }

    /// Runs a write of `key`; once it is applied, eventual reads show the
    /// key as it was before (stale mode) or as it is (otherwise). A write
    /// not applied changes nothing, as it does not on a replica.
    fn write<T>(
        &self,
        key: &StorageKey,
        call: impl FnOnce() -> Result<T, BackendError>,
        applied: impl FnOnce(&T) -> bool,
    ) -> Result<T, BackendError> {
        // A record the wrapped store cannot read (a corrupt item) has no
        // earlier state to show: its replica is taken as caught up.
        let before = match self.stale.load(Ordering::SeqCst) {
            true => self.inner.load(key, Consistency::Strong).ok(),
            false => None,
        };
        let result = call();
        if result.as_ref().is_ok_and(applied) {
            let mut lagging = self.before_last_write.lock();
            match before {
                Some(before) => lagging.insert(*key, before),
                None => lagging.remove(key),
            };
        }
        result
    }
}

/// Eventual loads may answer from before the last write; writes note
/// what they replace. An advance that keeps a record is a write of that
/// record, after which eventual reads of it lag as after any other; the
/// user calls themselves read strongly, and the listing does not lag here.
impl<B: Backend> Forward for LaggingReads<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        if consistency == Consistency::Eventual && self.stale.load(Ordering::SeqCst) {
            if let Some(before) = self.before_last_write.lock().get(key) {
                return Ok(before.clone());
            }
        }
        self.inner.load(key, consistency)
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.write(
            key,
            || self.inner.create(key, record),
            |outcome| *outcome == CreateOutcome::Created,
        )
    }

    fn forward_replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.write(
            key,
            || self.inner.replace(key, expected_version, record),
            |outcome| *outcome == ReplaceOutcome::Replaced,
        )
    }

    fn forward_touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.write(
            key,
            || {
                self.inner
                    .touch(key, expected_version, issued_at, expires_at)
            },
            |outcome| *outcome == TouchOutcome::Touched,
        )
    }

    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        self.write(
            key,
            || self.inner.end(key, tombstone),
            |outcome| *outcome == EndOutcome::Ended,
        )
    }

    fn forward_advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError>
    where
        B: UserSessions,
    {
        match keep {
            Some(kept) => self.write(
                kept.key,
                || self.inner.advance(user, expected, keep),
                |outcome| *outcome == AdvanceOutcome::Advanced,
            ),
            None => self.inner.advance(user, expected, None),
        }
    }
}

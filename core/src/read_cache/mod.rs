//! An opt-in, per-process cache of loaded records in front of any backend,
//! with concurrent loads of one key sharing one store call.

mod entries;
mod flights;
mod settings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::forward::Forward;
use crate::monotonic::{MonotonicClock, SystemMonotonicClock};
use crate::users::{AdvanceOutcome, Keep, UserRef, UserSessions};
use crate::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

use entries::{Entries, Ticket};
use flights::{Flight, Flights, Role};
pub use settings::{CacheSettings, Coalescing};

/// A [`Backend`] wrapper that answers eventually consistent loads from
/// records this process loaded or wrote less than
/// [`max_staleness`](CacheSettings::max_staleness) ago, so that a page
/// load's many read-only requests cost one store call instead of one each.
/// Off unless you wrap your backend in it:
///
/// ```
/// use dynamodb_sessions_core::{SessionConfig, SessionManager, cache::CacheSettings, cache::ReadCache};
/// use dynamodb_sessions::MemoryBackend; // or DynamoDbBackend
///
/// let manager = SessionManager::new(
///     ReadCache::new(MemoryBackend::new(), CacheSettings::DEFAULT),
///     SessionConfig::default(),
/// );
/// # let _ = manager;
/// ```
///
/// What it promises:
///
/// - **Bounded staleness.** A record is served from the cache only while
///   younger than `max_staleness`, counted from when the store call that
///   produced it was sent. A cache miss reads strongly consistent, so a
///   cached record is never older than that relative to the store: another
///   process's write or logout is seen here at most `max_staleness` late.
///   The same holds for a load answered by another load's store call: it
///   shares only a call sent less than `max_staleness` before it started
///   (see [`Coalescing`]).
/// - **Read-your-writes.** Strongly consistent loads never come from the
///   cache; they refresh it. The session layer reads strongly whenever the
///   cookie's version is newer than the record it got, or the record is
///   missing or looks expired, so a cookie from another process's write
///   always reaches the store.
/// - **Writes stay conditional.** Writes go to the store unchanged. A
///   stale cached record can make a commit a `Conflict`, never a lost
///   update.
/// - **This process's writes show at once.** A write's record replaces the
///   cached one when the store confirms it (`Created`, `Replaced`, `Ended`);
///   any other outcome or error drops it. A read sent before a write of the
///   same key started is never cached after it, so a logout through this
///   process is never undone by a read that was under way.
/// - **Expiry is not cached.** The session layer checks the idle and
///   absolute limits against its clock on every load, cached or not.
/// - **Bounded memory.** At most `max_entries` records and `max_bytes`
///   bytes; the oldest go first.
/// - **Bounded waiting.** With [`Coalescing::WaitUpTo`], a load of a key
///   already being loaded waits for that call at most the given time;
///   if the call fails or takes longer, it makes its own.
///
/// It keeps no thread and does no I/O of its own; time comes from a
/// [`MonotonicClock`] ([`with_clock`](Self::with_clock) takes one you drive
/// in tests).
pub struct ReadCache<B> {
    inner: B,
    settings: CacheSettings,
    clock: Box<dyn MonotonicClock>,
    entries: Mutex<Entries>,
    flights: Flights,
    counts: Counts,
}

#[derive(Debug, Default)]
struct Counts {
    hits: AtomicU64,
    shared: AtomicU64,
    store_loads: AtomicU64,
    waiting: AtomicU64,
}

/// What a [`ReadCache`] did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Eventually consistent loads answered from the cache.
    pub hits: u64,
    /// Loads answered by another load's store call (single flight).
    pub shared: u64,
    /// Loads the cache sent to the store (all strongly consistent).
    pub store_loads: u64,
    /// Loads waiting for another load's store call right now.
    pub waiting: u64,
    /// Records held now.
    pub entries: usize,
    /// Bytes held now, as [`CacheSettings::max_bytes`] counts them.
    pub bytes: usize,
}

impl<B: Backend> std::fmt::Debug for ReadCache<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("settings", &self.settings)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<B: Backend> ReadCache<B> {
    /// Caches loads of `inner` within `settings`, on the system's monotonic
    /// clock.
    pub fn new(inner: B, settings: CacheSettings) -> Self {
        Self::with_clock(inner, settings, SystemMonotonicClock::new())
    }

    /// Like [`new`](Self::new), timing staleness on `clock`, e.g. a
    /// [`ManualMonotonicClock`](crate::testing::ManualMonotonicClock) in
    /// tests.
    pub fn with_clock(
        inner: B,
        settings: CacheSettings,
        clock: impl MonotonicClock + 'static,
    ) -> Self {
        ReadCache {
            inner,
            settings,
            clock: Box::new(clock),
            entries: Mutex::new(Entries::new(settings)),
            flights: Flights::default(),
            counts: Counts::default(),
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The settings in use.
    pub fn settings(&self) -> &CacheSettings {
        &self.settings
    }

    /// What the cache did so far, and what it holds.
    pub fn stats(&self) -> CacheStats {
        let entries = self.entries.lock();
        CacheStats {
            hits: self.counts.hits.load(Ordering::Relaxed),
            shared: self.counts.shared.load(Ordering::Relaxed),
            store_loads: self.counts.store_loads.load(Ordering::Relaxed),
            waiting: self.counts.waiting.load(Ordering::Relaxed),
            entries: entries.len(),
            bytes: entries.bytes(),
        }
    }

    /// What the cache or the store holds under `key`: a strong load
    /// always asks the store; an eventual one is answered from memory when
    /// it can be.
    fn lookup(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        if consistency == Consistency::Strong {
            let ticket = self.entries.lock().ticket();
            return self.fetch(key, ticket);
        }
        let now = self.clock.elapsed();
        let cached = self.entries.lock().get(key, now);
        if let Some(record) = cached {
            self.counts.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(record));
        }
        match self.settings.coalescing {
            Coalescing::WaitUpTo(wait) => self.load_shared(key, now, wait),
            Coalescing::Off => {
                let ticket = self.entries.lock().ticket();
                self.fetch(key, ticket)
            }
        }
    }

    /// Reads `key` strongly from the store and caches the answer, unless
    /// this process wrote the key after `ticket`.
    fn fetch(&self, key: &StorageKey, ticket: Ticket) -> Result<Option<Record>, BackendError> {
        let sent_at = self.clock.elapsed();
        self.counts.store_loads.fetch_add(1, Ordering::Relaxed);
        let found = self.inner.load(key, Consistency::Strong)?.into_record();
        self.entries
            .lock()
            .fill(key, found.as_ref(), sent_at, ticket);
        Ok(found)
    }

    /// A miss at `now`: one store call, shared with concurrent loads of the
    /// key.
    fn load_shared(
        &self,
        key: &StorageKey,
        now: Duration,
        wait: Duration,
    ) -> Result<Option<Record>, BackendError> {
        let role = self.flights.join_or_lead(
            key,
            now,
            || self.entries.lock().ticket(),
            |flight| {
                // A call sent `max_staleness` or more before this load
                // started may answer a state replaced that long ago: like
                // a cached record that old, its answer is past the bound.
                now.saturating_sub(flight.sent_at) < self.settings.max_staleness
                    // A call sent before this process wrote the key may
                    // answer what the write replaced: do not hand that to
                    // a later load.
                    && self.entries.lock().unwritten_since(key, flight.ticket)
            },
        );
        match role {
            Role::Wait(flight) => {
                let answer = self.wait_for(&flight, wait);
                let entries = self.entries.lock();
                // Not an answer sent before a write of the key that this
                // process finished meanwhile (a logout, say).
                match answer.filter(|_| entries.unwritten_since(key, flight.ticket)) {
                    Some(found) => {
                        self.counts.shared.fetch_add(1, Ordering::Relaxed);
                        Ok(found)
                    }
                    None => {
                        let ticket = entries.ticket();
                        drop(entries);
                        self.fetch(key, ticket)
                    }
                }
            }
            Role::Lead(leader) => {
                let result = self.fetch(key, leader.ticket());
                leader.settle(result.as_ref().ok().cloned());
                result
            }
        }
    }

    fn wait_for(&self, flight: &Flight, wait: Duration) -> Option<Option<Record>> {
        self.counts.waiting.fetch_add(1, Ordering::Relaxed);
        let answer = flight.wait(flights::deadline(wait));
        self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
        answer
    }

    /// Runs a write through to the store, dropping the key's record while
    /// it is under way; caches `record` once the store confirms it was
    /// written (`applied`).
    fn write<T>(
        &self,
        key: &StorageKey,
        record: Option<&Record>,
        call: impl FnOnce() -> Result<T, BackendError>,
        applied: impl FnOnce(&T) -> bool,
    ) -> Result<T, BackendError> {
        let sent_at = self.clock.elapsed();
        let ticket = {
            let mut entries = self.entries.lock();
            entries.written(key);
            entries.ticket()
        };
        let result = call();
        let mut entries = self.entries.lock();
        // Another write of the key overlapping this one (a logout, say)
        // may have been applied after it: then this result is no longer
        // the key's state.
        let alone = entries.unwritten_since(key, ticket);
        entries.written(key);
        if let (Some(record), Ok(outcome), true) = (record, &result, alone) {
            if applied(outcome) {
                entries.put(key, record, sent_at);
            }
        }
        result
    }
}

/// Loads are answered from the cache within its bound; writes go through
/// and keep the cache current. Users' calls pass through uncached: a cached
/// record of a session with a user is always followed by a strong read of
/// the user's generation and the record, so an ended user session is never
/// loaded from the cache, not even within `max_staleness`. A record an
/// advance keeps is written through like any other write.
impl<B: Backend> Forward for ReadCache<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.lookup(key, consistency).map(LoadOutcome::from_stored)
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.write(
            key,
            Some(record),
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
            Some(record),
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
        // A touch does not tell the whole record: the next load reads it.
        self.write(
            key,
            None,
            || {
                self.inner
                    .touch(key, expected_version, issued_at, expires_at)
            },
            |_| false,
        )
    }

    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        self.write(
            key,
            Some(tombstone),
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
                Some(kept.record),
                || self.inner.advance(user, expected, keep),
                |outcome| *outcome == AdvanceOutcome::Advanced,
            ),
            None => self.inner.advance(user, expected, None),
        }
    }
}

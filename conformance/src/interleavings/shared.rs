//! What the main thread, the request threads and the fault layer share: the
//! scheduler, the seeded random source, the names of storage keys, the
//! writes held back in the network, and the log of events the checker reads
//! after every step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use dynamodb_sessions_core::store::{
    Backend, CreateOutcome, EndOutcome, Operation, ReplaceOutcome, StorageKey, TouchOutcome,
};
use dynamodb_sessions_core::users::{AdvanceOutcome, UserRef};

use super::faulty::{Call, FaultRates, WireFaults};
use super::rng::SimRng;
use super::scheduler::{ActorId, Scheduler};
use super::store::{KeyId, RecordView, Stored, Tag};
use super::users::{self, EndKind, UserIndex};

/// A request's number within its schedule (`r1`, `r2`, … in the trace).
pub(crate) type RequestId = ActorId;

/// Locks, ignoring poisoning: a panicking request is reported as such, and
/// the checker must still be able to read what it left.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Short, stable names for storage keys, in order of first sight.
#[derive(Debug, Default)]
pub(crate) struct KeyNames {
    ids: HashMap<StorageKey, KeyId>,
    keys: Vec<StorageKey>,
}

impl KeyNames {
    /// The key's number, given one if new (from 1).
    pub(crate) fn id(&mut self, key: &StorageKey) -> KeyId {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        self.keys.push(*key);
        let id = self.keys.len();
        self.ids.insert(*key, id);
        id
    }

    /// The key behind a number.
    pub(crate) fn key(&self, id: KeyId) -> Option<StorageKey> {
        id.checked_sub(1).and_then(|i| self.keys.get(i)).copied()
    }
}

/// What a write call asked for, as far as the checks need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteSpec {
    /// `create` of a record carrying `tag`.
    Create { tag: Option<Tag> },
    /// `replace` at `expected` with a record carrying `tag`, or a tombstone
    /// (a login's, naming `successor`).
    Replace {
        expected: u64,
        tag: Option<Tag>,
        tombstone: bool,
        successor: Option<StorageKey>,
    },
    /// `touch` at `expected`, setting `iss` (only forward) and `exp`.
    Touch {
        expected: u64,
        issued_at: i64,
        expires_at: i64,
    },
    /// `end` (logout, the undo of a conflicting login, or ending one of a
    /// user's sessions).
    End,
    /// `advance` of a user's generation, replacing the kept record (at
    /// `expected`, with `tag`) in the same write when there is one.
    Advance { kept: Option<(u64, Option<Tag>)> },
}

impl WriteSpec {
    /// The call's name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            WriteSpec::Create { .. } => "create",
            WriteSpec::Replace {
                tombstone: true, ..
            } => "replace with a tombstone",
            WriteSpec::Replace { .. } => "replace",
            WriteSpec::Touch { .. } => "touch",
            WriteSpec::End => "end",
            WriteSpec::Advance { kept: None } => "advance",
            WriteSpec::Advance { kept: Some(_) } => "advance keeping a record",
        }
    }
}

/// A call's successful answer, without the record a load returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Loaded,
    Created(CreateOutcome),
    Replaced(ReplaceOutcome),
    Touched(TouchOutcome),
    Ended(EndOutcome),
    /// A user's generation, then the record, read strongly.
    Checked,
    Generation(u64),
    Advanced(AdvanceOutcome),
    /// A user's listing, with this many entries.
    Listed(usize),
}

impl Done {
    /// Whether this answer says the write happened.
    pub(crate) fn wrote(self) -> bool {
        matches!(
            self,
            Done::Created(CreateOutcome::Created)
                | Done::Replaced(ReplaceOutcome::Replaced)
                | Done::Touched(TouchOutcome::Touched)
                | Done::Ended(EndOutcome::Ended)
                | Done::Advanced(AdvanceOutcome::Advanced)
        )
    }
}

/// A call that reached the store under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallRecord {
    pub(crate) request: RequestId,
    pub(crate) operation: Operation,
    /// The session key it reads or writes; `None` for a call about a user
    /// alone (its generation, its listing).
    pub(crate) key: Option<KeyId>,
    /// `None` for a load.
    pub(crate) write: Option<WriteSpec>,
    /// The store's answer (an error as text).
    pub(crate) answer: Result<Done, String>,
    /// Whether the manager got this answer (not when it was lost, or when
    /// this is a late duplicate).
    pub(crate) told: bool,
    /// For an `end`: what was under the key right before it.
    pub(crate) before: Option<Stored>,
    pub(crate) elapsed: Duration,
}

/// How a request's commit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Conflict,
    Expired,
    /// A store error: the write may or may not have been applied.
    Backend(String),
    Other(String),
}

impl Outcome {
    /// The name counted in the statistics.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Conflict => "conflict",
            Outcome::Expired => "expired",
            Outcome::Backend(_) => "store error",
            Outcome::Other(_) => "other error",
        }
    }
}

/// Something that happened during a step, for the checker.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A line for the trace.
    Trace {
        request: Option<RequestId>,
        line: String,
    },
    /// A fault was injected.
    Fault { kind: &'static str },
    /// A call reached the store under test.
    Call(CallRecord),
    /// What an `end` found under its key right before it was applied.
    EndFound { request: RequestId, found: Stored },
    /// A load handed this record to the manager: from the store (then
    /// `strong` says how it read), or from the read cache (`cached`).
    Loaded {
        request: RequestId,
        key: KeyId,
        record: RecordView,
        strong: bool,
        cached: Option<Cached>,
    },
    /// The handler read its session: the tag and counter it found, if any.
    Saw {
        request: RequestId,
        tag: Option<Tag>,
        n: Option<u64>,
        now: i64,
    },
    /// The handler could not load its session (the request fails).
    LoadFailed { request: RequestId },
    /// The handler is about to commit the write tagged `tag`.
    Intent {
        request: RequestId,
        tag: Tag,
        parent: Option<Tag>,
        n: u64,
        now: i64,
    },
    /// With users: the handler starts loading its session (the step of
    /// this event is when the load started).
    Loading { request: RequestId },
    /// With users: whom `Session::user()` named after the load.
    UserSeen {
        request: RequestId,
        user: Option<UserIndex>,
    },
    /// `Session::set_user` returned `Ok`: a login as `user`.
    LoggedInAs { request: RequestId, user: UserIndex },
    /// A call ending users' sessions starts.
    EndStarted { request: RequestId },
    /// A call ending users' sessions returned (`Ok`, or the error as text).
    EndReturned {
        request: RequestId,
        kind: EndKind,
        result: Result<(), String>,
    },
    /// A commit returned.
    Committed {
        request: RequestId,
        outcome: Outcome,
        set_cookie: Option<String>,
    },
}

/// A load the read cache answered without a store call of the request's
/// own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cached {
    /// The clock when the load started: what it hands out is judged
    /// against the staleness bound at that time.
    pub(crate) started: i64,
    /// Whether another load's store call answered it (single flight),
    /// rather than a cached record.
    pub(crate) shared: bool,
}

/// A write held back in the network, to reach the store at a later step.
pub(crate) struct LateCall {
    pub(crate) request: RequestId,
    pub(crate) call: Call,
    /// The first step at which it may arrive.
    pub(crate) due: u64,
}

/// Everything a schedule's threads share.
pub(crate) struct Env {
    pub(crate) scheduler: Arc<Scheduler>,
    rng: Mutex<SimRng>,
    keys: Mutex<KeyNames>,
    events: Mutex<Vec<Event>>,
    late: Mutex<Vec<LateCall>>,
    pub(crate) rates: FaultRates,
    pub(crate) wire: Option<Arc<dyn WireFaults>>,
    /// The store read directly (not through the fault layer or any proxy).
    pub(crate) observer: Arc<dyn Backend>,
    /// The clock's start, so that the trace shows small times.
    pub(crate) start: i64,
    /// The users' pseudonyms, by number.
    pub(crate) user_refs: [UserRef; 2],
}

impl Env {
    pub(crate) fn new(
        seed: u64,
        rates: FaultRates,
        wire: Option<Arc<dyn WireFaults>>,
        observer: Arc<dyn Backend>,
        start: i64,
    ) -> Self {
        Env {
            scheduler: Arc::new(Scheduler::default()),
            rng: Mutex::new(SimRng::new(seed)),
            keys: Mutex::new(KeyNames::default()),
            events: Mutex::new(Vec::new()),
            late: Mutex::new(Vec::new()),
            rates,
            wire,
            observer,
            start,
            user_refs: users::user_refs(seed),
        }
    }

    /// A user's name for the trace: `u0`, `u1`, or `u?`.
    pub(crate) fn user_name(&self, user: &UserRef) -> String {
        match self.user_refs.iter().position(|known| known == user) {
            Some(index) => format!("u{index}"),
            None => "u?".to_owned(),
        }
    }

    /// Draws from the schedule's random source. Only one thread runs at a
    /// time, so the draws happen in the same order on every replay.
    pub(crate) fn roll<R>(&self, draw: impl FnOnce(&mut SimRng) -> R) -> R {
        draw(&mut lock(&self.rng))
    }

    pub(crate) fn key_id(&self, key: &StorageKey) -> KeyId {
        lock(&self.keys).id(key)
    }

    pub(crate) fn key(&self, id: KeyId) -> Option<StorageKey> {
        lock(&self.keys).key(id)
    }

    pub(crate) fn push(&self, event: Event) {
        lock(&self.events).push(event);
    }

    pub(crate) fn trace(&self, request: Option<RequestId>, line: String) {
        self.push(Event::Trace { request, line });
    }

    pub(crate) fn fault(&self, kind: &'static str) {
        self.push(Event::Fault { kind });
    }

    /// Everything logged since the last call.
    pub(crate) fn drain(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.events))
    }

    pub(crate) fn hold_back(&self, late: LateCall) {
        lock(&self.late).push(late);
    }

    /// The held-back writes' due steps, in the order they were held back.
    pub(crate) fn late_due(&self) -> Vec<u64> {
        lock(&self.late).iter().map(|late| late.due).collect()
    }

    /// Takes the `index`th held-back write out of the network.
    pub(crate) fn take_late(&self, index: usize) -> LateCall {
        lock(&self.late).remove(index)
    }
}

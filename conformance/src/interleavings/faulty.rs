//! The fault layer: a backend wrapper between the manager and the store
//! under test that makes every call a yield point of the schedule and, per
//! call, lets the seed decide what the network does to it.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::{
    store::Operation,
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
        StorageKey, TouchOutcome,
    },
    users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions},
    BackendError,
};

use super::rng::SimRng;
use super::scheduler;
use super::shared::{CallRecord, Done, Env, Event, LateCall, RequestId, WriteSpec};
use super::store::{self, Stored};

/// How often each fault is injected, in calls per thousand. Each call gets
/// at most one of them; the rest pass unharmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRates {
    /// Dropped before reaching the store: an error, nothing applied.
    pub drop: u32,
    /// Applied, then the answer lost: a timeout error.
    pub lose_answer: u32,
    /// Held in flight for a few steps, before and/or after it is applied,
    /// while other requests and the clock move on; some loads (slow reads)
    /// for many steps after.
    pub delay: u32,
    /// Writes only: an error now, and the same call reaches the store at a
    /// random later step (a retried request whose first copy arrives late).
    pub late_duplicate: u32,
    /// Calls for which the [`WireFaults`] hook, if any, is asked to inject
    /// faults below the backend (into a proxy).
    pub wire: u32,
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            drop: 50,
            lose_answer: 60,
            delay: 120,
            late_duplicate: 40,
            wire: 0,
        }
    }
}

impl FaultRates {
    /// No faults at all: only the interleavings.
    pub const NONE: FaultRates = FaultRates {
        drop: 0,
        lose_answer: 0,
        delay: 0,
        late_duplicate: 0,
        wire: 0,
    };
}

/// Faults below the backend: the DynamoDB test queues them in its proxy
/// right before the fault layer makes the inner call.
pub trait WireFaults: Send + Sync {
    /// Queues faults for the store call about to be made (one `operation`,
    /// which the backend may retry), drawing every choice from `rng`.
    /// Returns the kinds queued, for the statistics and the trace; empty if
    /// none.
    fn before_call(&self, operation: Operation, rng: &mut SimRng) -> Vec<&'static str>;
}

/// One backend call, kept whole so that it can be applied late.
#[derive(Debug, Clone)]
pub(crate) enum Call {
    Load {
        key: StorageKey,
        consistency: Consistency,
    },
    Create {
        key: StorageKey,
        record: Record,
    },
    Replace {
        key: StorageKey,
        expected: u64,
        record: Record,
    },
    Touch {
        key: StorageKey,
        expected: u64,
        issued_at: i64,
        expires_at: i64,
    },
    End {
        key: StorageKey,
        tombstone: Record,
    },
    LoadChecked {
        key: StorageKey,
        user: UserRef,
    },
    Generation {
        user: UserRef,
    },
    Advance {
        user: UserRef,
        expected: u64,
        keep: Option<Kept>,
    },
    List {
        user: UserRef,
    },
}

/// An advance's kept record, owned, so that the call can arrive late.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    key: StorageKey,
    expected_version: u64,
    record: Record,
}

impl Kept {
    fn of(keep: &Keep<'_>) -> Self {
        Kept {
            key: *keep.key,
            expected_version: keep.expected_version,
            record: keep.record.clone(),
        }
    }

    fn borrow(&self) -> Keep<'_> {
        Keep {
            key: &self.key,
            expected_version: self.expected_version,
            record: &self.record,
        }
    }
}

/// A call's answer.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Loaded(LoadOutcome),
    Created(CreateOutcome),
    Replaced(ReplaceOutcome),
    Touched(TouchOutcome),
    Ended(EndOutcome),
    Checked(u64, LoadOutcome),
    Generation(u64),
    Advanced(AdvanceOutcome),
    Listed(Vec<Listed>),
}

impl Answer {
    fn done(&self) -> Done {
        match self {
            Answer::Loaded(_) => Done::Loaded,
            Answer::Created(outcome) => Done::Created(*outcome),
            Answer::Replaced(outcome) => Done::Replaced(*outcome),
            Answer::Touched(outcome) => Done::Touched(*outcome),
            Answer::Ended(outcome) => Done::Ended(*outcome),
            Answer::Checked(..) => Done::Checked,
            Answer::Generation(generation) => Done::Generation(*generation),
            Answer::Advanced(outcome) => Done::Advanced(*outcome),
            Answer::Listed(listed) => Done::Listed(listed.len()),
        }
    }

    fn describe(&self, env: &Env) -> String {
        match self {
            Answer::Loaded(LoadOutcome::Missing) => "none".to_owned(),
            Answer::Loaded(LoadOutcome::Live(record) | LoadOutcome::Ended(record)) => {
                store::decode(record).describe(env.start)
            }
            Answer::Created(outcome) => format!("{outcome:?}"),
            Answer::Replaced(outcome) => format!("{outcome:?}"),
            Answer::Touched(outcome) => format!("{outcome:?}"),
            Answer::Ended(EndOutcome::AlreadyEnded {
                successor: Some(next),
            }) => format!("AlreadyEnded, moved on to K{}", env.key_id(next)),
            Answer::Ended(outcome) => format!("{outcome:?}"),
            Answer::Checked(generation, outcome) => format!(
                "gen={generation}, {}",
                Answer::Loaded(outcome.clone()).describe(env)
            ),
            Answer::Generation(generation) => format!("gen={generation}"),
            Answer::Advanced(outcome) => format!("{outcome:?}"),
            Answer::Listed(listed) => {
                let keys: Vec<String> = listed
                    .iter()
                    .map(|entry| format!("K{}", env.key_id(&entry.key)))
                    .collect();
                format!("[{}]", keys.join(", "))
            }
        }
    }
}

impl Call {
    /// The session key it reads or writes, if any.
    pub(crate) fn key(&self) -> Option<&StorageKey> {
        match self {
            Call::Load { key, .. }
            | Call::Create { key, .. }
            | Call::Replace { key, .. }
            | Call::Touch { key, .. }
            | Call::End { key, .. }
            | Call::LoadChecked { key, .. } => Some(key),
            Call::Advance { keep, .. } => keep.as_ref().map(|kept| &kept.key),
            Call::Generation { .. } | Call::List { .. } => None,
        }
    }

    /// The user it is about, if any.
    fn user(&self) -> Option<&UserRef> {
        match self {
            Call::LoadChecked { user, .. }
            | Call::Generation { user }
            | Call::Advance { user, .. }
            | Call::List { user } => Some(user),
            _ => None,
        }
    }

    pub(crate) fn operation(&self) -> Operation {
        match self {
            Call::Load { .. } => Operation::Load,
            Call::Create { .. } => Operation::Create,
            Call::Replace { .. } => Operation::Replace,
            Call::Touch { .. } => Operation::Touch,
            Call::End { .. } => Operation::End,
            Call::LoadChecked { .. } => Operation::LoadChecked,
            Call::Generation { .. } => Operation::Generation,
            Call::Advance { .. } => Operation::Advance,
            Call::List { .. } => Operation::List,
        }
    }

    fn write(&self) -> Option<WriteSpec> {
        let tag = |record: &Record| match store::decode(record) {
            Stored::Record(view) => view.tag,
            _ => None,
        };
        match self {
            Call::Load { .. }
            | Call::LoadChecked { .. }
            | Call::Generation { .. }
            | Call::List { .. } => None,
            Call::Advance { keep, .. } => Some(WriteSpec::Advance {
                kept: keep
                    .as_ref()
                    .map(|kept| (kept.expected_version, tag(&kept.record))),
            }),
            Call::Create { record, .. } => Some(WriteSpec::Create { tag: tag(record) }),
            Call::Replace {
                expected, record, ..
            } => Some(WriteSpec::Replace {
                expected: *expected,
                tag: tag(record),
                tombstone: record.is_ended(),
                successor: record.successor,
            }),
            Call::Touch {
                expected,
                issued_at,
                expires_at,
                ..
            } => Some(WriteSpec::Touch {
                expected: *expected,
                issued_at: *issued_at,
                expires_at: *expires_at,
            }),
            Call::End { .. } => Some(WriteSpec::End),
        }
    }

    /// Makes the call on `backend`, or on `users` for a call about users
    /// (the same store, seen with its `UserSessions`).
    fn apply<B: Backend + ?Sized>(
        &self,
        backend: &B,
        users: Option<&dyn UserSessions>,
    ) -> Result<Answer, BackendError> {
        let users = || {
            users.ok_or_else(|| BackendError::Corrupt {
                reason: "a call about users on a store without them".into(),
            })
        };
        Ok(match self {
            Call::Load { key, consistency } => Answer::Loaded(backend.load(key, *consistency)?),
            Call::Create { key, record } => Answer::Created(backend.create(key, record)?),
            Call::Replace {
                key,
                expected,
                record,
            } => Answer::Replaced(backend.replace(key, *expected, record)?),
            Call::Touch {
                key,
                expected,
                issued_at,
                expires_at,
            } => Answer::Touched(backend.touch(key, *expected, *issued_at, *expires_at)?),
            Call::End { key, tombstone } => Answer::Ended(backend.end(key, tombstone)?),
            Call::LoadChecked { key, user } => {
                let (generation, outcome) = users()?.load_checked(key, user)?;
                Answer::Checked(generation, outcome)
            }
            Call::Generation { user } => Answer::Generation(users()?.generation(user)?),
            Call::Advance {
                user,
                expected,
                keep,
            } => Answer::Advanced(users()?.advance(
                user,
                *expected,
                keep.as_ref().map(Kept::borrow),
            )?),
            Call::List { user } => Answer::Listed(users()?.list(user)?),
        })
    }

    /// A short description for the trace, keys by their numbers.
    fn describe(&self, env: &Env) -> String {
        let key = self
            .key()
            .map_or(String::new(), |key| format!("K{}", env.key_id(key)));
        let user = self
            .user()
            .map_or("?".to_owned(), |user| env.user_name(user));
        let tag = |record: &Record| match store::decode(record) {
            Stored::Record(view) => view.tag.map_or("no tag".to_owned(), |t| format!("t{t}")),
            Stored::Ended(Some(next)) => format!("a tombstone naming K{}", env.key_id(&next)),
            Stored::Ended(None) => "a tombstone".to_owned(),
            other => other.describe(env.start),
        };
        match self {
            Call::Load { consistency, .. } => format!("load {key} {consistency:?}"),
            Call::Create { record, .. } => format!("create {key} {}", tag(record)),
            Call::Replace {
                expected, record, ..
            } => format!("replace {key} @v{expected} with {}", tag(record)),
            Call::Touch {
                expected,
                expires_at,
                ..
            } => format!("touch {key} @v{expected} exp={}", expires_at - env.start),
            Call::End { .. } => format!("end {key}"),
            Call::LoadChecked { .. } => format!("load_checked {key} of {user}"),
            Call::Generation { .. } => format!("generation of {user}"),
            Call::Advance { expected, keep, .. } => match keep {
                None => format!("advance {user} from gen={expected}"),
                Some(kept) => format!(
                    "advance {user} from gen={expected}, keeping {key} @v{} with {}",
                    kept.expected_version,
                    tag(&kept.record)
                ),
            },
            Call::List { .. } => format!("list {user}"),
        }
    }
}

/// What the network does to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Pass,
    Drop,
    LoseAnswer,
    /// Steps to stay in flight before and after applying.
    Delay(u64, u64),
    LateDuplicate,
}

/// Of the delayed loads, how many per thousand answer only after many steps.
const SLOW_LOADS: u32 = 500;

fn draw_fault(rng: &mut SimRng, rates: &FaultRates, write: bool) -> Fault {
    let duplicate = if write { rates.late_duplicate } else { 0 };
    let pass = 1000u32.saturating_sub(rates.drop + rates.lose_answer + rates.delay + duplicate);
    match rng.weighted(&[pass, rates.drop, rates.lose_answer, rates.delay, duplicate]) {
        Some(1) => Fault::Drop,
        Some(2) => Fault::LoseAnswer,
        Some(3) => {
            let before = rng.below(4);
            let after = match !write && rng.chance(SLOW_LOADS) {
                // A slow read: loads of its key made meanwhile wait for it
                // (in the read cache), while writes and the clock move on.
                true => rng.range(5, 15),
                false => rng.range(u64::from(before == 0), 4),
            };
            Fault::Delay(before, after)
        }
        Some(4) => Fault::LateDuplicate,
        _ => Fault::Pass,
    }
}

fn dropped(operation: Operation) -> BackendError {
    BackendError::Unavailable {
        operation,
        attempts: 1,
        source: "injected fault: the request was dropped".into(),
    }
}

fn lost(operation: Operation) -> BackendError {
    BackendError::Timeout {
        operation,
        after: Duration::from_millis(100),
    }
}

impl Env {
    /// Makes `call` on the store under test, and logs it for the checker:
    /// what an `end` is about to end, the wire faults queued for it, its
    /// answer and how long it took. `told` says whether the manager will see
    /// the answer.
    pub(crate) fn apply<B: Backend + ?Sized>(
        &self,
        backend: &B,
        users: Option<&dyn UserSessions>,
        call: &Call,
        request: RequestId,
        told: bool,
    ) -> Result<Answer, BackendError> {
        let key = call.key().map(|key| self.key_id(key));
        let before = match call {
            Call::End {
                key: storage_key, ..
            } => {
                let found = store::observe(&*self.observer, storage_key);
                self.push(Event::EndFound {
                    request,
                    found: found.clone(),
                });
                Some(found)
            }
            _ => None,
        };
        let wire = match &self.wire {
            Some(hook) if self.roll(|rng| rng.chance(self.rates.wire)) => {
                self.roll(|rng| hook.before_call(call.operation(), rng))
            }
            _ => Vec::new(),
        };
        for kind in &wire {
            self.fault(kind);
        }
        let started = Instant::now();
        let result = call.apply(backend, users);
        let elapsed = started.elapsed();
        self.push(Event::Call(CallRecord {
            request,
            operation: call.operation(),
            key,
            write: call.write(),
            answer: result
                .as_ref()
                .map(Answer::done)
                .map_err(ToString::to_string),
            told,
            before,
            elapsed,
        }));
        let loaded = match (&result, call) {
            (Ok(Answer::Loaded(LoadOutcome::Live(record))), Call::Load { consistency, .. }) => {
                Some((record, *consistency == Consistency::Strong))
            }
            (Ok(Answer::Checked(_, LoadOutcome::Live(record))), Call::LoadChecked { .. }) => {
                Some((record, true))
            }
            _ => None,
        };
        if let (true, Some((record, strong)), Some(key)) = (told, loaded, key) {
            if let Stored::Record(record) = store::decode(record) {
                self.push(Event::Loaded {
                    request,
                    key,
                    record,
                    strong,
                    cached: None,
                });
            }
        }
        let wire = if wire.is_empty() {
            String::new()
        } else {
            format!(" [wire: {}]", wire.join(", "))
        };
        let answer = match &result {
            Ok(answer) => answer.describe(self),
            Err(error) => format!("error: {error}"),
        };
        let fate = if told { "" } else { " (answer lost)" };
        self.trace(
            Some(request),
            format!("{}{wire} -> {answer}{fate}", call.describe(self)),
        );
        result
    }
}

thread_local! {
    /// Loads this thread sent through the fault layer.
    static LOADS_SENT: Cell<u64> = const { Cell::new(0) };
}

/// How many loads this thread (one request) has sent through the fault
/// layer: a load that did not move it was answered above the network.
pub(crate) fn loads_sent() -> u64 {
    LOADS_SENT.with(Cell::get)
}

/// Wraps the store under test for the manager of one schedule.
pub(crate) struct FaultyBackend<B: ?Sized> {
    inner: Arc<B>,
    env: Arc<Env>,
}

impl<B: Backend + ?Sized> FaultyBackend<B> {
    pub(crate) fn new(inner: Arc<B>, env: Arc<Env>) -> Self {
        FaultyBackend { inner, env }
    }

    /// Makes `call` through the network; `users` is the store under test
    /// seen with its `UserSessions`, for a call about users.
    fn call(&self, call: Call, users: Option<&dyn UserSessions>) -> Result<Answer, BackendError> {
        let env = &*self.env;
        let request = scheduler::current().unwrap_or(usize::MAX);
        let operation = call.operation();
        let what = call.describe(env);
        env.scheduler.yield_now(|| format!("before {what}"), 0);
        if env.scheduler.aborted() {
            return Err(dropped(operation));
        }
        let fault = env.roll(|rng| draw_fault(rng, &env.rates, call.write().is_some()));
        match fault {
            Fault::Drop => {
                env.fault("drop");
                env.trace(Some(request), format!("{what}: dropped, not applied"));
                env.scheduler.yield_now(|| format!("after {what}"), 0);
                Err(dropped(operation))
            }
            Fault::LateDuplicate => {
                env.fault("late duplicate");
                let due = env.scheduler.step() + env.roll(|rng| rng.range(1, 40));
                env.trace(
                    Some(request),
                    format!("{what}: held in the network, arrives later; error now"),
                );
                env.hold_back(LateCall { request, call, due });
                env.scheduler.yield_now(|| format!("after {what}"), 0);
                Err(lost(operation))
            }
            Fault::Pass | Fault::LoseAnswer | Fault::Delay(..) => {
                let (before, after) = match fault {
                    Fault::Delay(before, after) => (before, after),
                    _ => (0, 0),
                };
                if before > 0 || after > 0 {
                    env.fault("delay");
                }
                if before > 0 {
                    env.scheduler
                        .yield_now(|| format!("{what} in flight (delayed)"), before);
                    if env.scheduler.aborted() {
                        return Err(dropped(operation));
                    }
                }
                let told = fault != Fault::LoseAnswer;
                if !told {
                    env.fault("lost answer");
                }
                let result = env.apply(&*self.inner, users, &call, request, told);
                env.scheduler
                    .yield_now(|| format!("answer to {what} in flight"), after);
                if told {
                    result
                } else {
                    Err(lost(operation))
                }
            }
        }
    }
}

impl<B: Backend + ?Sized> Backend for FaultyBackend<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        LOADS_SENT.with(|sent| sent.set(sent.get() + 1));
        match self.call(
            Call::Load {
                key: *key,
                consistency,
            },
            None,
        )? {
            Answer::Loaded(record) => Ok(record),
            other => unreachable!("a load answered {other:?}"),
        }
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        match self.call(
            Call::Create {
                key: *key,
                record: record.clone(),
            },
            None,
        )? {
            Answer::Created(outcome) => Ok(outcome),
            other => unreachable!("a create answered {other:?}"),
        }
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        match self.call(
            Call::Replace {
                key: *key,
                expected: expected_version,
                record: record.clone(),
            },
            None,
        )? {
            Answer::Replaced(outcome) => Ok(outcome),
            other => unreachable!("a replace answered {other:?}"),
        }
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        match self.call(
            Call::Touch {
                key: *key,
                expected: expected_version,
                issued_at,
                expires_at,
            },
            None,
        )? {
            Answer::Touched(outcome) => Ok(outcome),
            other => unreachable!("a touch answered {other:?}"),
        }
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        match self.call(
            Call::End {
                key: *key,
                tombstone: tombstone.clone(),
            },
            None,
        )? {
            Answer::Ended(outcome) => Ok(outcome),
            other => unreachable!("an end answered {other:?}"),
        }
    }
}

/// The calls about users get the same faults as the others: dropped, the
/// answer lost, held in flight, and (an advance) held back to arrive late.
impl<B: UserSessions> UserSessions for FaultyBackend<B> {
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        LOADS_SENT.with(|sent| sent.set(sent.get() + 1));
        let call = Call::LoadChecked {
            key: *key,
            user: *user,
        };
        match self.call(call, Some(&*self.inner))? {
            Answer::Checked(generation, outcome) => Ok((generation, outcome)),
            other => unreachable!("a load_checked answered {other:?}"),
        }
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        match self.call(Call::Generation { user: *user }, Some(&*self.inner))? {
            Answer::Generation(generation) => Ok(generation),
            other => unreachable!("a generation read answered {other:?}"),
        }
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let call = Call::Advance {
            user: *user,
            expected,
            keep: keep.as_ref().map(Kept::of),
        };
        match self.call(call, Some(&*self.inner))? {
            Answer::Advanced(outcome) => Ok(outcome),
            other => unreachable!("an advance answered {other:?}"),
        }
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        match self.call(Call::List { user: *user }, Some(&*self.inner))? {
            Answer::Listed(listed) => Ok(listed),
            other => unreachable!("a listing answered {other:?}"),
        }
    }
}

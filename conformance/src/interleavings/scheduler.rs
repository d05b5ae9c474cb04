//! Deterministic scheduling of request threads.
//!
//! Each in-flight request runs on its own OS thread, because the manager's
//! calls block. But only the thread holding the baton runs; every other one
//! waits at a yield point (request start, before and after each store call,
//! before commit). The main thread hands the baton to one request at a time,
//! in an order drawn from the seed, and waits until that request yields or
//! finishes. So one step is exactly one stretch of one request's code, and
//! the same seed gives the same interleaving.
//!
//! One wait is not a yield point: a load in the read cache waiting for
//! another request's store call (single flight). The main thread notices
//! it ([`Turn::Blocked`]) and moves on; the request is off the schedule
//! until that call's answer wakes it. The request making the call then
//! lends the baton to each load it woke, one at a time, up to its next
//! yield point ([`Scheduler::hand_over`]): their answers are handed out in
//! that turn, in a fixed order.

use std::any::Any;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A request's number within its schedule.
pub(crate) type ActorId = usize;

/// How often the main thread asks whether a turn that is taking a while is
/// blocked.
const BLOCKED_POLL: Duration = Duration::from_millis(1);

thread_local! {
    /// The request this thread runs, if it is a request thread.
    static CURRENT: Cell<Option<ActorId>> = const { Cell::new(None) };
}

/// The request running on this thread, if any.
pub(crate) fn current() -> Option<ActorId> {
    CURRENT.with(Cell::get)
}

/// Where a request thread waits, and since which step.
#[derive(Debug)]
struct Actor {
    /// What it is about to do, for the trace.
    label: String,
    /// A delayed call: not scheduled again before this step.
    not_before: u64,
    /// Waiting in the read cache for another request's call, without the
    /// baton: off the schedule until it yields again.
    blocked: bool,
    finished: bool,
    panic: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// Who may run: `None` is the main thread.
    baton: Option<ActorId>,
    /// A blocked request the baton holder lets run up to its next yield
    /// point, within the holder's turn.
    lent: Option<ActorId>,
    actors: BTreeMap<ActorId, Actor>,
    step: u64,
    /// Set when a schedule is torn down: nobody waits any more.
    aborted: bool,
}

/// What came of handing the baton to a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// It waits at its next yield point.
    Parked,
    /// It waits in the read cache for another request's store call.
    Blocked,
    /// It returned; with the panic message if it panicked.
    Finished(Option<String>),
    /// It neither yielded nor finished in time.
    Hung,
}

/// A request thread waiting for its turn, as the main thread sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub(crate) id: ActorId,
    pub(crate) label: String,
    /// False while a delay keeps it off the schedule, or while it is
    /// blocked.
    pub(crate) eligible: bool,
    /// Waiting in the read cache for another request's store call: it
    /// cannot take a turn until that call is answered.
    pub(crate) blocked: bool,
}

/// The baton and the requests waiting for it.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    state: Mutex<State>,
    turn: Condvar,
}

impl Scheduler {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.turn
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts request `id` on a new thread, parked until its first turn.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        id: ActorId,
        body: impl FnOnce() + Send + 'static,
    ) -> JoinHandle<()> {
        self.lock().actors.insert(
            id,
            Actor {
                label: "start".to_owned(),
                not_before: 0,
                blocked: false,
                finished: false,
                panic: None,
            },
        );
        let scheduler = Arc::clone(self);
        thread::Builder::new()
            .name(format!("interleavings-r{id}"))
            .spawn(move || {
                CURRENT.with(|current| current.set(Some(id)));
                scheduler.wait_for_baton(id);
                let panic = panic::catch_unwind(AssertUnwindSafe(body))
                    .err()
                    .map(|payload| panic_message(payload.as_ref()));
                let mut state = scheduler.lock();
                if let Some(actor) = state.actors.get_mut(&id) {
                    actor.finished = true;
                    actor.panic = panic;
                }
                if state.baton == Some(id) {
                    state.baton = None;
                }
                scheduler.turn.notify_all();
            })
            .expect("start a request thread")
    }

    fn wait_for_baton(&self, id: ActorId) {
        let mut state = self.lock();
        while state.baton != Some(id) && !state.aborted {
            state = self.wait(state);
        }
    }

    /// Called by a request thread: hands the baton back and waits for the
    /// next turn. With `delay` > 0 the request is not scheduled again before
    /// that many steps have passed (while others are runnable): a call "in
    /// flight" while the rest of the world moves on. A blocked request
    /// first waits until the baton is lent to it, then is back on the
    /// schedule. Outside a request thread, or after [`abort`](Self::abort),
    /// it returns at once.
    pub(crate) fn yield_now(&self, label: impl FnOnce() -> String, delay: u64) {
        let Some(id) = current() else {
            return;
        };
        let mut state = self.wait_until_lent(self.lock(), id);
        if state.aborted {
            return;
        }
        let not_before = state.step + delay;
        if let Some(actor) = state.actors.get_mut(&id) {
            actor.label = label();
            actor.not_before = not_before;
        }
        if state.lent == Some(id) {
            state.lent = None;
        } else if state.baton == Some(id) {
            state.baton = None;
        }
        self.turn.notify_all();
        while state.baton != Some(id) && !state.aborted {
            state = self.wait(state);
        }
    }

    /// A blocked request waits here, whatever it does after it woke,
    /// until the baton is lent to it; then it is no longer blocked.
    fn wait_until_lent<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        id: ActorId,
    ) -> MutexGuard<'a, State> {
        if !state.actors.get(&id).is_some_and(|actor| actor.blocked) {
            return state;
        }
        while state.lent != Some(id) && !state.aborted {
            state = self.wait(state);
        }
        if let Some(actor) = state.actors.get_mut(&id) {
            actor.blocked = false;
        }
        state
    }

    /// Called by a request thread after a call that may have blocked it (a
    /// load in the read cache). Returns false at once if it was not
    /// blocked; else waits until the baton is lent to it and returns true:
    /// it then runs up to its next [`yield_now`](Self::yield_now), which
    /// gives the baton back.
    pub(crate) fn resume(&self) -> bool {
        let Some(id) = current() else {
            return false;
        };
        let state = self.lock();
        if !state.actors.get(&id).is_some_and(|actor| actor.blocked) {
            return false;
        }
        !self.wait_until_lent(state, id).aborted
    }

    /// Called by a request thread holding the baton, whose store call has
    /// just woken those of `ids` that are blocked: lends each in turn the
    /// baton up to its next yield point, so that they run one at a time, in
    /// this turn. Gives up on one that has not come after `timeout` (it
    /// waits for another call than this one); returns whether all came.
    pub(crate) fn hand_over(&self, ids: &[ActorId], timeout: Duration) -> bool {
        let mut all = true;
        let mut state = self.lock();
        for id in ids {
            if !state.actors.get(id).is_some_and(|actor| actor.blocked) {
                continue;
            }
            let deadline = Instant::now() + timeout;
            state.lent = Some(*id);
            self.turn.notify_all();
            while state.lent == Some(*id) && !state.aborted {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    state.lent = None;
                    all = false;
                    break;
                }
                state = self
                    .turn
                    .wait_timeout(state, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        all
    }

    /// Called by the main thread: lets request `id` run until it yields or
    /// finishes, or `timeout` passes, or `blocked` says it waits for
    /// another request's call (asked, without the scheduler's lock, while
    /// the turn lasts longer than a millisecond).
    pub(crate) fn give_turn(
        &self,
        id: ActorId,
        timeout: Duration,
        blocked: &dyn Fn() -> bool,
    ) -> Turn {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        state.baton = Some(id);
        self.turn.notify_all();
        while state.baton == Some(id) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Turn::Hung;
            }
            let (guard, waited) = self
                .turn
                .wait_timeout(state, left.min(BLOCKED_POLL))
                .unwrap_or_else(PoisonError::into_inner);
            state = guard;
            if waited.timed_out() && state.baton == Some(id) {
                drop(state);
                let is_blocked = blocked();
                state = self.lock();
                if is_blocked && state.baton == Some(id) {
                    state.baton = None;
                    if let Some(actor) = state.actors.get_mut(&id) {
                        actor.blocked = true;
                    }
                    return Turn::Blocked;
                }
            }
        }
        match state.actors.get(&id) {
            Some(actor) if actor.finished => {
                let panic = actor.panic.clone();
                state.actors.remove(&id);
                Turn::Finished(panic)
            }
            _ => Turn::Parked,
        }
    }

    /// The requests waiting for a turn, in id order.
    pub(crate) fn waiting(&self) -> Vec<Waiting> {
        let state = self.lock();
        state
            .actors
            .iter()
            .filter(|(_, actor)| !actor.finished)
            .map(|(id, actor)| Waiting {
                id: *id,
                label: actor.label.clone(),
                eligible: actor.not_before <= state.step && !actor.blocked,
                blocked: actor.blocked,
            })
            .collect()
    }

    /// Starts the next step; returns its number (from 1).
    pub(crate) fn next_step(&self) -> u64 {
        let mut state = self.lock();
        state.step += 1;
        state.step
    }

    /// The current step's number.
    pub(crate) fn step(&self) -> u64 {
        self.lock().step
    }

    /// Tears the schedule down: every waiting thread runs on freely (the
    /// fault layer then fails their calls at once), so they can be joined.
    pub(crate) fn abort(&self) {
        self.lock().aborted = true;
        self.turn.notify_all();
    }

    /// Whether [`abort`](Self::abort) was called.
    pub(crate) fn aborted(&self) -> bool {
        self.lock().aborted
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads that each append to a log at every turn: the log follows
    /// the order the main thread hands out the baton, whatever the OS does.
    #[test]
    fn only_the_baton_holder_runs_in_the_order_given() {
        let scheduler = Arc::new(Scheduler::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for id in 0..2 {
            let (s, log) = (Arc::clone(&scheduler), Arc::clone(&log));
            handles.push(scheduler.spawn(id, move || {
                for i in 0..3 {
                    log.lock().unwrap().push((id, i));
                    s.yield_now(|| format!("after {i}"), 0);
                }
            }));
        }
        let order = [1, 0, 0, 1, 1, 0, 0, 1];
        let mut turns = Vec::new();
        for id in order {
            scheduler.next_step();
            turns.push(scheduler.give_turn(id, Duration::from_secs(5), &|| false));
        }
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(
            *log.lock().unwrap(),
            [(1, 0), (0, 0), (0, 1), (1, 1), (1, 2), (0, 2)]
        );
        assert_eq!(turns[6], Turn::Finished(None));
        assert_eq!(turns[7], Turn::Finished(None));
        assert!(scheduler.waiting().is_empty());
    }

    /// A request blocked outside any yield point (as a load waiting for
    /// another's call in the read cache) is noticed and left off the
    /// schedule; the request that wakes it lends it the baton within its
    /// own turn, and it runs up to its next yield point then.
    #[test]
    fn a_blocked_request_runs_only_when_lent_the_baton() {
        use std::sync::atomic::{AtomicU64, Ordering};

        let scheduler = Arc::new(Scheduler::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new((Mutex::new(false), Condvar::new()));
        let waiting = Arc::new(AtomicU64::new(0));
        let (s, l, a) = (
            Arc::clone(&scheduler),
            Arc::clone(&log),
            Arc::clone(&answer),
        );
        let leader = scheduler.spawn(0, move || {
            l.lock().unwrap().push("leader sends");
            s.yield_now(|| "in flight".into(), 0);
            *a.0.lock().unwrap() = true;
            a.1.notify_all();
            assert!(s.hand_over(&[1], Duration::from_secs(5)));
            l.lock().unwrap().push("leader goes on");
        });
        let (s, l, a, w) = (
            Arc::clone(&scheduler),
            Arc::clone(&log),
            Arc::clone(&answer),
            Arc::clone(&waiting),
        );
        let waiter = scheduler.spawn(1, move || {
            w.fetch_add(1, Ordering::SeqCst);
            let mut answered = a.0.lock().unwrap();
            while !*answered {
                answered = a.1.wait(answered).unwrap();
            }
            drop(answered);
            w.fetch_sub(1, Ordering::SeqCst);
            if s.resume() {
                l.lock().unwrap().push("waiter answered");
                s.yield_now(|| "answer in hand".into(), 0);
            }
            l.lock().unwrap().push("waiter goes on");
        });
        let timeout = Duration::from_secs(5);
        // One more waiting than found blocked (a woken one may not have
        // counted itself out yet).
        let blocked = || {
            let found = scheduler.waiting().iter().filter(|w| w.blocked).count();
            waiting.load(Ordering::SeqCst) > found as u64
        };
        assert_eq!(scheduler.give_turn(0, timeout, &blocked), Turn::Parked);
        assert_eq!(scheduler.give_turn(1, timeout, &blocked), Turn::Blocked);
        let parked = scheduler.waiting();
        assert!(parked[1].blocked && !parked[1].eligible, "{parked:?}");
        assert_eq!(
            scheduler.give_turn(0, timeout, &blocked),
            Turn::Finished(None)
        );
        assert_eq!(scheduler.waiting()[0].label, "answer in hand");
        assert_eq!(
            scheduler.give_turn(1, timeout, &blocked),
            Turn::Finished(None)
        );
        leader.join().unwrap();
        waiter.join().unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "leader sends",
                "waiter answered",
                "leader goes on",
                "waiter goes on"
            ]
        );
    }

    #[test]
    fn delays_panics_and_hangs_are_reported() {
        let scheduler = Arc::new(Scheduler::default());
        let s = Arc::clone(&scheduler);
        let delayed = scheduler.spawn(0, move || s.yield_now(|| "in flight".into(), 3));
        scheduler.next_step();
        assert_eq!(
            scheduler.give_turn(0, Duration::from_secs(5), &|| false),
            Turn::Parked
        );
        let waiting = scheduler.waiting();
        assert_eq!(waiting[0].label, "in flight");
        assert!(!waiting[0].eligible);
        for _ in 0..3 {
            scheduler.next_step();
        }
        assert!(scheduler.waiting()[0].eligible);
        assert_eq!(
            scheduler.give_turn(0, Duration::from_secs(5), &|| false),
            Turn::Finished(None)
        );
        delayed.join().unwrap();

        let panics = scheduler.spawn(1, || panic!("boom"));
        assert_eq!(
            scheduler.give_turn(1, Duration::from_secs(5), &|| false),
            Turn::Finished(Some("boom".to_owned()))
        );
        panics.join().unwrap();

        let hangs = scheduler.spawn(2, || thread::sleep(Duration::from_millis(300)));
        assert_eq!(
            scheduler.give_turn(2, Duration::from_millis(20), &|| false),
            Turn::Hung
        );
        scheduler.abort();
        hangs.join().unwrap();
    }
}

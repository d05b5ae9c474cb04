//! Single flight: concurrent loads of one key share one store call, and
//! nobody waits for it longer than a set time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::{Record, StorageKey};

use super::entries::Ticket;

/// A store call in flight, as its waiters see it.
#[derive(Debug)]
pub(super) struct Flight {
    /// When its leader's load started, on the cache's monotonic clock: at
    /// or just before the call was sent.
    pub(super) sent_at: Duration,
    /// Where this process's writes stood when the call was sent.
    pub(super) ticket: Ticket,
    answer: Mutex<Answer>,
    done: Condvar,
}

#[derive(Debug, Clone)]
enum Answer {
    Pending,
    Found(Option<Record>),
    /// The call failed (or its caller panicked): each waiter makes its own.
    Failed,
}

impl Flight {
    /// The call's answer, waiting for it until `deadline`; `None` if the
    /// call failed or is still going then.
    pub(super) fn wait(&self, deadline: Instant) -> Option<Option<Record>> {
        let mut answer = self.answer.lock();
        while matches!(*answer, Answer::Pending) {
            if self.done.wait_until(&mut answer, deadline).timed_out() {
                break;
            }
        }
        match &*answer {
            Answer::Found(record) => Some(record.clone()),
            Answer::Pending | Answer::Failed => None,
        }
    }

    fn settle(&self, answer: Answer) {
        *self.answer.lock() = answer;
        self.done.notify_all();
    }
}

/// The calls in flight, by key.
#[derive(Debug, Default)]
pub(super) struct Flights {
    by_key: Mutex<HashMap<StorageKey, Arc<Flight>>>,
}

/// What a load does: lead a new call, or wait for one in flight.
pub(super) enum Role<'a> {
    Lead(Leader<'a>),
    Wait(Arc<Flight>),
}

impl Flights {
    /// Joins the call in flight for `key` if `joinable` accepts it, or
    /// starts a new one sent at `now` with `ticket` (which then replaces
    /// the old one: later loads join the new call).
    pub(super) fn join_or_lead(
        &self,
        key: &StorageKey,
        now: Duration,
        ticket: impl FnOnce() -> Ticket,
        joinable: impl FnOnce(&Flight) -> bool,
    ) -> Role<'_> {
        let mut by_key = self.by_key.lock();
        if let Some(flight) = by_key.get(key) {
            if joinable(flight) {
                return Role::Wait(Arc::clone(flight));
            }
        }
        let flight = Arc::new(Flight {
            sent_at: now,
            ticket: ticket(),
            answer: Mutex::new(Answer::Pending),
            done: Condvar::new(),
        });
        by_key.insert(*key, Arc::clone(&flight));
        Role::Lead(Leader {
            flights: self,
            key: *key,
            flight,
            settled: false,
        })
    }

    fn finish(&self, key: &StorageKey, flight: &Arc<Flight>) {
        let mut by_key = self.by_key.lock();
        // A later leader may have replaced ours (ours was not joinable).
        if by_key.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            by_key.remove(key);
        }
    }
}

/// The load that makes the store call. However it ends (an answer, an
/// error, a panic), its waiters are released.
pub(super) struct Leader<'a> {
    flights: &'a Flights,
    key: StorageKey,
    flight: Arc<Flight>,
    settled: bool,
}

impl Leader<'_> {
    pub(super) fn ticket(&self) -> Ticket {
        self.flight.ticket
    }

    /// Hands the call's outcome to the waiters: a record or none, or
    /// `None` for a failed call.
    pub(super) fn settle(mut self, found: Option<Option<Record>>) {
        self.flights.finish(&self.key, &self.flight);
        self.flight
            .settle(found.map_or(Answer::Failed, Answer::Found));
        self.settled = true;
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.flights.finish(&self.key, &self.flight);
            self.flight.settle(Answer::Failed);
        }
    }
}

/// How long a waiter may wait, from now; a wait too long to add is a year.
pub(super) fn deadline(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

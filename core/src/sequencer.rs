//! Turns for the requests of one session inside one process, so that their
//! conditional writes do not conflict with each other.
//!
//! Two requests of one browser that load the same version and both write
//! make one of them fail its version check ([`CommitError::Conflict`]),
//! though nothing went wrong: a page's parallel `fetch` calls do this all
//! the time. Within one process that race need not happen at all: a request
//! that is going to write takes the session's turn before it reads, and
//! holds it until its commit is done, so the next writer reads what the
//! previous one wrote. Across processes the conditional writes stay the
//! only guard, as before; the turn is an optimization and never needed for
//! exactness, which is why a turn that cannot be had in time is skipped.
//!
//! [`CommitError::Conflict`]: crate::CommitError::Conflict

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::StorageKey;

/// When a session loaded through
/// [`SessionManager::load_with`](crate::SessionManager::load_with) waits
/// for the other requests of the same session in this process.
///
/// A request that holds the session's turn keeps it until it is committed
/// (or dropped); another request that wants the turn waits for it, at most
/// [`MAX_TURN_WAIT`], then goes on without it (a handler that, say, calls
/// its own server with the same cookie must not hang). Turns are per
/// [`SessionManager`](crate::SessionManager): share one manager across the
/// process's threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sequencing {
    /// Never wait: the request may conflict with a parallel one of the same
    /// session. What [`SessionManager::load`](crate::SessionManager::load)
    /// does, since a test or a script may well hold two sessions of one
    /// cookie in one thread.
    #[default]
    Off,
    /// Take the turn before the session is read: the request sees every
    /// write that other requests of this process made before it, and none
    /// is made while it runs. For requests expected to write (`POST` and
    /// the like), and for the rerun of a request that conflicted.
    FromLoad,
    /// Read without waiting, and take the turn at the first change (insert,
    /// remove, flash, CSRF token, login, logout): read-only requests never
    /// wait, and a writer never commits while another holds the turn. A
    /// writer that read before another's commit still conflicts, once; its
    /// rerun takes the turn from the load. For requests that usually only
    /// read (`GET`, `HEAD`).
    FromFirstChange,
}

/// How long a request waits for a session's turn before it goes on
/// without, still exact (its conditional writes guard it as they guard
/// requests of other processes). A turn's holder makes one to three store
/// calls, each well under a second on a healthy store, so the wait is
/// reached only behind a stuck request, or on a store so slow that its
/// calls near their own 5 s bound; waiting longer would only make a
/// request wait that conflicts cost less.
///
/// A freed turn goes to whichever waiter gets to it first, not to the one
/// that waited longest: under a steady stream of writers of one session,
/// one of them may reach this bound and go ahead without its turn (and
/// then may conflict).
pub const MAX_TURN_WAIT: Duration = Duration::from_secs(5);

/// The turns of the sessions that requests of this process hold or wait
/// for; an entry lives only while someone holds or waits for it.
#[derive(Debug, Default)]
pub(crate) struct Sequencer {
    turns: Mutex<HashMap<StorageKey, Arc<Entry>>>,
}

/// One session's turn: the thread holding it, if any, and a signal when
/// it is free.
#[derive(Debug, Default)]
struct Entry {
    holder: Mutex<Option<ThreadId>>,
    freed: Condvar,
}

impl Sequencer {
    /// Waits for the turn of the session under `key`, at most
    /// [`MAX_TURN_WAIT`]; `None` when it could not be had in time, or when
    /// this thread holds it already (a request that loads its own session
    /// twice must not wait for itself).
    pub(crate) fn take(self: &Arc<Self>, key: StorageKey) -> Option<Turn> {
        let entry = Arc::clone(self.turns.lock().entry(key).or_default());
        let me = std::thread::current().id();
        let deadline = Instant::now() + MAX_TURN_WAIT;
        let mut holder = entry.holder.lock();
        let mine_already = *holder == Some(me);
        while holder.is_some()
            && !mine_already
            && !entry.freed.wait_until(&mut holder, deadline).timed_out()
        {}
        let got_it = holder.is_none();
        if got_it {
            *holder = Some(me);
        }
        drop(holder);
        let turn = Turn {
            sequencer: Arc::clone(self),
            key,
            entry,
            held: got_it,
        };
        if mine_already {
            log::debug!(
                "this thread holds the session's turn already; going on without a second one"
            );
            return None;
        }
        if !got_it {
            log::warn!(
                "waited {MAX_TURN_WAIT:?} for another request of the same session; going on without waiting"
            );
            return None;
        }
        Some(turn)
    }

    /// How many sessions have an entry (held or waited for).
    #[cfg(test)]
    fn entries(&self) -> usize {
        self.turns.lock().len()
    }
}

/// A session's turn, held until dropped (a waiter that gave up holds an
/// unheld one only to clean up after itself).
pub(crate) struct Turn {
    sequencer: Arc<Sequencer>,
    key: StorageKey,
    entry: Arc<Entry>,
    held: bool,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Turn")
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = self.sequencer.turns.lock();
        if self.held {
            *self.entry.holder.lock() = None;
            self.entry.freed.notify_one();
        }
        // Nobody else holds or waits for it (the map's and ours are the
        // only references), and nobody can take a new one while we hold
        // the map's lock: forget it.
        if Arc::strong_count(&self.entry) == 2 {
            turns.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Instant;

    fn key(byte: u8) -> StorageKey {
        StorageKey::from_bytes([byte; 32])
    }

    #[test]
    fn a_turn_is_held_until_dropped_and_then_forgotten() {
        let sequencer = Arc::new(Sequencer::default());
        let first = sequencer.take(key(1)).unwrap();
        assert_eq!(sequencer.entries(), 1);
        // Another session's turn is free.
        let other = sequencer.take(key(2)).unwrap();
        drop(other);
        drop(first);
        assert_eq!(sequencer.entries(), 0);
    }

    #[test]
    fn holders_of_one_session_take_turns() {
        let sequencer = Arc::new(Sequencer::default());
        let inside = Arc::new(AtomicU32::new(0));
        let most = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (sequencer, inside, most) = (sequencer.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let _turn = sequencer.take(key(7)).unwrap();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(sequencer.entries(), 0);
    }

    #[test]
    fn a_turn_held_too_long_is_given_up_on() {
        let sequencer = Arc::new(Sequencer::default());
        let _held = sequencer.take(key(3)).unwrap();
        let waiter = {
            let sequencer = sequencer.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let turn = sequencer.take(key(3));
                (turn.is_none(), started.elapsed())
            })
        };
        let (gave_up, waited) = waiter.join().unwrap();
        assert!(gave_up);
        assert!(waited >= MAX_TURN_WAIT);
        assert_eq!(sequencer.entries(), 1, "the holder's entry stays");
    }

    /// Many threads taking, passing between threads and dropping the
    /// turns of many sessions leave no entry behind.
    #[test]
    fn hammering_many_sessions_leaves_no_entry() {
        let sequencer = Arc::new(Sequencer::default());
        let threads: Vec<_> = (0..8u8)
            .map(|thread| {
                let sequencer = sequencer.clone();
                std::thread::spawn(move || {
                    for round in 0..2_000u32 {
                        let byte = ((round * 7 + u32::from(thread)) % 64) as u8;
                        let turn = sequencer.take(key(byte)).unwrap();
                        if round.is_multiple_of(97) {
                            // Dropped on another thread, as a session handed
                            // to a worker is.
                            std::thread::spawn(move || drop(turn)).join().unwrap();
                        } else {
                            std::thread::yield_now();
                            drop(turn);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(sequencer.entries(), 0);
    }

    #[test]
    fn a_session_holding_a_turn_can_move_between_threads() {
        fn is_send<T: Send>(_: &T) {}
        let sequencer = Arc::new(Sequencer::default());
        let turn = sequencer.take(key(4)).unwrap();
        is_send(&turn);
        std::thread::spawn(move || drop(turn)).join().unwrap();
        assert!(sequencer.take(key(4)).is_some());
    }
}

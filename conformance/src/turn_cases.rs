//! Requests of one session taking turns in one process
//! ([`Sequencing`]): writers wait for each other instead of conflicting,
//! readers never wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::Instant;

use dynamodb_sessions_core::{CommitError, Scheme, Sequencing, MAX_TURN_WAIT};

use crate::fixture::Fixture;
use crate::Harness;

const THREADS: usize = 8;
const INCREMENTS_PER_THREAD: u64 = 5;

/// 8 threads start together and each make 5 read-modify-write increments
/// of one counter, every request taking its turn from the load: not one
/// conflict, and the count is exact. Without turns the same requests
/// conflict (see `concurrent_increments_lose_no_update`).
pub fn writers_taking_turns_never_conflict<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("count", 0);
    let conflicts = AtomicU64::new(0);
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                for _ in 0..INCREMENTS_PER_THREAD {
                    let mut session = f.manager.load_with(Some(&cookie), Sequencing::FromLoad);
                    let n: u64 = session.get("count").unwrap().expect("counter present");
                    session.insert("count", &(n + 1)).unwrap();
                    match f.manager.commit(session, Scheme::Https) {
                        Ok(_) => {}
                        Err(CommitError::Conflict) => {
                            conflicts.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(other) => panic!("commit failed: {other}"),
                    }
                }
            });
        }
    });
    assert_eq!(conflicts.load(Ordering::SeqCst), 0);
    let (count, _) = f.request(Some(&cookie), |s| s.get::<u64>("count").unwrap());
    assert_eq!(count, Some(THREADS as u64 * INCREMENTS_PER_THREAD));
}

/// While a writer holds the session's turn, a request that only reads
/// (taking the turn only at a first change) does not wait for it, and a
/// writer that needs the turn gets it as soon as the holder is done, and
/// then reads what the holder wrote.
pub fn readers_never_wait_for_a_turn<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("count", 1);
    let mut holder = f.manager.load_with(Some(&cookie), Sequencing::FromLoad);
    assert_eq!(holder.get::<u64>("count").unwrap(), Some(1));

    let started = Instant::now();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut reader = f
                    .manager
                    .load_with(Some(&cookie), Sequencing::FromFirstChange);
                assert_eq!(reader.get::<u64>("count").unwrap(), Some(1));
                f.manager.commit(reader, Scheme::Https).unwrap();
            })
            .join()
            .unwrap();
    });
    assert!(
        started.elapsed() < MAX_TURN_WAIT,
        "the reader waited for the writer's turn"
    );

    let next_writer = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let mut writer = f.manager.load_with(Some(&cookie), Sequencing::FromLoad);
            let n: u64 = writer.get("count").unwrap().unwrap();
            writer.insert("count", &(n + 1)).unwrap();
            f.manager.commit(writer, Scheme::Https).map(|_| n)
        });
        holder.insert("count", &2u64).unwrap();
        f.manager.commit(holder, Scheme::Https).unwrap();
        waiting.join().unwrap()
    });
    // If the second writer got in before the holder's commit, it read 1 and
    // the holder's commit conflicted above; it can only have read 2.
    assert_eq!(next_writer.unwrap(), 2);
    let (count, _) = f.request(Some(&cookie), |s| s.get::<u64>("count").unwrap());
    assert_eq!(count, Some(3));
}

/// A session dropped without a commit gives its turn back, and so does
/// one that never loaded.
pub fn a_dropped_session_gives_its_turn_back<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("count", 1);
    let mut dropped = f.manager.load_with(Some(&cookie), Sequencing::FromLoad);
    dropped.insert("count", &5u64).unwrap();
    drop(dropped);
    let started = Instant::now();
    let (count, _) = f.request(Some(&cookie), |_| {
        let mut next = f.manager.load_with(Some(&cookie), Sequencing::FromLoad);
        next.get::<u64>("count").unwrap()
    });
    assert!(
        started.elapsed() < MAX_TURN_WAIT,
        "the turn was not given back"
    );
    assert_eq!(count, Some(1));
}

//! A create whose fresh ID already exists draws another, a bounded number of times.

use dynamodb_sessions::Scheme;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use dynamodb_sessions::testing::MemoryBackendTesting as _;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
        StorageKey, TouchOutcome,
    },
    BackendError, CommitError, SessionConfig, SessionManager,
};

/// Answers `AlreadyExists` to the first `collisions` creates, as if the drawn
/// IDs were taken; otherwise the memory backend.
struct Colliding {
    inner: MemoryBackend,
    collisions: AtomicU32,
    tried: Mutex<Vec<StorageKey>>,
}

impl Backend for Colliding {
    fn load(&self, key: &StorageKey, c: Consistency) -> Result<LoadOutcome, BackendError> {
        self.inner.load(key, c)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.tried.lock().unwrap().push(*key);
        let left = self.collisions.load(Ordering::SeqCst);
        if left > 0 {
            self.collisions.store(left - 1, Ordering::SeqCst);
            return Ok(CreateOutcome::AlreadyExists);
        }
        self.inner.create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        v: u64,
        r: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.inner.replace(key, v, r)
    }

    fn touch(
        &self,
        key: &StorageKey,
        v: u64,
        i: i64,
        e: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.inner.touch(key, v, i, e)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.inner.end(key, tombstone)
    }
}

/// Commits a new session through a backend reporting `collisions`
/// collisions; returns the result, the store, and how many distinct keys the
/// creates tried.
fn commit_new_session(
    collisions: u32,
) -> (Result<Option<String>, CommitError>, MemoryBackend, usize) {
    let inner = MemoryBackend::new();
    let backend = Arc::new(Colliding {
        inner: inner.clone(),
        collisions: AtomicU32::new(collisions),
        tried: Mutex::new(Vec::new()),
    });
    let manager = SessionManager::new(Arc::clone(&backend), SessionConfig::default());
    let mut session = manager.load(None);
    session.insert("n", &1).unwrap();
    let committed = manager.commit(session, Scheme::Http);
    let tried: HashSet<StorageKey> = backend.tried.lock().unwrap().iter().copied().collect();
    (committed, inner, tried.len())
}

#[test]
fn a_collision_draws_a_new_id() {
    let (committed, store, distinct) = commit_new_session(2);
    assert_eq!(distinct, 3, "every attempt drew a new ID");
    let set_cookie = committed.unwrap().expect("cookie");
    assert!(set_cookie.starts_with("session_id="));
    assert_eq!(store.len(), 1);
    assert_eq!(
        store.counts().creates,
        1,
        "only the third ID reached the store"
    );
}

#[test]
fn three_collisions_in_a_row_are_an_error() {
    let (committed, store, distinct) = commit_new_session(3);
    assert_eq!(distinct, 3);
    let err = committed.unwrap_err();
    assert!(
        matches!(err, CommitError::IdCollision { attempts: 3 }),
        "{err:?}"
    );
    assert!(store.is_empty());
}

//! A create whose fresh ID already exists draws another, a bounded number of times.

use dynamodb_sessions::Scheme;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use dynamodb_sessions::testing::CountingBackend;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{Backend, CreateOutcome, Forward, Record, StorageKey},
    BackendError, CommitError, SessionConfig, SessionManager,
};

/// Answers `AlreadyExists` to the first `collisions` creates, as if the drawn
/// IDs were taken; otherwise the memory backend, counting what reaches it.
struct Colliding {
    inner: Arc<CountingBackend<MemoryBackend>>,
    collisions: AtomicU32,
    tried: Mutex<Vec<StorageKey>>,
}

impl Forward for Colliding {
    type Inner = CountingBackend<MemoryBackend>;

    fn forward_to(&self) -> &Self::Inner {
        &self.inner
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.tried.lock().unwrap().push(*key);
        let left = self.collisions.load(Ordering::SeqCst);
        if left > 0 {
            self.collisions.store(left - 1, Ordering::SeqCst);
            return Ok(CreateOutcome::AlreadyExists);
        }
        self.inner.create(key, record)
    }
}

/// Commits a new session through a backend reporting `collisions`
/// collisions; returns the result, the store (counted), and how many
/// distinct keys the creates tried.
fn commit_new_session(
    collisions: u32,
) -> (
    Result<Option<String>, CommitError>,
    Arc<CountingBackend<MemoryBackend>>,
    usize,
) {
    let inner = Arc::new(CountingBackend::new(MemoryBackend::new()));
    let backend = Arc::new(Colliding {
        inner: Arc::clone(&inner),
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
    assert_eq!(store.inner().len(), 1);
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
    assert!(store.inner().is_empty());
}

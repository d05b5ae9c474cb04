//! A create is sent at most once per key: when a backend answers a create
//! with `BackendError::OutcomeUnknown` (its only attempt may still land),
//! commit gives the key up and creates the session under a new ID.

use std::sync::Mutex;
use std::time::Duration;

use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions_core::store::{
    Backend, Consistency, CreateOutcome, Forward, Record, StorageKey, Token,
};
use dynamodb_sessions_core::{
    store::Operation, BackendError, CommitError, Scheme, SessionConfig, SessionManager,
};

/// What the wrapper answers to the next creates.
#[derive(Clone, Copy)]
enum Answer {
    /// Applies the create, then says its outcome is unknown (an attempt
    /// that landed after the backend had looked).
    AppliedButUnknown,
    /// Applies nothing and says the outcome is unknown.
    Unknown,
    /// Applies nothing and reports a timeout.
    Timeout,
}

/// A memory store whose next creates get the scripted answers; every
/// create's key is kept.
struct LostCreates {
    inner: MemoryBackend,
    script: Mutex<Vec<Answer>>,
    creates: Mutex<Vec<StorageKey>>,
}

impl LostCreates {
    fn new(script: &[Answer]) -> Self {
        LostCreates {
            inner: MemoryBackend::new(),
            script: Mutex::new(script.iter().rev().copied().collect()),
            creates: Mutex::new(Vec::new()),
        }
    }

    fn creates(&self) -> Vec<StorageKey> {
        self.creates.lock().unwrap().clone()
    }
}

impl Forward for LostCreates {
    type Inner = MemoryBackend;

    fn forward_to(&self) -> &MemoryBackend {
        &self.inner
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.creates.lock().unwrap().push(*key);
        let unknown = BackendError::OutcomeUnknown {
            operation: Operation::Create,
        };
        match self.script.lock().unwrap().pop() {
            None => self.inner.create(key, record),
            Some(Answer::AppliedButUnknown) => {
                let _ = self.inner.create(key, record)?;
                Err(unknown)
            }
            Some(Answer::Unknown) => Err(unknown),
            Some(Answer::Timeout) => Err(BackendError::Timeout {
                operation: Operation::Create,
                after: Duration::from_secs(5),
            }),
        }
    }
}

fn manager_on(backend: &std::sync::Arc<LostCreates>) -> SessionManager {
    SessionManager::new(backend.clone(), SessionConfig::default())
}

/// The storage key of the token in a `Set-Cookie` header.
fn key_of(set_cookie: &str) -> StorageKey {
    let value = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value)
        .expect("a cookie");
    let token = value
        .split('/')
        .next()
        .and_then(Token::parse)
        .expect("a token");
    token.storage_key()
}

#[test]
fn an_unknown_create_moves_to_a_new_id() {
    for answer in [Answer::Unknown, Answer::AppliedButUnknown] {
        let backend = std::sync::Arc::new(LostCreates::new(&[answer]));
        let manager = manager_on(&backend);
        let mut session = manager.load(None);
        session.insert("cart", &3u32).unwrap();
        let cookie = manager
            .commit(session, Scheme::Http)
            .expect("created under a new ID")
            .expect("a cookie");
        let creates = backend.creates();
        assert_eq!(creates.len(), 2, "one create per key");
        assert_ne!(creates[0], creates[1], "the unknown key is given up");
        assert_eq!(key_of(&cookie), creates[1], "the cookie names the new key");

        let cookie_header = cookie.split(';').next().unwrap();
        let mut session = manager.load(Some(cookie_header));
        assert_eq!(session.get::<u32>("cart").unwrap(), Some(3));
    }
}

/// A login moves the session to the ID that was created, not the one given
/// up, and ends the old ID naming it.
#[test]
fn a_login_whose_create_is_unknown_moves_to_a_new_id() {
    let backend = std::sync::Arc::new(LostCreates::new(&[]));
    let manager = manager_on(&backend);
    let mut session = manager.load(None);
    session.insert("cart", &3u32).unwrap();
    let cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    let old_key = key_of(&cookie);
    let cookie = cookie.split(';').next().unwrap().to_owned();

    backend.script.lock().unwrap().push(Answer::Unknown);
    let mut session = manager.load(Some(&cookie));
    session.regenerate_id().unwrap();
    let new_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    let creates = backend.creates();
    assert_eq!(creates.len(), 3);
    assert_eq!(key_of(&new_cookie), creates[2]);
    let old = backend
        .load(&old_key, Consistency::Strong)
        .unwrap()
        .into_record()
        .unwrap();
    assert!(old.is_ended());
    assert_eq!(
        old.successor,
        Some(creates[2]),
        "the tombstone names the record made"
    );
    let mut session = manager.load(Some(new_cookie.split(';').next().unwrap()));
    assert_eq!(session.get::<u32>("cart").unwrap(), Some(3));
}

/// Only a create whose outcome is unknown moves on: after as many unknown
/// outcomes as commit tries keys, or any other error, the commit fails and
/// sends no cookie.
#[test]
fn other_create_errors_and_repeated_unknowns_fail_the_commit() {
    let backend = std::sync::Arc::new(LostCreates::new(&[Answer::Timeout]));
    let manager = manager_on(&backend);
    let mut session = manager.load(None);
    session.insert("n", &1u32).unwrap();
    assert!(matches!(
        manager.commit(session, Scheme::Http),
        Err(CommitError::Backend(BackendError::Timeout { .. }))
    ));
    assert_eq!(backend.creates().len(), 1);

    let backend = std::sync::Arc::new(LostCreates::new(&[Answer::Unknown; 10]));
    let manager = manager_on(&backend);
    let mut session = manager.load(None);
    session.insert("n", &1u32).unwrap();
    assert!(matches!(
        manager.commit(session, Scheme::Http),
        Err(CommitError::Backend(BackendError::OutcomeUnknown {
            operation: Operation::Create
        }))
    ));
    let creates = backend.creates();
    assert_eq!(creates.len(), 3, "a few keys, then the error");
    assert!(creates[0] != creates[1] && creates[1] != creates[2]);
}

//! A wrapper that, when armed, applies the next write and then loses its
//! answer: the write happened, and the caller gets an error.

use std::sync::Mutex;
use std::time::Duration;

use dynamodb_sessions_core::{
    store::Operation,
    store::{
        Backend, CreateOutcome, EndOutcome, Forward, Record, ReplaceOutcome, StorageKey,
        TouchOutcome,
    },
    BackendError,
};

/// Passes every call through; after [`arm`](Self::arm), the next write is
/// applied and answered with a timeout.
pub(crate) struct LostAnswers<B> {
    inner: B,
    /// Whose answer is lost next: any write's, or one operation's.
    armed: Mutex<Option<Option<Operation>>>,
}

impl<B: Backend> LostAnswers<B> {
    pub(crate) fn new(inner: B) -> Self {
        LostAnswers {
            inner,
            armed: Mutex::new(None),
        }
    }

    /// The next write's answer will be lost.
    pub(crate) fn arm(&self) {
        *self.armed.lock().unwrap() = Some(None);
    }

    /// The answer of the next write that is an `operation` will be lost.
    pub(crate) fn arm_for(&self, operation: Operation) {
        *self.armed.lock().unwrap() = Some(Some(operation));
    }

    fn answer<T>(
        &self,
        operation: Operation,
        result: Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        let mut armed = self.armed.lock().unwrap();
        let lost = match *armed {
            Some(None) => true,
            Some(Some(only)) => only == operation,
            None => false,
        };
        if lost {
            *armed = None;
            return Err(BackendError::Timeout {
                operation,
                after: Duration::from_millis(100),
            });
        }
        result
    }
}

impl<B: Backend> Forward for LostAnswers<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        &self.inner
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.answer(Operation::Create, self.inner.create(key, record))
    }

    fn forward_replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.answer(
            Operation::Replace,
            self.inner.replace(key, expected_version, record),
        )
    }

    fn forward_touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.answer(
            Operation::Touch,
            self.inner
                .touch(key, expected_version, issued_at, expires_at),
        )
    }

    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        self.answer(Operation::End, self.inner.end(key, tombstone))
    }
}

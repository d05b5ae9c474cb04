//! A wrapper whose eventually consistent reads lag behind, on any backend.

use dynamodb_sessions_core::{
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
        StorageKey, TouchOutcome,
    },
    BackendError,
};
use parking_lot::Mutex;
use std::collections::HashMap;

/// Serves eventually consistent reads from what each record was before the
/// last write made through this wrapper (nothing, for a record it created),
/// the way a lagging DynamoDB replica can. Strong reads go through.
///
/// Lets the read-your-writes fallback be tested on backends, such as DynamoDB
/// Local, whose eventual reads are never stale.
pub struct LaggingReads<B> {
    inner: B,
    before_last_write: Mutex<HashMap<StorageKey, LoadOutcome>>,
}

impl<B: Backend> LaggingReads<B> {
    /// Wraps `inner`.
    pub fn new(inner: B) -> Self {
        LaggingReads {
            inner,
            before_last_write: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, key: &StorageKey) -> Result<(), BackendError> {
        let before = self.inner.load(key, Consistency::Strong)?;
        self.before_last_write.lock().insert(*key, before);
        Ok(())
    }
}

impl<B: Backend> Backend for LaggingReads<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        if consistency == Consistency::Eventual {
            let lagging = self.before_last_write.lock();
            if let Some(before) = lagging.get(key) {
                return Ok(before.clone());
            }
        }
        self.inner.load(key, consistency)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.remember(key)?;
        self.inner.create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.remember(key)?;
        self.inner.replace(key, expected_version, record)
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.remember(key)?;
        self.inner
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.remember(key)?;
        self.inner.end(key, tombstone)
    }
}

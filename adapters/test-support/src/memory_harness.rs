//! The suite's harness for [`MemoryBackend`].

use dynamodb_sessions::store::StorageKey;
use dynamodb_sessions::testing::MemoryBackendTesting as _;
use dynamodb_sessions::MemoryBackend;

use dynamodb_sessions_conformance::{Corruption, Harness};

/// Runs the suite on [`MemoryBackend`], a fresh map per case.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryHarness;

impl Harness for MemoryHarness {
    type Backend = MemoryBackend;

    fn fresh_backend(&self) -> MemoryBackend {
        MemoryBackend::new()
    }

    fn put_corrupt(&self, backend: &MemoryBackend, key: &StorageKey, corruption: Corruption) {
        let reason = match corruption {
            Corruption::MissingVersion => "missing attribute ver",
            Corruption::WrongVersionType => "attribute ver is not a number",
            Corruption::MissingData => "missing attribute dat",
            Corruption::WrongExpiryType => "attribute exp is not a number",
            other => panic!("no way to plant {other:?} yet"),
        };
        backend.insert_corrupt(*key, reason);
    }
}

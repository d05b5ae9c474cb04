//! What a backend must provide to run the suite.

use dynamodb_sessions_core::store::{Backend, StorageKey};

/// A way to corrupt an item that [`Backend`] itself cannot express, because
/// its records are always well-formed. A foreign writer can still leave such
/// items in a shared table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The item lacks its `ver` attribute.
    MissingVersion,
    /// The item's `ver` attribute is text instead of a number.
    WrongVersionType,
    /// The item lacks its `dat` attribute.
    MissingData,
    /// The item's `exp` attribute is text instead of a number.
    WrongExpiryType,
}

/// Connects the suite to one backend.
///
/// ```
/// use dynamodb_sessions_core::store::StorageKey;
/// use dynamodb_sessions::testing::MemoryBackendTesting as _;
/// use dynamodb_sessions::MemoryBackend;
/// use dynamodb_sessions_conformance::{Corruption, Harness};
///
/// struct Memory;
///
/// impl Harness for Memory {
///     type Backend = MemoryBackend;
///
///     fn fresh_backend(&self) -> MemoryBackend {
///         MemoryBackend::new()
///     }
///
///     fn put_corrupt(&self, backend: &MemoryBackend, key: &StorageKey, corruption: Corruption) {
///         backend.insert_corrupt(*key, &format!("{corruption:?}"));
///     }
/// }
/// ```
pub trait Harness {
    /// The backend under test.
    type Backend: Backend + 'static;

    /// A backend on a fresh, empty store (a new table, a new map), so that
    /// cases cannot see each other's records.
    fn fresh_backend(&self) -> Self::Backend;

    /// Writes an item under `key`, bypassing the backend's own checks, that
    /// is broken in the way `corruption` says.
    fn put_corrupt(&self, backend: &Self::Backend, key: &StorageKey, corruption: Corruption);
}

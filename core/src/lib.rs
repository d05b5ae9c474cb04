//! The core of `dynamodb-sessions`, for backend authors. Applications depend
//! on the `dynamodb-sessions` crate, which re-exports this one's API with
//! the backends and the server glue.
//!
//! The session data lives in a store behind the synchronous
//! [`store::Backend`] trait (DynamoDB or memory, in `dynamodb-sessions`); the
//! browser holds only a cookie `<token>/<version>`, where the token is 256
//! random bits and the store keys records by the token's SHA-256.
//!
//! A request makes two calls on a [`SessionManager`]: [`SessionManager::load`]
//! with the `Cookie` header, and [`SessionManager::commit`] at the end, which
//! returns the `Set-Cookie` header to send; [the state
//! table](SessionManager#what-commit-writes) says what each kind of request
//! writes. In between, the [`Session`] is read and written like a map of
//! serde values, plus flash messages and CSRF tokens. Nothing in this crate
//! does I/O except through the backend.
//!
//! On a global table served from several regions, [`regions::HomeRouted`]
//! sends every call for a session to its home region, named by its ID.
//!
//! A store of your own implements [`store::Backend`] (its docs give the
//! contract, method by method) and proves it with the
//! `dynamodb-sessions-conformance` crate's suite, which depends on this
//! crate only. The application guide is the `dynamodb-sessions` crate's
//! documentation.
//!
//! ```
//! use dynamodb_sessions_core::Scheme;
//! use dynamodb_sessions_core::{SessionConfig, SessionManager};
//! use dynamodb_sessions::MemoryBackend;
//!
//! let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
//! let mut session = manager.load(Some("session_id=garbage"));
//! let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//! session.insert("visits", &visits)?;
//! let set_cookie = manager.commit(session, Scheme::Https)?;
//! assert!(set_cookie.unwrap().starts_with("session_id="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backend;
mod call_counts;
mod clock;
mod codec;
mod commit;
mod config;
mod csrf;
mod error;
mod flash;
mod forward;
mod item_size;
mod lagging_reads;
mod manager;
mod monotonic;
mod read_cache;
mod record;
pub mod regions;
mod scheme;
mod seal;
mod sequencer;
mod session;
mod session_cookie;
mod stats;
mod token;
pub mod users;

// What applications use.
pub use backend::BackendError;
pub use config::{
    ConfigError, DataEncoding, DataProtection, SameSite, Secure, SessionConfig,
    SessionConfigBuilder,
};
pub use error::{CommitError, EncodeError, SessionError};
pub use manager::SessionManager;
pub use scheme::Scheme;
pub use sequencer::{Sequencing, MAX_TURN_WAIT};
pub use session::Session;
pub use stats::SessionStats;

pub(crate) use backend::Operation;
pub(crate) use backend::{
    Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, ReplaceOutcome, TouchOutcome,
};
pub(crate) use clock::{Clock, SystemClock};
pub(crate) use error::RandomError;
pub(crate) use item_size::ensure_item_fits_with_reissue_room;
pub(crate) use record::{Record, StoredData};
pub(crate) use token::{StorageKey, Token};

/// What a storage backend implements and uses: the [`store::Backend`]
/// trait (and [`store::Forward`] for wrappers), the [`store::Record`] it stores, the typed outcomes of its
/// conditional writes, and DynamoDB's item-size rules, which every backend
/// applies the same way.
pub mod store {
    pub use crate::backend::{
        ensure_version_grows, Backend, BackendError, BoxError, Consistency, CreateOutcome,
        EndOutcome, LoadOutcome, Operation, ReplaceOutcome, TouchOutcome,
    };
    pub use crate::error::RandomError;
    pub use crate::forward::Forward;
    pub use crate::item_size::{
        ensure_item_fits, item_size, MAX_ITEM_SIZE, WRITE_ID_ATTRIBUTE, WRITE_ID_LEN,
    };
    pub use crate::record::{Record, StoredData};
    pub use crate::token::{StorageKey, Token, TOKEN_LEN};
}

/// The read cache: a [`ReadCache`](cache::ReadCache) in front of a backend
/// answers a page load's repeated reads without a store call, each at most
/// [`max_staleness`](cache::CacheSettings::max_staleness) old.
pub mod cache {
    pub use crate::read_cache::{CacheSettings, CacheStats, Coalescing, ReadCache};
}

/// Clocks, and helpers for testing session logic and backends: the
/// [`Clock`] a manager reads the time from (the system's by
/// default) and the [`MonotonicClock`](testing::MonotonicClock) a read cache
/// times staleness on, clocks moved by hand, and backend wrappers that
/// count calls and make eventual reads lag.
pub mod testing {
    pub use crate::call_counts::{CallCounts, CountingBackend};
    pub use crate::clock::{Clock, ManualClock, SystemClock};
    pub use crate::lagging_reads::{LaggingReads, StaleReads};
    pub use crate::monotonic::{ManualMonotonicClock, MonotonicClock, SystemMonotonicClock};
}

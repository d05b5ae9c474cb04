//! Server-side web sessions for blocking Rust servers.
//!
//! The session data lives in a store behind the synchronous [`Backend`]
//! trait (DynamoDB or memory, in the `dynamodb-sessions-adapters` crate); the
//! browser holds only a cookie `<token>/<version>`, where the token is 256
//! random bits and the store keys records by the token's SHA-256.
//!
//! A request makes two calls on a [`SessionManager`]: [`SessionManager::load`]
//! with the `Cookie` header, and [`SessionManager::commit`] at the end, which
//! returns the `Set-Cookie` header to send. In between, the [`Session`] is read
//! and written like a map of serde values, plus flash messages and CSRF
//! tokens. Nothing in this crate does I/O except through the backend.
//!
//! ```
//! use dynamodb_sessions::{SessionConfig, SessionManager};
//! use dynamodb_sessions_adapters::MemoryBackend;
//!
//! let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
//! let mut session = manager.load(Some("session_id=garbage"));
//! let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//! session.insert("visits", &visits)?;
//! let set_cookie = manager.commit(session, true)?;
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
mod item_size;
mod manager;
mod record;
mod session;
mod session_cookie;
mod token;

pub use backend::{
    ensure_version_grows, Backend, BackendError, BoxError, Consistency, CreateOutcome, EndOutcome,
    Operation, ReplaceOutcome, TouchOutcome,
};
pub use call_counts::{CallCounter, CallCounts, CountingBackend};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ConfigError, DataEncoding, SameSite, SessionConfig, SessionConfigBuilder};
pub use error::{CommitError, SessionError};
pub(crate) use item_size::ensure_item_fits_with_reissue_room;
pub use item_size::{ensure_item_fits, item_size, MAX_ITEM_SIZE, WRITE_ID_ATTRIBUTE, WRITE_ID_LEN};
pub use manager::SessionManager;
pub use record::{Record, StoredData};
pub use session::Session;
pub use token::{StorageKey, Token, TOKEN_LEN};

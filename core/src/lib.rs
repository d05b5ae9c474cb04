//! Server-side web sessions for blocking Rust servers.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backend;
mod item_size;
mod record;
mod token;

pub use backend::{
    Backend, BackendError, BoxError, Consistency, CreateOutcome, Operation, ReplaceOutcome,
    TouchOutcome,
};
pub use item_size::{item_size, MAX_ITEM_SIZE};
pub use record::{Record, StoredData};
pub use token::{StorageKey, Token, TOKEN_LEN};

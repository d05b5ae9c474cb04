//! The DynamoDB backends' logic, written once for every client.
//!
//! A client implements [`Wire`] (GetItem, PutItem, UpdateItem,
//! TransactWriteItems, Query, Scan, DeleteItem: one attempt each, its failure classified as a
//! [`Failure`]), [`Attribute`] for its
//! attribute values and [`ProvisionWire`] for the control plane. Everything
//! else is here: the item layout (`item`), the write conditions
//! (`condition`), retries under one deadline per call (`retry`), the
//! decision of a write whose answer was lost (`outcome`), the operations
//! ([`SessionTable`], users' sessions in `user_table`, the sweep of
//! expired items in `sweep`), provisioning (`provision`) and the blocking API on an
//! owned runtime ([`BlockingTable`]).

mod attribute;
mod blocking;
mod condition;
mod failure;
pub(crate) mod item;
mod outcome;
mod provision;
mod replication;
mod retry;
mod runtime;
mod session_table;
mod sweep;
mod transaction;
pub(crate) mod user_items;
mod user_table;
mod wire;

pub(crate) use attribute::{Attribute, Item};
pub(crate) use blocking::BlockingTable;
#[cfg(test)]
pub(crate) use failure::{assert_hides_planted_text, PLANTED_TEXT};
pub(crate) use failure::{classify_code, Failure};
#[cfg(feature = "dynamodb")]
pub(crate) use provision::TtlRefused;
pub(crate) use provision::{provisioned, ProvisionWire, TableState, TtlState};
pub(crate) use runtime::OwnedRuntime;
pub(crate) use session_table::SessionTable;
#[cfg(feature = "dynamodb")]
pub(crate) use transaction::codes_in_message;
pub(crate) use transaction::{cancellation, ConditionsFailed, TransactWrite};
pub(crate) use wire::{is_missing_index_message, Expression, Page, Scan, ScanPage, Wire};

pub use provision::{ProvisionError, ProvisionReport, TtlStatus};
pub use replication::{TableReplication, TransactionsUnsupported};
pub use retry::RetryConfig;
pub(crate) use sweep::unix_now;
pub use sweep::{SweepCursor, SweepOptions, SweepReport};

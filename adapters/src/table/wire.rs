//! What the shared logic needs of a DynamoDB client: the data-plane
//! requests, each one attempt, its failure already classified. A backend
//! implements [`Wire`] by building its client's request from these parts and
//! mapping the answer; retries, deadlines, conditions and the decision of
//! ambiguous writes stay in [`SessionTable`](super::SessionTable).

use std::collections::HashMap;
use std::future::Future;

use super::attribute::{Attribute, Item};
use super::failure::Failure;
use super::transaction::{ConditionsFailed, TransactWrite};

/// A condition (and, for an update, update) expression with the
/// placeholders it uses. `values` may be empty: DynamoDB refuses an empty
/// map, so a client then sends none.
#[derive(Debug, Clone)]
pub(crate) struct Expression<A> {
    /// The condition expression.
    pub(crate) condition: String,
    /// `#name` placeholders to attribute names.
    pub(crate) names: HashMap<String, String>,
    /// `:value` placeholders to values.
    pub(crate) values: Item<A>,
}

impl<A: Clone> Expression<A> {
    /// The values as a client sends them: none rather than an empty map.
    pub(crate) fn values_if_any(&self) -> Option<Item<A>> {
        Some(self.values.clone()).filter(|values| !values.is_empty())
    }
}

/// One DynamoDB client's way to send the data-plane requests.
pub(crate) trait Wire: Send + Sync + 'static {
    /// The client's attribute value type.
    type Value: Attribute;

    /// One GetItem attempt: the item under `key`, if any.
    fn get_item(
        &self,
        table: &str,
        key: Item<Self::Value>,
        consistent: bool,
    ) -> impl Future<Output = Result<Option<Item<Self::Value>>, Failure>> + Send;

    /// One conditional PutItem attempt.
    fn put_item(
        &self,
        table: &str,
        item: Item<Self::Value>,
        condition: &Expression<Self::Value>,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// One conditional UpdateItem attempt; `update` may use the condition's
    /// placeholders.
    fn update_item(
        &self,
        table: &str,
        key: Item<Self::Value>,
        update: &str,
        condition: &Expression<Self::Value>,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// One TransactWriteItems attempt of `writes` on `table`, under the
    /// idempotency token `token` (the same for every attempt of one call).
    /// `Ok(Err(_))`: cancelled because conditions failed, nothing written.
    fn transact_write(
        &self,
        table: &str,
        writes: Vec<TransactWrite<Self::Value>>,
        token: &str,
    ) -> impl Future<Output = Result<Result<(), ConditionsFailed>, Failure>> + Send;

    /// One Query attempt on the index `index` of `table`: the page of items
    /// matching `key_condition` from `start` on. `Ok(None)` when the table
    /// has no such index.
    fn query(
        &self,
        table: &str,
        index: &str,
        key_condition: &Expression<Self::Value>,
        start: Option<Item<Self::Value>>,
    ) -> impl Future<Output = Result<Option<Page<Self::Value>>, Failure>> + Send;

    /// One Scan attempt on `table`: the page `scan` asks for, eventually
    /// consistent, with the capacity it consumed.
    fn scan(
        &self,
        table: &str,
        scan: &Scan<Self::Value>,
    ) -> impl Future<Output = Result<ScanPage<Self::Value>, Failure>> + Send;

    /// One conditional DeleteItem attempt: the write capacity units it
    /// consumed, when DynamoDB said.
    fn delete_item(
        &self,
        table: &str,
        key: Item<Self::Value>,
        condition: &Expression<Self::Value>,
    ) -> impl Future<Output = Result<Option<f64>, Failure>> + Send;
}

/// One page of a Scan as the sweeper asks for it.
#[derive(Debug, Clone)]
pub(crate) struct Scan<A> {
    /// The filter expression; its names serve the projection too.
    pub(crate) filter: Expression<A>,
    /// The projection expression (only what the caller reads).
    pub(crate) projection: String,
    /// Where the page starts (`ExclusiveStartKey`), if not at the beginning.
    pub(crate) start: Option<Item<A>>,
    /// How many items the page reads at most (`Limit`), before the filter.
    pub(crate) limit: u32,
    /// The part of a parallel scan, as (`Segment`, `TotalSegments`).
    pub(crate) segment: Option<(u32, u32)>,
}

/// One page of a Scan's answer.
#[derive(Debug, Clone)]
pub(crate) struct ScanPage<A> {
    /// The items that passed the filter, projected.
    pub(crate) items: Vec<Item<A>>,
    /// Where the next page starts (`LastEvaluatedKey`), if there is one.
    pub(crate) next: Option<Item<A>>,
    /// How many items the page read before the filter (`ScannedCount`).
    pub(crate) scanned: u64,
    /// The read capacity units it consumed, when DynamoDB said.
    pub(crate) read_units: Option<f64>,
}

/// One page of a query's answer.
#[derive(Debug, Clone)]
pub(crate) struct Page<A> {
    /// The items.
    pub(crate) items: Vec<Item<A>>,
    /// Where the next page starts (`LastEvaluatedKey`), if there is one.
    pub(crate) next: Option<Item<A>>,
}

/// Whether a `ValidationException`'s message says the queried index does
/// not exist: DynamoDB says "The table does not have the specified index".
pub(crate) fn is_missing_index_message(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("does not have the specified index")
}

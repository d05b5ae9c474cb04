//! What the shared logic needs of a DynamoDB client: the three data-plane
//! requests, each one attempt, its failure already classified. A backend
//! implements [`Wire`] by building its client's request from these parts and
//! mapping the answer; retries, deadlines, conditions and the decision of
//! ambiguous writes stay in [`SessionTable`](super::SessionTable).

use std::collections::HashMap;
use std::future::Future;

use super::attribute::{Attribute, Item};
use super::failure::Failure;

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
}

//! The conditions of the backend's writes, as DynamoDB expressions.

use std::collections::HashMap;

use dynamodb_sessions_core::store::Record;

use super::attribute::{Attribute, Item};
use super::item::{EXP, ISS, SID, VER};
use super::wire::Expression;

/// What a conditional put requires of the stored item.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Condition {
    /// No item under the key (create).
    Absent,
    /// The item is at this version (replace, or a login's tombstone).
    AtVersion(u64),
    /// A live item: present and not ended (logout).
    Live,
}

impl Condition {
    /// The version the write starts from, if it names one.
    pub(crate) fn expected(self) -> Option<u64> {
        match self {
            Condition::AtVersion(version) => Some(version),
            Condition::Absent | Condition::Live => None,
        }
    }

    /// The condition expression with its placeholders; placeholders keep
    /// clear of DynamoDB's reserved words.
    pub(crate) fn expression<A: Attribute>(self) -> Expression<A> {
        match self {
            Condition::Absent => Expression {
                condition: format!("attribute_not_exists(#{SID})"),
                names: names(&[SID]),
                values: Item::new(),
            },
            Condition::AtVersion(version) => Expression {
                condition: format!("#{VER} = :expected"),
                names: names(&[VER]),
                values: Item::from([(":expected".to_owned(), A::number(version))]),
            },
            // A corrupt item without `ver` is ended too.
            Condition::Live => Expression {
                condition: format!(
                    "attribute_exists(#{SID}) AND (attribute_not_exists(#{VER}) OR #{VER} <> :ended)"
                ),
                names: names(&[SID, VER]),
                values: Item::from([(":ended".to_owned(), A::number(Record::ENDED_VERSION))]),
            },
        }
    }
}

/// A touch: the update expression, and its condition that the item is at
/// `expected_version` and issued before `issued_at`.
pub(crate) fn touch<A: Attribute>(
    expected_version: u64,
    issued_at: i64,
    expires_at: i64,
) -> (String, Expression<A>) {
    let update = format!("SET #{ISS} = :iss, #{EXP} = :exp");
    let condition = Expression {
        condition: format!("#{VER} = :expected AND #{ISS} < :iss"),
        names: names(&[VER, ISS, EXP]),
        values: Item::from([
            (":expected".to_owned(), A::number(expected_version)),
            (":iss".to_owned(), A::number(issued_at)),
            (":exp".to_owned(), A::number(expires_at)),
        ]),
    };
    (update, condition)
}

fn names(attributes: &[&str]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|name| (format!("#{name}"), (*name).to_owned()))
        .collect()
}

//! The items and requests of users' sessions: a user's generation item,
//! its conditional increment, and the user index's entries.
//!
//! | item | `sid` (B) | attributes |
//! | --- | --- | --- |
//! | a user's generation | `0x55` and the user's 32-byte pseudonym, 33 bytes | `gen` (N); never `exp`, so never removed by TTL |
//!
//! The user index (`usr-index`) is a global secondary index on `usr`; only
//! records with a user have `usr`, so it holds nothing else (tombstones,
//! generation items, records of pyramid-dynamodb-sessions).

use std::collections::HashMap;

use dynamodb_sessions_core::{
    store::{Record, StorageKey, StoredData},
    users::{Listed, UserRef},
    BackendError,
};

use super::attribute::{Attribute, Item};
use super::item::{
    optional_number, required_number, user_stamp, CRT, EXP, ISS, SID, UEP, UIN, USR, VER,
};
use super::wire::Expression;

/// The generation attribute of a user's generation item.
pub(crate) const GEN: &str = "gen";

/// The name of the user index.
pub(crate) const USER_INDEX: &str = "usr-index";

/// The attributes the user index projects besides the keys (`sid`, `usr`):
/// what a listing shows, without the session's data.
pub(crate) const USER_INDEX_PROJECTION: [&str; 6] = [VER, ISS, EXP, CRT, UEP, UIN];

/// The key of `user`'s generation item.
pub(crate) fn generation_key<A: Attribute>(user: &UserRef) -> Item<A> {
    HashMap::from([(SID.to_owned(), A::binary(&user.generation_key()))])
}

/// The generation a generation item holds; 0 for no item.
///
/// # Errors
///
/// [`BackendError::Corrupt`] when the item has no readable `gen`.
pub(crate) fn generation_of<A: Attribute>(item: Option<&Item<A>>) -> Result<u64, BackendError> {
    item.map_or(Ok(0), |item| required_number(item, GEN))
}

/// The update of an advance from `expected`, and its condition that the
/// generation is still `expected` (no item for 0).
///
/// # Errors
///
/// [`BackendError::Corrupt`] when `expected` is the largest generation: no
/// next one exists, and only a corrupt item holds it.
pub(crate) fn advance<A: Attribute>(
    expected: u64,
) -> Result<(String, Expression<A>), BackendError> {
    let next = expected
        .checked_add(1)
        .ok_or_else(|| BackendError::Corrupt {
            reason: "a user's generation is at its maximum".into(),
        })?;
    let update = format!("SET #{GEN} = :next");
    let mut values = Item::from([(":next".to_owned(), A::number(next))]);
    let (condition, name) = if expected == 0 {
        (format!("attribute_not_exists(#{SID})"), SID)
    } else {
        values.insert(":expected".to_owned(), A::number(expected));
        (format!("#{GEN} = :expected"), GEN)
    };
    let names = HashMap::from([
        (format!("#{GEN}"), GEN.to_owned()),
        (format!("#{name}"), name.to_owned()),
    ]);
    Ok((
        update,
        Expression {
            condition,
            names,
            values,
        },
    ))
}

/// The key condition of a query of `user`'s entries in the user index.
pub(crate) fn user_query<A: Attribute>(user: &UserRef) -> Expression<A> {
    Expression {
        condition: format!("#{USR} = :usr"),
        names: HashMap::from([(format!("#{USR}"), USR.to_owned())]),
        values: Item::from([(":usr".to_owned(), A::binary(user.as_bytes()))]),
    }
}

/// A listing entry from an item of the user index; `None` for an item
/// without a user stamp (none should be in a sparse index) or a key that is
/// not a session's.
///
/// # Errors
///
/// [`BackendError::Corrupt`] when an attribute is malformed; the reason
/// names it, never a value.
pub(crate) fn listed<A: Attribute>(item: &Item<A>) -> Result<Option<Listed>, BackendError> {
    let Some(stamp) = user_stamp(item)? else {
        return Ok(None);
    };
    let Some(key) = item
        .get(SID)
        .and_then(A::as_binary)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
    else {
        return Ok(None);
    };
    // A listing shows no data: the index does not hold it.
    let record = Record::new(
        required_number(item, VER)?,
        required_number(item, ISS)?,
        required_number(item, EXP)?,
        StoredData::Cbor(Vec::new()),
    )
    .created_at(optional_number(item, CRT)?)
    .user(Some(stamp));
    Ok(Listed::of(StorageKey::from_bytes(key), &record))
}

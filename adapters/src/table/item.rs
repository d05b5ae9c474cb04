//! Mapping a [`Record`] to a DynamoDB item and back.
//!
//! | attribute | type | field |
//! | --- | --- | --- |
//! | `sid` | B | the 32-byte [`StorageKey`] (hash key) |
//! | `ver` | N | [`Record::version`] |
//! | `iss` | N | [`Record::issued_at`] |
//! | `exp` | N | [`Record::expires_at`] (the table's TTL attribute) |
//! | `crt` | N | [`Record::created_at`], absent when `None` |
//! | `dat` | B or S | [`StoredData::Cbor`] as B, [`StoredData::Json`] as S |
//! | `nxt` | B | [`Record::successor`], only in a login's tombstone |
//! | `wid` | B | the write's identity, added by the backend to every put |
//! | `usr` | B | [`UserStamp::user`], the user's 32-byte pseudonym (the user index's key) |
//! | `uep` | N | [`UserStamp::generation`] |
//! | `uin` | B | [`UserStamp::sealed`] |
//!
//! The three user attributes are all there (a record with a
//! [`Record::user`]) or none. A user's generation item is another kind of
//! item (see `user_items.rs`).

use std::collections::HashMap;

use super::attribute::{Attribute, Item};
use super::outcome::Stored;
use dynamodb_sessions_core::{
    store::Operation,
    store::{Record, StorageKey, StoredData, WRITE_ID_ATTRIBUTE, WRITE_ID_LEN},
    users::{UserRef, UserStamp},
    BackendError,
};

/// The hash key attribute.
pub(crate) const SID: &str = "sid";
/// The version attribute.
pub(crate) const VER: &str = "ver";
/// The issued-at attribute.
pub(crate) const ISS: &str = "iss";
/// The expiry attribute, the table's TTL attribute.
pub(crate) const EXP: &str = "exp";
/// The created-at attribute.
pub(crate) const CRT: &str = "crt";
/// The data attribute.
pub(crate) const DAT: &str = "dat";
/// The write identity attribute.
pub(crate) const WID: &str = WRITE_ID_ATTRIBUTE;
/// The successor attribute of a login's tombstone.
pub(crate) const NXT: &str = "nxt";
/// The user's pseudonym, the user index's hash key.
pub(crate) const USR: &str = "usr";
/// The user's generation at login.
pub(crate) const UEP: &str = "uep";
/// The user id and label, sealed.
pub(crate) const UIN: &str = "uin";

/// The key of the item that stores `key`'s session.
pub(crate) fn key_item<A: Attribute>(key: &StorageKey) -> Item<A> {
    HashMap::from([(SID.to_owned(), A::binary(key.as_bytes()))])
}

/// The full item that stores `record` under `key`.
///
/// # Errors
///
/// [`BackendError::Rejected`] for a data encoding this backend does not know
/// how to store (`StoredData` may grow variants).
pub(crate) fn to_item<A: Attribute>(
    operation: Operation,
    key: &StorageKey,
    record: &Record,
) -> Result<Item<A>, BackendError> {
    let mut item = key_item(key);
    item.insert(VER.to_owned(), A::number(record.version));
    item.insert(ISS.to_owned(), A::number(record.issued_at));
    item.insert(EXP.to_owned(), A::number(record.expires_at));
    if let Some(created_at) = record.created_at {
        item.insert(CRT.to_owned(), A::number(created_at));
    }
    let data = match &record.data {
        StoredData::Cbor(bytes) => A::binary(bytes),
        StoredData::Json(text) => A::string(text),
        _ => {
            return Err(BackendError::Rejected {
                operation,
                source: "this backend cannot store the session data's encoding".into(),
            })
        }
    };
    item.insert(DAT.to_owned(), data);
    if let Some(successor) = &record.successor {
        item.insert(NXT.to_owned(), A::binary(successor.as_bytes()));
    }
    if let Some(stamp) = &record.user {
        item.insert(USR.to_owned(), A::binary(stamp.user.as_bytes()));
        item.insert(UEP.to_owned(), A::number(stamp.generation));
        item.insert(UIN.to_owned(), A::binary(&stamp.sealed));
    }
    Ok(item)
}

/// The version and write identity of a stored item, for deciding a write
/// whose answer was lost. A missing or malformed `wid` is no identity (items
/// written by pyramid-dynamodb-sessions have none).
///
/// # Errors
///
/// [`BackendError::Corrupt`] when `ver` is missing or unreadable.
pub(crate) fn stored_identity<A: Attribute>(item: &Item<A>) -> Result<Stored, BackendError> {
    let write_id = item
        .get(WID)
        .and_then(A::as_binary)
        .and_then(|bytes| <[u8; WRITE_ID_LEN]>::try_from(bytes).ok());
    Ok(Stored {
        version: required_number(item, VER)?,
        write_id,
    })
}

/// Reads a record back from a stored item.
///
/// # Errors
///
/// [`BackendError::Corrupt`] when an attribute is missing or has the wrong
/// type or an unreadable number. The reason names the attribute, never the
/// key's bytes or the data.
pub(crate) fn from_item<A: Attribute>(item: &Item<A>) -> Result<Record, BackendError> {
    let data = match item.get(DAT) {
        None => return Err(corrupt(format!("attribute `{DAT}` is missing"))),
        Some(value) => match (value.as_binary(), value.as_string()) {
            (Some(bytes), _) => StoredData::Cbor(bytes.to_vec()),
            (None, Some(text)) => StoredData::Json(text.to_owned()),
            (None, None) => {
                return Err(corrupt(format!(
                    "attribute `{DAT}` is neither binary (B) nor a string (S)"
                )))
            }
        },
    };
    let successor = match item.get(NXT) {
        None => None,
        Some(value) => {
            let bytes = value
                .as_binary()
                .ok_or_else(|| corrupt(format!("attribute `{NXT}` is not binary (B)")))?;
            Some(StorageKey::from_bytes(bytes.try_into().map_err(|_| {
                corrupt(format!("attribute `{NXT}` is not 32 bytes"))
            })?))
        }
    };
    Ok(Record::new(
        required_number(item, VER)?,
        required_number(item, ISS)?,
        required_number(item, EXP)?,
        data,
    )
    .created_at(optional_number(item, CRT)?)
    .successor(successor)
    .user(user_stamp(item)?))
}

/// The user stamp of a stored item (a record, or its entry in the user
/// index): `None` when it has none of the three user attributes.
///
/// # Errors
///
/// [`BackendError::Corrupt`] when only some of them are there, or one has
/// the wrong type or size. The reason names the attributes, never a value.
pub(crate) fn user_stamp<A: Attribute>(item: &Item<A>) -> Result<Option<UserStamp>, BackendError> {
    let (user, generation, sealed) = match (item.get(USR), item.get(UEP), item.get(UIN)) {
        (None, None, None) => return Ok(None),
        (Some(user), Some(_), Some(sealed)) => (user, required_number(item, UEP)?, sealed),
        _ => {
            return Err(corrupt(format!(
                "the user attributes `{USR}`, `{UEP}` and `{UIN}` are not all there"
            )))
        }
    };
    let user = user
        .as_binary()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| corrupt(format!("attribute `{USR}` is not 32 bytes of binary (B)")))?;
    let sealed = sealed
        .as_binary()
        .ok_or_else(|| corrupt(format!("attribute `{UIN}` is not binary (B)")))?;
    Ok(Some(UserStamp::new(
        UserRef::from_bytes(user),
        generation,
        sealed.to_vec(),
    )))
}

fn corrupt(reason: String) -> BackendError {
    BackendError::Corrupt { reason }
}

pub(crate) fn required_number<T: std::str::FromStr, A: Attribute>(
    item: &Item<A>,
    name: &str,
) -> Result<T, BackendError> {
    optional_number(item, name)?.ok_or_else(|| corrupt(format!("attribute `{name}` is missing")))
}

pub(crate) fn optional_number<T: std::str::FromStr, A: Attribute>(
    item: &Item<A>,
    name: &str,
) -> Result<Option<T>, BackendError> {
    let Some(value) = item.get(name) else {
        return Ok(None);
    };
    let text = value
        .as_number()
        .ok_or_else(|| corrupt(format!("attribute `{name}` is not a number (N)")))?;
    text.parse().map(Some).map_err(|_| {
        corrupt(format!(
            "attribute `{name}` is not an integer in the expected range"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::attribute::TestValue;

    type Item = super::Item<TestValue>;

    fn record(data: StoredData, created_at: Option<i64>) -> Record {
        Record::new(7, 1_700_000_000, 1_700_001_200, data).created_at(created_at)
    }

    #[test]
    fn round_trips_both_encodings_with_and_without_crt() {
        let key = StorageKey::from_bytes([9; 32]);
        for record in [
            record(
                StoredData::Cbor(vec![0xa1, 0x61, 0x61, 0x01]),
                Some(1_699_999_000),
            ),
            record(StoredData::Json("{\"a\": 1}".into()), None),
            record(StoredData::Cbor(Vec::new()), None),
        ] {
            let item: Item = to_item(Operation::Create, &key, &record).expect("storable");
            assert_eq!(item[SID].as_binary(), Some(&[9u8; 32][..]));
            assert_eq!(item.contains_key(CRT), record.created_at.is_some());
            assert_eq!(from_item(&item).expect("well-formed"), record);
        }
    }

    #[test]
    fn attribute_types_are_exact() {
        let key = StorageKey::from_bytes([1; 32]);
        let item: Item = to_item(
            Operation::Create,
            &key,
            &record(StoredData::Cbor(vec![1]), Some(5)),
        )
        .expect("storable");
        assert_eq!(item[VER].as_number(), Some("7"));
        assert_eq!(item[ISS].as_number(), Some("1700000000"));
        assert_eq!(item[EXP].as_number(), Some("1700001200"));
        assert_eq!(item[CRT].as_number(), Some("5"));
        assert!(matches!(item[DAT], TestValue::B(_)));
        let item: Item = to_item(
            Operation::Create,
            &key,
            &record(StoredData::Json("{}".into()), None),
        )
        .expect("storable");
        assert_eq!(item[DAT].as_string(), Some("{}"));
    }

    #[test]
    fn malformed_items_are_corrupt_without_leaking_the_key() {
        let key = StorageKey::from_bytes([0xab; 32]);
        let good: Item = to_item(
            Operation::Create,
            &key,
            &record(StoredData::Cbor(vec![1]), Some(1)),
        )
        .expect("storable");
        let mut cases: Vec<(Item, &str)> = Vec::new();
        for name in [VER, ISS, EXP, DAT] {
            let mut item = good.clone();
            item.remove(name);
            cases.push((item, name));
            let mut item = good.clone();
            item.insert(name.to_owned(), TestValue::Other);
            cases.push((item, name));
        }
        for (name, bad) in [
            (VER, "-1"),
            (VER, "1.5"),
            (ISS, "abc"),
            (EXP, "99999999999999999999999"),
            (CRT, "x"),
        ] {
            let mut item = good.clone();
            item.insert(name.to_owned(), TestValue::number(bad));
            cases.push((item, name));
        }
        let mut item = good.clone();
        item.insert(VER.to_owned(), TestValue::string("1"));
        cases.push((item, VER));
        let mut item = good.clone();
        item.insert(CRT.to_owned(), TestValue::binary(b"1"));
        cases.push((item, CRT));
        for (item, name) in cases {
            match from_item(&item) {
                Err(BackendError::Corrupt { reason }) => {
                    assert!(reason.contains(name), "{reason}");
                    assert!(!reason.to_lowercase().contains("abab"), "{reason}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    fn stamped() -> Record {
        record(StoredData::Cbor(vec![1]), Some(1)).user(Some(UserStamp::new(
            UserRef::from_bytes([0xcd; 32]),
            3,
            vec![0xee; 40],
        )))
    }

    #[test]
    fn user_stamps_round_trip() {
        let key = StorageKey::from_bytes([2; 32]);
        let record = stamped();
        let item: Item = to_item(Operation::Replace, &key, &record).expect("storable");
        assert_eq!(item[USR].as_binary(), Some(&[0xcd; 32][..]));
        assert_eq!(item[UEP].as_number(), Some("3"));
        assert_eq!(item[UIN].as_binary(), Some(&[0xee; 40][..]));
        assert_eq!(from_item(&item).expect("well-formed"), record);
        let plain: Item =
            to_item(Operation::Replace, &key, &record.clone().user(None)).expect("storable");
        assert!(![USR, UEP, UIN].iter().any(|name| plain.contains_key(*name)));
    }

    #[test]
    fn partial_or_malformed_user_stamps_are_corrupt_without_values() {
        let key = StorageKey::from_bytes([2; 32]);
        let good: Item = to_item(Operation::Replace, &key, &stamped()).expect("storable");
        let mut cases: Vec<Item> = Vec::new();
        for name in [USR, UEP, UIN] {
            let mut item = good.clone();
            item.remove(name);
            cases.push(item);
            let mut item = good.clone();
            item.insert(name.to_owned(), TestValue::Other);
            cases.push(item);
        }
        let mut item = good.clone();
        item.insert(USR.to_owned(), TestValue::binary(&[0xcd; 31]));
        cases.push(item);
        let mut item = good.clone();
        item.insert(UEP.to_owned(), TestValue::number("-1"));
        cases.push(item);
        for item in cases {
            match from_item(&item) {
                Err(BackendError::Corrupt { reason }) => {
                    let reason = reason.to_lowercase();
                    assert!(
                        !reason.contains("cdcd") && !reason.contains("eeee"),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

//! DynamoDB's item-size arithmetic, shared by the manager and every backend so
//! that they all draw the 400 KB line in the same place.

use crate::{BackendError, Operation, Record, StorageKey};

/// DynamoDB's maximum item size: 400 KB, counted in binary kilobytes.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// The attribute under which backends store a write's identity (`wid`, 16
/// random bytes, binary): a write whose answer was lost is decided by
/// whether the stored record carries its identity, never by its content.
pub const WRITE_ID_ATTRIBUTE: &str = "wid";

/// Length in bytes of a write identity.
pub const WRITE_ID_LEN: usize = 16;

/// The size DynamoDB charges for the item that stores `record` under `key`:
/// each attribute's name length plus its value's size, including the write
/// identity ([`WRITE_ID_ATTRIBUTE`]) every write carries.
///
/// Binary and string values count their length in bytes. A number counts one
/// byte plus one per base-100 digit, with leading and trailing zero digits
/// dropped: DynamoDB stores numbers as base-100 digits aligned at the decimal
/// point, so 110 (digits 1|10) counts 3 bytes while 1100 (11|00) counts 2; a
/// negative number counts one byte more.
///
/// ```
/// use dynamodb_sessions_core::store::{item_size, Record, StorageKey, StoredData};
///
/// let record = Record::new(1, 1_700_000_000, 1_700_001_200, StoredData::Cbor(vec![0; 100]));
/// let size = item_size(&StorageKey::from_bytes([0; 32]), &record);
/// // sid, ver (1), iss (17|00|00|00|00: one digit), exp (17|00|00|12|00: four), wid, dat
/// assert_eq!(size, (3 + 32) + (3 + 2) + (3 + 2) + (3 + 5) + (3 + 16) + (3 + 100));
/// ```
pub fn item_size(key: &StorageKey, record: &Record) -> usize {
    fixed_size(key, record)
        + attribute("iss", number_size(record.issued_at.into()))
        + attribute("exp", number_size(record.expires_at.into()))
}

/// Everything but `iss` and `exp`, the two attributes a reissue rewrites.
fn fixed_size(key: &StorageKey, record: &Record) -> usize {
    let mut size = attribute("sid", key.as_bytes().len());
    size += attribute("ver", number_size(record.version.into()));
    if let Some(created_at) = record.created_at {
        size += attribute("crt", number_size(created_at.into()));
    }
    size += attribute(WRITE_ID_ATTRIBUTE, WRITE_ID_LEN);
    if let Some(successor) = &record.successor {
        size += attribute("nxt", successor.as_bytes().len());
    }
    if let Some(stamp) = &record.user {
        size += attribute("usr", stamp.user.as_bytes().len());
        size += attribute("uep", number_size(stamp.generation.into()));
        size += attribute("uin", stamp.sealed.len());
    }
    size + attribute("dat", record.data.len())
}

/// The largest size of `iss` or `exp`: any `i64`, 19 digits and a sign.
const WIDEST_NUMBER: usize = 1 + 10 + 1;

/// The item's size after any later reissue, which rewrites `iss` and `exp`
/// with numbers that may be longer: both counted at their widest.
fn size_with_reissue_room(key: &StorageKey, record: &Record) -> usize {
    fixed_size(key, record) + attribute("iss", WIDEST_NUMBER) + attribute("exp", WIDEST_NUMBER)
}

/// Refuses an item that fits now but could grow past [`MAX_ITEM_SIZE`] when
/// a later reissue rewrites `iss` and `exp`, so that a session written near
/// the limit never fails its reissues. The manager checks every record it
/// writes with this; backends check what they are given with
/// [`ensure_item_fits`], as DynamoDB does.
pub(crate) fn ensure_item_fits_with_reissue_room(
    operation: Operation,
    key: &StorageKey,
    record: &Record,
) -> Result<(), BackendError> {
    within_limit(operation, size_with_reissue_room(key, record))
}

/// Refuses an item over [`MAX_ITEM_SIZE`], as DynamoDB would, before it is
/// sent anywhere. Backends call it in `create` and `replace`.
///
/// ```
/// use dynamodb_sessions_core::{BackendError, store::{ensure_item_fits, Record, StorageKey, StoredData}, store::Operation};
///
/// let mut record = Record::new(1, 0, 1200, StoredData::Cbor(vec![0; 100]));
/// let key = StorageKey::from_bytes([0; 32]);
/// assert!(ensure_item_fits(Operation::Create, &key, &record).is_ok());
/// record.data = StoredData::Cbor(vec![0; 400 * 1024]);
/// let err = ensure_item_fits(Operation::Create, &key, &record).unwrap_err();
/// assert!(matches!(err, BackendError::ItemTooLarge { .. }));
/// ```
///
/// # Errors
///
/// [`BackendError::ItemTooLarge`] with the item's size.
pub fn ensure_item_fits(
    operation: Operation,
    key: &StorageKey,
    record: &Record,
) -> Result<(), BackendError> {
    within_limit(operation, item_size(key, record))
}

fn within_limit(operation: Operation, size: usize) -> Result<(), BackendError> {
    if size > MAX_ITEM_SIZE {
        return Err(BackendError::ItemTooLarge {
            operation,
            size: Some(size),
            limit: MAX_ITEM_SIZE,
        });
    }
    Ok(())
}

fn attribute(name: &str, value_size: usize) -> usize {
    name.len() + value_size
}

/// Size of a DynamoDB number: 1 byte plus 1 per significant base-100 digit,
/// plus 1 for a negative number (checked against DynamoDB Local).
fn number_size(value: i128) -> usize {
    usize::from(value < 0) + magnitude_size(value)
}

fn magnitude_size(value: i128) -> usize {
    // Arithmetic rather than formatting: this runs twice per write.
    let mut magnitude = value.unsigned_abs();
    if magnitude == 0 {
        return 2;
    }
    // Trailing zero base-100 digits are not stored; a lone trailing decimal
    // zero (110 = 1|10) is part of a stored digit.
    while magnitude.is_multiple_of(100) {
        magnitude /= 100;
    }
    let decimal_digits = magnitude.ilog10() as usize + 1;
    1 + decimal_digits.div_ceil(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_count_base_100_digits() {
        assert_eq!(number_size(0), 2);
        assert_eq!(number_size(1), 2);
        assert_eq!(number_size(12), 2);
        assert_eq!(number_size(100), 2);
        assert_eq!(number_size(110), 3, "1|10");
        assert_eq!(number_size(123), 3);
        assert_eq!(number_size(1100), 2, "11|00");
        assert_eq!(number_size(1_000_000), 2);
        assert_eq!(number_size(1_234_560), 5, "1|23|45|60");
        assert_eq!(number_size(1_700_001_200), 1 + 4);
        assert_eq!(number_size(-15), 3);
        assert_eq!(number_size(-110), 4);
        assert_eq!(number_size(i64::MAX.into()), WIDEST_NUMBER - 1);
        assert_eq!(number_size(i64::MIN.into()), WIDEST_NUMBER);
    }

    #[test]
    fn reissue_room_covers_any_iss_and_exp() {
        let key = StorageKey::from_bytes([0; 32]);
        let record = Record {
            successor: None,
            version: 1,
            issued_at: 1_700_000_000,
            expires_at: 1_700_000_000,
            created_at: Some(1),
            data: crate::StoredData::Cbor(vec![0; 10]),
            user: None,
        };
        let widest = Record {
            issued_at: i64::MIN,
            expires_at: i64::MIN,
            ..record.clone()
        };
        assert_eq!(
            size_with_reissue_room(&key, &record),
            item_size(&key, &widest)
        );
        assert!(size_with_reissue_room(&key, &record) > item_size(&key, &record));
    }
}

//! DynamoDB's item-size arithmetic, shared by the manager and every backend so
//! that they all draw the 400 KB line in the same place.

use crate::{BackendError, Operation, Record, StorageKey};

/// DynamoDB's maximum item size: 400 KB, counted in binary kilobytes.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// The size DynamoDB charges for the item that stores `record` under `key`:
/// each attribute's name length plus its value's size.
///
/// Binary and string values count their length in bytes. A number counts one
/// byte plus one byte per two significant digits (leading and trailing zeros
/// do not count), which is how DynamoDB documents it.
///
/// ```
/// use dynamodb_sessions::{item_size, Record, StorageKey, StoredData};
///
/// let record = Record {
///     version: 1,
///     issued_at: 1_700_000_000,
///     expires_at: 1_700_001_200,
///     created_at: None,
///     data: StoredData::Cbor(vec![0; 100]),
/// };
/// let size = item_size(&StorageKey::from_bytes([0; 32]), &record);
/// // sid, ver (1 digit), iss ("17" significant), exp ("17000012"), dat
/// assert_eq!(size, (3 + 32) + (3 + 2) + (3 + 2) + (3 + 5) + (3 + 100));
/// ```
pub fn item_size(key: &StorageKey, record: &Record) -> usize {
    let mut size = attribute("sid", key.as_bytes().len());
    size += attribute("ver", number_size(record.version.into()));
    size += attribute("iss", number_size(record.issued_at.into()));
    size += attribute("exp", number_size(record.expires_at.into()));
    if let Some(created_at) = record.created_at {
        size += attribute("crt", number_size(created_at.into()));
    }
    size + attribute("dat", record.data.len())
}

/// Refuses an item over [`MAX_ITEM_SIZE`], as DynamoDB would, before it is
/// sent anywhere. Backends call it in `create` and `replace`.
///
/// ```
/// use dynamodb_sessions::{ensure_item_fits, BackendError, Operation, Record, StorageKey, StoredData};
///
/// let mut record = Record {
///     version: 1,
///     issued_at: 0,
///     expires_at: 1200,
///     created_at: None,
///     data: StoredData::Cbor(vec![0; 100]),
/// };
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
    let size = item_size(key, record);
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

/// Size of a DynamoDB number: 1 byte plus 1 per two significant digits.
fn number_size(value: i128) -> usize {
    // Arithmetic rather than formatting: this runs twice per write.
    let mut magnitude = value.unsigned_abs();
    if magnitude == 0 {
        return 2;
    }
    while magnitude % 10 == 0 {
        magnitude /= 10;
    }
    let significant = magnitude.ilog10() as usize + 1;
    1 + significant.div_ceil(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_count_significant_digits_in_pairs() {
        assert_eq!(number_size(0), 2);
        assert_eq!(number_size(1), 2);
        assert_eq!(number_size(12), 2);
        assert_eq!(number_size(123), 3);
        assert_eq!(number_size(1_000_000), 2);
        assert_eq!(number_size(1_700_001_200), 1 + 4);
        assert_eq!(number_size(-15), 2);
    }
}

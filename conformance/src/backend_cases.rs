//! Cases on the [`Backend`] trait itself: every method, every outcome.

use dynamodb_sessions::{
    item_size, Backend, BackendError, Consistency, CreateOutcome, DeleteOutcome, Record,
    ReplaceOutcome, StorageKey, StoredData, TouchOutcome, MAX_ITEM_SIZE,
};

use crate::Harness;

fn key(byte: u8) -> StorageKey {
    StorageKey::from_bytes([byte; 32])
}

fn record(version: u64, data: &[u8]) -> Record {
    let now = crate::fixture::now();
    Record {
        version,
        issued_at: now,
        expires_at: now + 1200,
        created_at: Some(now - 1000),
        data: StoredData::Cbor(data.to_vec()),
    }
}

fn strong(backend: &impl Backend, key: &StorageKey) -> Option<Record> {
    backend.load(key, Consistency::Strong).expect("load failed")
}

/// Create writes a record that both kinds of load return.
pub fn create_then_load<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let r = record(1, b"\xa0");
    assert_eq!(backend.create(&key(1), &r).unwrap(), CreateOutcome::Created);
    assert_eq!(strong(&backend, &key(1)), Some(r.clone()));
    // Eventual reads may lag in general, but a store under test with no other
    // writer must converge; DynamoDB Local and memory are immediate.
    assert_eq!(
        backend.load(&key(1), Consistency::Eventual).unwrap(),
        Some(r)
    );
}

/// Create on an existing key says so and leaves the record untouched.
pub fn create_refuses_an_existing_key<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let first = record(1, b"first");
    assert_eq!(
        backend.create(&key(1), &first).unwrap(),
        CreateOutcome::Created
    );
    let second = record(1, b"second");
    assert_eq!(
        backend.create(&key(1), &second).unwrap(),
        CreateOutcome::AlreadyExists
    );
    assert_eq!(strong(&backend, &key(1)), Some(first));
}

/// Replace at the stored version writes the new record.
pub fn replace_at_the_expected_version<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"v1")).unwrap();
    let v2 = record(2, b"v2");
    assert_eq!(
        backend.replace(&key(1), 1, &v2).unwrap(),
        ReplaceOutcome::Replaced
    );
    assert_eq!(strong(&backend, &key(1)), Some(v2));
}

/// Replace at a stale version conflicts and writes nothing.
pub fn replace_with_a_stale_version_conflicts<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"v1")).unwrap();
    let v2 = record(2, b"v2");
    let _ = backend.replace(&key(1), 1, &v2).unwrap();
    let late = record(2, b"late");
    assert_eq!(
        backend.replace(&key(1), 1, &late).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(strong(&backend, &key(1)), Some(v2));
}

/// Replace of a missing record conflicts and creates nothing.
pub fn replace_of_a_missing_record_conflicts<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(
        backend.replace(&key(1), 1, &record(2, b"x")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(strong(&backend, &key(1)), None);
}

/// Touch changes `iss` and `exp` only.
pub fn touch_updates_only_the_times<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let r = record(3, b"data");
    let _ = backend.create(&key(1), &r).unwrap();
    let later = r.issued_at + 500;
    assert_eq!(
        backend.touch(&key(1), later, later + 1200).unwrap(),
        TouchOutcome::Touched
    );
    let expected = Record {
        issued_at: later,
        expires_at: later + 1200,
        ..r
    };
    assert_eq!(strong(&backend, &key(1)), Some(expected));
}

/// Touch of a missing record reports it and creates no item.
pub fn touch_of_a_missing_record_creates_nothing<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(backend.touch(&key(1), 1, 2).unwrap(), TouchOutcome::Missing);
    assert_eq!(strong(&backend, &key(1)), None);
}

/// Delete removes a record; deleting again, or deleting nothing, succeeds.
pub fn delete_present_and_absent<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"x")).unwrap();
    backend.delete(&key(1)).unwrap();
    assert_eq!(strong(&backend, &key(1)), None);
    backend.delete(&key(1)).unwrap();
    backend.delete(&key(2)).unwrap();
}

/// Loads of a missing key, of either consistency, return nothing.
pub fn load_of_a_missing_key<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(backend.load(&key(9), Consistency::Eventual).unwrap(), None);
    assert_eq!(backend.load(&key(9), Consistency::Strong).unwrap(), None);
}

/// Pads a record's data so that its item is exactly `size` bytes.
fn record_of_size(key: &StorageKey, size: usize) -> Record {
    let mut r = record(1, b"");
    let overhead = item_size(key, &r);
    r.data = StoredData::Cbor(vec![0x5a; size - overhead]);
    assert_eq!(item_size(key, &r), size);
    r
}

/// An item of exactly 400 KB is stored; one byte more is refused with a typed
/// error, for create and replace alike, and nothing is written.
pub fn item_size_limit<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let largest = record_of_size(&key(1), MAX_ITEM_SIZE);
    assert_eq!(
        backend.create(&key(1), &largest).unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(strong(&backend, &key(1)), Some(largest));

    let too_large = record_of_size(&key(2), MAX_ITEM_SIZE + 1);
    let err = backend.create(&key(2), &too_large).unwrap_err();
    assert!(matches!(err, BackendError::ItemTooLarge { .. }), "{err:?}");
    assert_eq!(strong(&backend, &key(2)), None);

    let mut grown = too_large.clone();
    grown.version = 2;
    let err = backend.replace(&key(1), 1, &grown).unwrap_err();
    assert!(matches!(err, BackendError::ItemTooLarge { .. }), "{err:?}");
    assert_eq!(strong(&backend, &key(1)).map(|r| r.version), Some(1));
}

/// Every byte value survives a round trip, and so does JSON text.
pub fn data_round_trips<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let bytes: Vec<u8> = (0..=255).collect();
    let binary = record(1, &bytes);
    let _ = backend.create(&key(1), &binary).unwrap();
    assert_eq!(strong(&backend, &key(1)), Some(binary));

    let json = Record {
        data: StoredData::Json(r#"{"a": "é\u0000", "n": [1, 2.5]}"#.to_owned()),
        created_at: None,
        ..record(1, b"")
    };
    let _ = backend.create(&key(2), &json).unwrap();
    assert_eq!(strong(&backend, &key(2)), Some(json));
}

/// Keys that differ in a single byte, first or last, are separate records.
pub fn keys_differing_in_one_byte<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let base = [0u8; 32];
    let mut first = base;
    first[0] = 1;
    let mut last = base;
    last[31] = 1;
    for (i, bytes) in [base, first, last].into_iter().enumerate() {
        let r = record(1, &[i as u8]);
        assert_eq!(
            backend.create(&StorageKey::from_bytes(bytes), &r).unwrap(),
            CreateOutcome::Created
        );
    }
    for (i, bytes) in [base, first, last].into_iter().enumerate() {
        let stored = strong(&backend, &StorageKey::from_bytes(bytes)).unwrap();
        assert_eq!(stored.data, StoredData::Cbor(vec![i as u8]));
    }
}

/// A versioned delete removes only the expected version, and conflicts on a
/// missing record.
pub fn delete_at_version<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"v1")).unwrap();
    let _ = backend.replace(&key(1), 1, &record(2, b"v2")).unwrap();
    assert_eq!(
        backend.delete_at_version(&key(1), 1).unwrap(),
        DeleteOutcome::Conflict
    );
    assert_eq!(strong(&backend, &key(1)).map(|r| r.version), Some(2));
    assert_eq!(
        backend.delete_at_version(&key(1), 2).unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(strong(&backend, &key(1)), None);
    assert_eq!(
        backend.delete_at_version(&key(1), 2).unwrap(),
        DeleteOutcome::Conflict
    );
}

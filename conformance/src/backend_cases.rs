//! Cases on the [`Backend`] trait itself: every method, every outcome.

use dynamodb_sessions_core::{
    store::{
        item_size, Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
        ReplaceOutcome, StorageKey, StoredData, TouchOutcome, MAX_ITEM_SIZE,
    },
    BackendError, DataEncoding,
};

use crate::fixture::now;
use crate::Harness;

fn key(byte: u8) -> StorageKey {
    StorageKey::from_bytes([byte; 32])
}

fn record(version: u64, data: &[u8]) -> Record {
    let now = now();
    Record::new(version, now, now + 1200, StoredData::Cbor(data.to_vec()))
        .created_at(Some(now - 1000))
}

fn strong(backend: &impl Backend, key: &StorageKey) -> LoadOutcome {
    backend.load(key, Consistency::Strong).expect("load failed")
}

/// Create writes a record that both kinds of load return.
pub fn create_then_load<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let r = record(1, b"\xa0");
    assert_eq!(backend.create(&key(1), &r).unwrap(), CreateOutcome::Created);
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(r.clone()));
    // Eventual reads may lag in general, but a store under test with no other
    // writer must converge; DynamoDB Local and memory are immediate.
    assert_eq!(
        backend.load(&key(1), Consistency::Eventual).unwrap(),
        LoadOutcome::Live(r)
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
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(first));
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
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(v2));
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
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(v2));
}

/// Replace of a missing record conflicts and creates nothing.
pub fn replace_of_a_missing_record_conflicts<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(
        backend.replace(&key(1), 1, &record(2, b"x")).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Missing);
}

/// Touch changes `iss` and `exp` only, at the expected version only.
pub fn touch_updates_only_the_times<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let r = record(3, b"data");
    let _ = backend.create(&key(1), &r).unwrap();
    let later = r.issued_at + 500;
    assert_eq!(
        backend.touch(&key(1), 2, later, later + 1200).unwrap(),
        TouchOutcome::Conflict,
        "another version"
    );
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(r.clone()));
    assert_eq!(
        backend.touch(&key(1), 3, later, later + 1200).unwrap(),
        TouchOutcome::Touched
    );
    // A touch held up in the network, arriving after a later one, never
    // moves the expiry back.
    assert_eq!(
        backend
            .touch(&key(1), 3, later - 1, later - 1 + 1200)
            .unwrap(),
        TouchOutcome::Conflict
    );
    assert_eq!(
        backend.touch(&key(1), 3, later, later + 1200).unwrap(),
        TouchOutcome::Conflict,
        "nor rewrites it at the same second"
    );
    let mut expected = r;
    expected.issued_at = later;
    expected.expires_at = later + 1200;
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(expected));
}

/// Touch of a missing or ended record conflicts and creates nothing.
pub fn touch_of_a_missing_record_creates_nothing<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(
        backend.touch(&key(1), 1, 1, 2).unwrap(),
        TouchOutcome::Conflict
    );
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Missing);
    let _ = backend.create(&key(2), &record(1, b"x")).unwrap();
    let tombstone = Record::tombstone(now(), DataEncoding::Cbor);
    assert_eq!(backend.end(&key(2), &tombstone).unwrap(), EndOutcome::Ended);
    assert_eq!(
        backend
            .touch(&key(2), Record::ENDED_VERSION, now() + 100, now() + 200)
            .unwrap(),
        TouchOutcome::Touched,
        "a touch at the ended version is a plain condition"
    );
    assert!(matches!(strong(&backend, &key(2)), LoadOutcome::Ended(_)));
}

/// End puts a tombstone on a live record only: ending again, or ending a
/// missing key, writes nothing and says so (with the successor a login's
/// tombstone names), and no create can use an ended key.
pub fn end_present_and_absent<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(4, b"x")).unwrap();
    let first = Record::tombstone(now(), DataEncoding::Cbor);
    assert_eq!(backend.end(&key(1), &first).unwrap(), EndOutcome::Ended);
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Ended(first.clone()));
    let second = Record::tombstone(now() + 10, DataEncoding::Json);
    assert_eq!(
        backend.end(&key(1), &second).unwrap(),
        EndOutcome::AlreadyEnded { successor: None }
    );
    assert_eq!(
        strong(&backend, &key(1)),
        LoadOutcome::Ended(first),
        "the first end stays"
    );
    assert_eq!(backend.end(&key(2), &second).unwrap(), EndOutcome::Missing);
    assert_eq!(
        strong(&backend, &key(2)),
        LoadOutcome::Missing,
        "a logout creates no item"
    );
    // A login's tombstone names where the session went.
    let _ = backend.create(&key(3), &record(2, b"y")).unwrap();
    let moved = Record::tombstone(now(), DataEncoding::Cbor).successor(Some(key(4)));
    assert_eq!(
        backend.replace(&key(3), 2, &moved).unwrap(),
        ReplaceOutcome::Replaced
    );
    assert_eq!(strong(&backend, &key(3)), LoadOutcome::Ended(moved));
    assert_eq!(
        backend.end(&key(3), &second).unwrap(),
        EndOutcome::AlreadyEnded {
            successor: Some(key(4))
        }
    );
    assert_eq!(
        backend.create(&key(1), &record(1, b"again")).unwrap(),
        CreateOutcome::AlreadyExists
    );
    assert_eq!(
        backend.replace(&key(1), 4, &record(5, b"late")).unwrap(),
        ReplaceOutcome::Conflict
    );
}

/// Loads of an ended key, of either consistency, say it ended: a tombstone
/// is never a live record, whether a logout or a login left it.
pub fn load_of_an_ended_key<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"x")).unwrap();
    let logout = Record::tombstone(now(), DataEncoding::Cbor);
    assert_eq!(backend.end(&key(1), &logout).unwrap(), EndOutcome::Ended);
    let _ = backend.create(&key(2), &record(3, b"y")).unwrap();
    let login = Record::tombstone(now(), DataEncoding::Json).successor(Some(key(3)));
    assert_eq!(
        backend.replace(&key(2), 3, &login).unwrap(),
        ReplaceOutcome::Replaced
    );
    for (key, tombstone) in [(key(1), logout), (key(2), login)] {
        for consistency in [Consistency::Eventual, Consistency::Strong] {
            assert_eq!(
                backend.load(&key, consistency).unwrap(),
                LoadOutcome::Ended(tombstone.clone()),
                "{consistency:?}"
            );
        }
    }
}

/// Loads of a missing key, of either consistency, return nothing.
pub fn load_of_a_missing_key<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    assert_eq!(
        backend.load(&key(9), Consistency::Eventual).unwrap(),
        LoadOutcome::Missing
    );
    assert_eq!(
        backend.load(&key(9), Consistency::Strong).unwrap(),
        LoadOutcome::Missing
    );
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
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(largest));

    let too_large = record_of_size(&key(2), MAX_ITEM_SIZE + 1);
    let err = backend.create(&key(2), &too_large).unwrap_err();
    assert!(matches!(err, BackendError::ItemTooLarge { .. }), "{err:?}");
    assert_eq!(strong(&backend, &key(2)), LoadOutcome::Missing);

    let mut grown = too_large.clone();
    grown.version = 2;
    let err = backend.replace(&key(1), 1, &grown).unwrap_err();
    assert!(matches!(err, BackendError::ItemTooLarge { .. }), "{err:?}");
    assert_eq!(
        strong(&backend, &key(1)).into_record().map(|r| r.version),
        Some(1)
    );
}

/// A touch whose longer numbers would push an item of exactly 400 KB over
/// the limit is refused, as DynamoDB refuses it, and changes nothing.
pub fn touch_past_the_size_limit_is_refused<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let key = key(1);
    // Round numbers take few bytes: 17|00|00|00|00 is one base-100 digit.
    let round = (now() / 100_000_000 + 1) * 100_000_000;
    let mut full = record(1, b"");
    full.issued_at = round;
    full.expires_at = round;
    let overhead = item_size(&key, &full);
    full.data = StoredData::Cbor(vec![1; MAX_ITEM_SIZE - overhead]);
    assert_eq!(backend.create(&key, &full).unwrap(), CreateOutcome::Created);
    let result = backend.touch(&key, 1, round + 1, round + 1);
    assert!(
        matches!(result, Err(BackendError::ItemTooLarge { .. })),
        "{result:?}"
    );
    assert_eq!(strong(&backend, &key), LoadOutcome::Live(full));
}

/// Every byte value survives a round trip, and so does JSON text.
pub fn data_round_trips<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let bytes: Vec<u8> = (0..=255).collect();
    let binary = record(1, &bytes);
    let _ = backend.create(&key(1), &binary).unwrap();
    assert_eq!(strong(&backend, &key(1)), LoadOutcome::Live(binary));

    let mut json = record(1, b"");
    json.data = StoredData::Json(r#"{"a": "é\u0000", "n": [1, 2.5]}"#.to_owned());
    json.created_at = None;
    let _ = backend.create(&key(2), &json).unwrap();
    assert_eq!(strong(&backend, &key(2)), LoadOutcome::Live(json));
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
        let stored = strong(&backend, &StorageKey::from_bytes(bytes));
        let stored = stored.into_record().expect("a record");
        assert_eq!(stored.data, StoredData::Cbor(vec![i as u8]));
    }
}

/// A replace to a tombstone (a login ending its old ID) happens only at the
/// expected version, and nothing replaces a tombstone afterwards.
pub fn replace_with_a_tombstone_at_version<H: Harness>(harness: &H) {
    let backend = harness.fresh_backend();
    let _ = backend.create(&key(1), &record(1, b"v1")).unwrap();
    let _ = backend.replace(&key(1), 1, &record(2, b"v2")).unwrap();
    let tombstone = Record::tombstone(now(), DataEncoding::Cbor);
    assert_eq!(
        backend.replace(&key(1), 1, &tombstone).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(
        strong(&backend, &key(1)).into_record().map(|r| r.version),
        Some(2)
    );
    assert_eq!(
        backend.replace(&key(1), 2, &tombstone).unwrap(),
        ReplaceOutcome::Replaced
    );
    assert_eq!(
        strong(&backend, &key(1)),
        LoadOutcome::Ended(tombstone.clone())
    );
    assert_eq!(
        backend.replace(&key(1), 2, &tombstone).unwrap(),
        ReplaceOutcome::Conflict
    );
}

//! Fuzzing the item decoding (`item::from_item`, crate-private, hence a
//! test module here) with arbitrary DynamoDB attribute maps, on stable with
//! proptest.
//!
//! Properties, for any map of attribute names to attribute values:
//! - `from_item` never panics and fails only with `BackendError::Corrupt`;
//! - a record it accepts has the numbers the item holds and survives
//!   `to_item` then `from_item` unchanged;
//! - a rejection's reason never contains the key (`sid`) bytes, in hex or
//!   as text, nor the stored data.
//!
//! `cargo test` runs a short pass and replays
//! `adapters/tests/corpus/attribute_maps/`; the long run is
//! `PROPTEST_CASES=1000000 cargo test --release -p dynamodb-sessions --lib fuzz_item`.

use std::collections::HashMap;
use std::path::Path;

use dynamodb_sessions_core::{
    store::Operation,
    store::{StorageKey, StoredData},
    BackendError,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rusoto_dynamodb::AttributeValue;

use crate::table::item::{from_item, to_item, CRT, DAT, EXP, ISS, SID, VER};

/// An item in rusoto's attribute values, whose struct of optional fields
/// can hold more odd states than any other client's.
type Item = crate::table::Item<AttributeValue>;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(item: &Item) -> Result<(), TestCaseError> {
    match from_item(item) {
        Ok(record) => {
            let number = |name: &str| item.get(name).and_then(|v| v.n.clone());
            prop_assert_eq!(
                number(VER).and_then(|n| n.parse::<u64>().ok()),
                Some(record.version)
            );
            prop_assert_eq!(
                number(ISS).and_then(|n| n.parse::<i64>().ok()),
                Some(record.issued_at)
            );
            prop_assert_eq!(
                number(EXP).and_then(|n| n.parse::<i64>().ok()),
                Some(record.expires_at)
            );
            prop_assert_eq!(
                number(CRT).and_then(|n| n.parse::<i64>().ok()),
                record.created_at
            );
            match &record.data {
                StoredData::Cbor(bytes) => {
                    prop_assert_eq!(item[DAT].b.as_deref(), Some(bytes.as_slice()))
                }
                StoredData::Json(text) => {
                    prop_assert_eq!(item[DAT].s.as_deref(), Some(text.as_str()))
                }
                _ => return Err(TestCaseError::fail("unknown encoding")),
            }
            let key = StorageKey::from_bytes([0x5a; 32]);
            let again: Item = to_item(Operation::Replace, &key, &record).expect("storable");
            prop_assert_eq!(from_item(&again).expect("round trip"), record);
        }
        Err(BackendError::Corrupt { reason }) => {
            if let Some(sid) = item.get(SID).and_then(|v| v.b.as_deref()) {
                if sid.len() >= 4 {
                    prop_assert!(!reason.contains(&hex(sid)), "{}", reason);
                    prop_assert!(
                        !reason.contains(&String::from_utf8_lossy(sid).into_owned()),
                        "{}",
                        reason
                    );
                }
            }
            if let Some(text) = item.get(DAT).and_then(|v| v.s.as_deref()) {
                if text.len() >= 4 {
                    prop_assert!(!reason.contains(text), "{}", reason);
                }
            }
            prop_assert!(reason.len() < 200, "{}", reason);
        }
        Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
    }
    Ok(())
}

// ------------------------------------------------------------ generators

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        1 => Just("-0".to_owned()),
        1 => Just("+1".to_owned()),
        1 => Just("1.0".to_owned()),
        1 => Just("1e3".to_owned()),
        1 => Just(" 1".to_owned()),
        1 => Just("99999999999999999999".to_owned()),
        1 => Just("18446744073709551616".to_owned()),
        1 => "[-+0-9.eE ]{0,24}",
        1 => any::<String>(),
    ]
}

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        6 => number_text().prop_map(|n| AttributeValue { n: Some(n), ..AttributeValue::default() }),
        3 => proptest::collection::vec(any::<u8>(), 0..48)
            .prop_map(|b| AttributeValue { b: Some(b.into()), ..AttributeValue::default() }),
        3 => any::<String>().prop_map(|s| AttributeValue { s: Some(s), ..AttributeValue::default() }),
        1 => any::<bool>().prop_map(|b| AttributeValue { bool: Some(b), ..AttributeValue::default() }),
        1 => Just(AttributeValue { null: Some(true), ..AttributeValue::default() }),
        1 => Just(AttributeValue::default()),
        1 => proptest::collection::vec(number_text(), 0..3)
            .prop_map(|ns| AttributeValue { ns: Some(ns), ..AttributeValue::default() }),
        1 => proptest::collection::vec(any::<String>(), 0..3)
            .prop_map(|ss| AttributeValue { ss: Some(ss), ..AttributeValue::default() }),
        1 => proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 0..3)
            .prop_map(|bs| AttributeValue {
                bs: Some(bs.into_iter().map(Into::into).collect()),
                ..AttributeValue::default()
            }),
        // Several type fields at once (never sent by DynamoDB, but typed so).
        1 => (number_text(), any::<String>(), proptest::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(n, s, b)| AttributeValue {
                n: Some(n),
                s: Some(s),
                b: Some(b.into()),
                ..AttributeValue::default()
            }),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|l| AttributeValue {
                l: Some(l),
                ..AttributeValue::default()
            }),
            proptest::collection::hash_map("[a-z]{1,3}", inner, 0..3).prop_map(|m| {
                AttributeValue {
                    m: Some(m),
                    ..AttributeValue::default()
                }
            }),
        ]
    })
}

fn attribute_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(vec![SID, VER, ISS, EXP, CRT, DAT]).prop_map(str::to_owned),
        1 => proptest::sample::select(vec!["Ver", "dat ", "data", "ttl", ""]).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Mostly well-formed items with some attributes replaced, removed or added,
/// and entirely arbitrary maps.
fn item() -> impl Strategy<Value = Item> {
    let base = (
        any::<u64>(),
        any::<i64>(),
        any::<i64>(),
        proptest::option::of(any::<i64>()),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..32).prop_map(StoredData::Cbor),
            any::<String>().prop_map(StoredData::Json),
        ],
    )
        .prop_map(|(version, issued_at, expires_at, created_at, data)| {
            let record =
                dynamodb_sessions_core::store::Record::new(version, issued_at, expires_at, data)
                    .created_at(created_at);
            to_item(
                Operation::Create,
                &StorageKey::from_bytes([0xab; 32]),
                &record,
            )
            .expect("storable")
        });
    let edited = (
        base,
        proptest::collection::vec(
            (attribute_name(), proptest::option::of(attribute_value())),
            0..4,
        ),
    )
        .prop_map(|(mut item, edits)| {
            for (name, value) in edits {
                match value {
                    Some(value) => item.insert(name, value),
                    None => item.remove(&name),
                };
            }
            item
        });
    prop_oneof![
        4 => edited,
        1 => proptest::collection::hash_map(attribute_name(), attribute_value(), 0..8),
    ]
}

#[test]
fn fuzz_attribute_maps() {
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(config());
    runner.run(&item(), |item| check(&item)).unwrap();
    eprintln!(
        "fuzz_attribute_maps: {} cases in {:?}",
        config().cases,
        started.elapsed()
    );
}

// ------------------------------------------------------ corpus replay

/// Parses a corpus file: one attribute per line, `name TYPE value`, where
/// TYPE is N, S, B (hex), BOOL, NULL, NS/SS (comma-separated) or BS
/// (comma-separated hex); a name may be `-` for the empty name.
fn parse_corpus_item(text: &str) -> Item {
    let unhex = |h: &str| -> Vec<u8> {
        (0..h.len() / 2)
            .filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
            .collect()
    };
    let mut item = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.splitn(3, ' ');
        let name = parts.next().unwrap_or_default();
        let name = if name == "-" { "" } else { name }.to_owned();
        let kind = parts.next().unwrap_or_default();
        let value = parts.next().unwrap_or_default();
        let mut attribute = AttributeValue::default();
        match kind {
            "N" => attribute.n = Some(value.to_owned()),
            "S" => attribute.s = Some(value.to_owned()),
            "B" => attribute.b = Some(unhex(value).into()),
            "BOOL" => attribute.bool = Some(value == "true"),
            "NULL" => attribute.null = Some(true),
            "NS" => attribute.ns = Some(value.split(',').map(str::to_owned).collect()),
            "SS" => attribute.ss = Some(value.split(',').map(str::to_owned).collect()),
            "BS" => attribute.bs = Some(value.split(',').map(|h| unhex(h).into()).collect()),
            "EMPTY" => {}
            other => panic!("unknown corpus type {other:?} in {line:?}"),
        }
        item.insert(name, attribute);
    }
    item
}

#[test]
fn replay_attribute_map_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/attribute_maps");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus {} too small", dir.display());
    let mut accepted = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let item = parse_corpus_item(&text);
        if let Err(e) = check(&item) {
            panic!("{}: {e}", path.display());
        }
        accepted += usize::from(from_item(&item).is_ok());
    }
    assert!(
        accepted >= 2,
        "the corpus should hold well-formed items too"
    );
}

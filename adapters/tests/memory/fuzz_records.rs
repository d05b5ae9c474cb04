//! Fuzzing record decoding, on stable with proptest: arbitrary CBOR bytes
//! and arbitrary JSON text as a stored record's `dat`, read through the
//! manager (`load` + every typed accessor + commit) on a MemoryBackend.
//! Plain CBOR reaches the decoder only under a setting that reads it
//! (`DataProtection::SealedAcceptingPlain` here); under the default
//! `Sealed` it is refused unread, which is checked on the same inputs.
//!
//! Properties, for any `dat`:
//! - nothing panics, and loading never fails: undecodable data (and plain
//!   CBOR under the default) is a new session, decodable data is the
//!   session's data;
//! - every accessor (get as several types, keys, flash, CSRF) returns a
//!   value or a typed error;
//! - a commit after a change either replaces the record (version 2) when
//!   the data decoded, or creates a new session under a new ID and leaves the
//!   undecodable record exactly as it was;
//! - no error message quotes the stored data.
//!
//! Sealed records are fuzzed too: a session written through the
//! manager, its stored record changed in one way (a byte flipped, cut,
//! extended, overwritten, another version or creation time), planted in a
//! second store under the same key. Unchanged, it loads as written; changed
//! and still marked sealed, it never opens; changed into plain CBOR, it is
//! refused too (the default reads no plain CBOR). Arbitrary bytes behind
//! the sealed format byte never open either.
//!
//! `cargo test` runs a short pass and replays `tests/corpus/cbor/` and
//! `tests/corpus/json/`; the long run is `PROPTEST_CASES=1000000 cargo test
//! --release -p dynamodb-sessions --test memory fuzz_records`.

use crate::fuzz_support;

use dynamodb_sessions::Scheme;
use std::collections::BTreeMap;
use std::sync::Arc;

use ciborium::Value;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{Backend, Consistency, CreateOutcome, Record, StoredData, Token},
    DataEncoding, DataProtection, SessionConfig, SessionManager,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;

struct Target {
    backend: Arc<MemoryBackend>,
    manager: SessionManager,
}

impl Target {
    fn new() -> Self {
        Self::with_config(SessionConfig::default())
    }

    /// A manager that also reads plain CBOR, so that planted bytes reach
    /// the decoder.
    fn accepting_plain() -> Self {
        let config = SessionConfig::builder()
            .data_protection(DataProtection::SealedAcceptingPlain)
            .build()
            .expect("valid settings");
        Self::with_config(config)
    }

    /// Whether this manager reads plain CBOR records.
    fn reads_plain_cbor(&self) -> bool {
        self.manager.config().data_protection() != DataProtection::Sealed
    }

    /// A manager that writes JSON, as while Python shares the table.
    fn json() -> Self {
        let config = SessionConfig::builder()
            .data_encoding(DataEncoding::Json)
            .build()
            .expect("valid settings");
        Self::with_config(config)
    }

    fn with_config(config: SessionConfig) -> Self {
        let backend = Arc::new(MemoryBackend::new());
        let manager = SessionManager::new(backend.clone(), config);
        Target { backend, manager }
    }

    /// Plants a version-1 record holding `data` under a new token; returns
    /// the token.
    fn plant(&self, data: StoredData) -> Token {
        fuzz_support::plant(&self.backend, data).0
    }

    /// A float in a JSON record, written as `literal`,
    /// is read as exactly `x`, and a commit that changed only another key
    /// writes it back as text that reads as exactly `x` again.
    fn check_float(&self, x: f64, literal: &str) -> Result<(), TestCaseError> {
        let text = format!(r#"{{"n": 1, "price": {literal}}}"#);
        let token = self.plant(StoredData::Json(text));
        let cookie = format!("session_id={}/1", token.as_str());
        let mut session = self.manager.load(Some(&cookie));
        let read = session.get::<f64>("price").expect("a float");
        prop_assert_eq!(read.map(f64::to_bits), Some(x.to_bits()), "{}", literal);
        session.insert("n", &2).expect("insert");
        let set_cookie = self.manager.commit(session, Scheme::Http).expect("commit");
        prop_assert!(set_cookie.is_some_and(|c| c.contains("/2")));
        let key = token.storage_key();
        let stored = self
            .backend
            .load(&key, Consistency::Strong)
            .expect("load")
            .into_record();
        let Some(Record {
            data: StoredData::Json(written),
            ..
        }) = stored
        else {
            return Err(TestCaseError::fail(format!("not JSON: {stored:?}")));
        };
        // The literal as written, read by Rust's own (correctly rounded)
        // parser rather than the library's.
        let written_literal = written
            .split_once(r#""price":"#)
            .and_then(|(_, rest)| rest.split([',', '}']).next())
            .unwrap_or_default();
        let back = written_literal.trim().parse::<f64>().map(f64::to_bits);
        prop_assert_eq!(
            back,
            Ok(x.to_bits()),
            "{} written back as {}",
            literal,
            written
        );
        // Still a float for Python: `json.loads` reads `1.0` or `1e16` as
        // one, but `1` as an int.
        prop_assert!(written_literal.contains(['.', 'e', 'E']), "{}", written);
        // Every record planted so far (all expire within the hour).
        self.backend.purge_expired(i64::MAX);
        Ok(())
    }

    fn check(&self, data: StoredData) -> Result<(), TestCaseError> {
        let (token, planted) = fuzz_support::plant(&self.backend, data);
        let key = token.storage_key();
        let cookie = format!("session_id={}/1", token.as_str());
        let mut session = self.manager.load(Some(&cookie));
        prop_assert!(session.load().is_ok());
        let keys = session.keys().expect("loaded");
        let decoded = match &planted.data {
            StoredData::Cbor(_) if !self.reads_plain_cbor() => false,
            data => library_decodes(data),
        };
        prop_assert!(decoded || keys.is_empty());
        let mut messages = Vec::new();
        for key in keys.iter().take(8) {
            for message in [
                session.get::<String>(key).err().map(|e| e.to_string()),
                session.get::<i64>(key).err().map(|e| e.to_string()),
                session.get::<Vec<String>>(key).err().map(|e| e.to_string()),
                session
                    .get::<serde_json::Value>(key)
                    .err()
                    .map(|e| e.to_string()),
                session
                    .get::<BTreeMap<String, bool>>(key)
                    .err()
                    .map(|e| e.to_string()),
            ]
            .into_iter()
            .flatten()
            {
                messages.push(message);
            }
            if let Some(queue) = key.strip_prefix("_f_") {
                messages.extend(
                    session
                        .peek_flash::<String>(queue)
                        .err()
                        .map(|e| e.to_string()),
                );
                messages.extend(
                    session
                        .peek_flash::<serde_json::Value>(queue)
                        .err()
                        .map(|e| e.to_string()),
                );
            }
        }
        messages.extend(session.csrf_token().err().map(|e| e.to_string()));
        messages.extend(
            session
                .check_csrf_token("candidate")
                .err()
                .map(|e| e.to_string()),
        );
        messages.extend(session.pop_flash::<String>("").err().map(|e| e.to_string()));
        // Error messages name keys and types, never the stored data.
        if let StoredData::Json(text) = &planted.data {
            for message in &messages {
                if text.len() >= 12 {
                    prop_assert!(!message.contains(text.as_str()), "{}", message);
                }
            }
        }
        session.insert("fuzz", &1u8).expect("insert");
        let set_cookie = self.manager.commit(session, Scheme::Http);
        let set_cookie = match set_cookie {
            Ok(Some(set_cookie)) => set_cookie,
            other => return Err(TestCaseError::fail(format!("commit: {other:?}"))),
        };
        let stored = self
            .backend
            .load(&key, Consistency::Strong)
            .expect("load")
            .into_record();
        if decoded {
            let expected = format!("session_id={}/2", token.as_str());
            prop_assert!(set_cookie.starts_with(&expected), "{}", set_cookie);
            prop_assert_eq!(stored.map(|r| r.version), Some(2));
        } else {
            prop_assert!(!set_cookie.contains(token.as_str()), "{}", set_cookie);
            prop_assert_eq!(stored, Some(planted), "the corrupt record was touched");
        }
        // Empty the store for the next case: everything expires before the
        // end of time.
        self.backend.purge_expired(i64::MAX);
        Ok(())
    }
}

/// Whether the data is a map of text keys, as the library reads it.
fn library_decodes(data: &StoredData) -> bool {
    match data {
        StoredData::Cbor(bytes) => {
            ciborium::from_reader::<BTreeMap<String, Value>, _>(bytes.as_slice()).is_ok()
        }
        StoredData::Json(text) => {
            serde_json::from_str::<BTreeMap<String, Value>>(text).is_ok()
                && !has_inexact_integer(text)
        }
        _ => false,
    }
}

/// Whether valid JSON text holds an integer literal serde_json cannot read
/// exactly (outside `i64::MIN..=u64::MAX`, or `-0`): the library refuses
/// such records rather than rounding them. Every literal counts, even one
/// that a later duplicate key shadows (the library scans the text).
fn has_inexact_integer(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '-' | '0'..='9' if !in_string => {
                let mut literal = String::from(c);
                while let Some(&n) = chars.peek() {
                    if matches!(n, '0'..='9' | '.' | 'e' | 'E' | '+' | '-') {
                        literal.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let integer = !literal.contains(['.', 'e', 'E']);
                let exact = literal.parse::<i64>().is_ok() || literal.parse::<u64>().is_ok();
                if integer && (literal == "-0" || !exact) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// A change to a stored sealed record, as anyone who can write to the
/// table could make it.
#[derive(Debug, Clone)]
enum Tamper {
    Nothing,
    Flip { at: Index, bits: u8 },
    Cut(Index),
    Append(Vec<u8>),
    Overwrite { at: Index, bytes: Vec<u8> },
    Version(u64),
    CreatedAt(Option<i64>),
}

impl Tamper {
    fn apply(&self, mut record: Record) -> Record {
        let StoredData::Cbor(bytes) = &mut record.data else {
            return record;
        };
        match self {
            Tamper::Nothing => {}
            Tamper::Flip { at, bits } => {
                let at = at.index(bytes.len());
                bytes[at] ^= bits;
            }
            Tamper::Cut(at) => bytes.truncate(at.index(bytes.len())),
            Tamper::Append(more) => bytes.extend_from_slice(more),
            Tamper::Overwrite { at, bytes: with } => {
                let at = at.index(bytes.len());
                for (i, b) in with.iter().enumerate() {
                    if let Some(old) = bytes.get_mut(at + i) {
                        *old = *b;
                    }
                }
            }
            Tamper::Version(version) => record.version = *version,
            Tamper::CreatedAt(created_at) => record.created_at = *created_at,
        }
        record
    }
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        1 => Just(Tamper::Nothing),
        4 => (any::<Index>(), 1..=u8::MAX).prop_map(|(at, bits)| Tamper::Flip { at, bits }),
        2 => any::<Index>().prop_map(Tamper::Cut),
        1 => proptest::collection::vec(any::<u8>(), 1..32).prop_map(Tamper::Append),
        2 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..32))
            .prop_map(|(at, bytes)| Tamper::Overwrite { at, bytes }),
        1 => prop_oneof![Just(2u64), any::<u64>()].prop_map(Tamper::Version),
        1 => proptest::option::of(any::<i64>()).prop_map(Tamper::CreatedAt),
    ]
}

impl Target {
    /// Writes `entries` through this (sealing) manager, changes
    /// the stored record as `tamper` says, plants it under the same key in
    /// `reader`'s store, and loads it there.
    fn check_sealed(
        &self,
        reader: &Target,
        entries: &[(String, Value)],
        tamper: &Tamper,
    ) -> Result<(), TestCaseError> {
        let mut session = self.manager.load(None);
        for (key, value) in entries {
            session.insert(key.clone(), value).expect("insert");
        }
        session.insert("fuzz", &0u8).expect("insert");
        let written = session.keys().expect("keys");
        let set_cookie = self.manager.commit(session, Scheme::Http).expect("commit");
        let set_cookie = set_cookie.expect("a new session sets a cookie");
        let token = set_cookie
            .strip_prefix("session_id=")
            .and_then(|rest| rest.split('/').next())
            .and_then(Token::parse)
            .expect("a token");
        let key = token.storage_key();
        let original = self
            .backend
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record()
            .unwrap();
        let StoredData::Cbor(sealed) = &original.data else {
            return Err(TestCaseError::fail("not CBOR"));
        };
        prop_assert_eq!(sealed.first(), Some(&0x1c), "sealed by default");
        let planted = tamper.apply(original.clone());
        let outcome = reader.backend.create(&key, &planted).expect("plant");
        prop_assert_eq!(outcome, CreateOutcome::Created);

        let opens = match &planted.data {
            _ if planted == original => true,
            StoredData::Cbor(bytes) if bytes.first() == Some(&0x1c) => false,
            // The format byte changed: now it is plain CBOR, which only a
            // reader that accepts plain CBOR reads.
            plain => reader.reads_plain_cbor() && planted.version == 1 && library_decodes(plain),
        };
        let cookie = format!("session_id={}/1", token.as_str());
        let mut session = reader.manager.load(Some(&cookie));
        let keys = session.keys().expect("loading never fails");
        if planted == original {
            prop_assert_eq!(&keys, &written, "the unchanged record loads as written");
        } else if !opens {
            prop_assert!(
                keys.is_empty(),
                "a changed sealed record opened: {:?}",
                tamper
            );
        }
        session.insert("after", &1u8).expect("insert");
        let set_cookie = reader.manager.commit(session, Scheme::Http);
        let set_cookie = match set_cookie {
            Ok(Some(set_cookie)) => set_cookie,
            other => return Err(TestCaseError::fail(format!("commit: {other:?}"))),
        };
        let stored = reader
            .backend
            .load(&key, Consistency::Strong)
            .expect("load")
            .into_record();
        if opens {
            prop_assert!(set_cookie.contains(token.as_str()), "{}", set_cookie);
        } else {
            prop_assert!(!set_cookie.contains(token.as_str()), "{}", set_cookie);
            prop_assert_eq!(stored, Some(planted), "the record was touched");
        }
        self.backend.purge_expired(i64::MAX);
        reader.backend.purge_expired(i64::MAX);
        Ok(())
    }
}

// ------------------------------------------------------------ generators

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("_csrft_".to_owned()),
        2 => Just("_f_".to_owned()),
        1 => Just("_f_errors".to_owned()),
        2 => "[a-z_]{0,8}",
        1 => any::<String>(),
    ]
}

fn cbor_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<u64>().prop_map(|i| Value::Integer(i.into())),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        any::<String>().prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Value::Map),
            (any::<u64>(), inner).prop_map(|(tag, v)| Value::Tag(tag, Box::new(v))),
        ]
    })
}

/// A CBOR map with text keys (what the library writes), re-encoded.
fn cbor_document() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((key_name(), cbor_value()), 0..6).prop_map(|entries| {
        let map = Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Text(k), v))
                .collect(),
        );
        let mut bytes = Vec::new();
        ciborium::into_writer(&map, &mut bytes).expect("encodes");
        bytes
    })
}

fn cbor_bytes() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = fuzz_support::corpus("cbor")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let documents = cbor_document().prop_flat_map(|bytes| fuzz_support::mutated(vec![bytes]));
    prop_oneof![
        3 => cbor_document(),
        3 => documents,
        2 => fuzz_support::mutated(seeds),
        2 => proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>().prop_map(J::from),
        any::<bool>().prop_map(J::Bool),
        Just(J::Null),
        any::<String>().prop_map(J::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            proptest::collection::vec((key_name(), inner), 0..4)
                .prop_map(|entries| J::Object(entries.into_iter().collect())),
        ]
    })
}

fn json_document() -> impl Strategy<Value = String> {
    proptest::collection::vec((key_name(), json_value()), 0..6)
        .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect()).to_string())
}

fn json_text() -> impl Strategy<Value = String> {
    let seeds: Vec<Vec<u8>> = fuzz_support::corpus("json")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let lossy = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let documents = json_document()
        .prop_flat_map(|text| fuzz_support::mutated(vec![text.into_bytes()]))
        .prop_map(lossy);
    prop_oneof![
        3 => json_document(),
        3 => documents,
        2 => fuzz_support::mutated(seeds).prop_map(lossy),
        1 => any::<String>(),
        1 => "[\\[\\]{}\":,0-9a-z .eE+-]{0,64}",
    ]
}

// ------------------------------------------------------------ properties

/// Any bytes as plain CBOR: decoded under `SealedAcceptingPlain`, refused
/// unread (the record left alone) under the default.
#[test]
fn fuzz_cbor_dat() {
    let (reading, refusing) = (Target::accepting_plain(), Target::new());
    let mut runner = TestRunner::new(fuzz_support::config());
    let started = std::time::Instant::now();
    runner
        .run(&cbor_bytes(), |bytes| {
            reading.check(StoredData::Cbor(bytes.clone()))?;
            refusing.check(StoredData::Cbor(bytes))
        })
        .unwrap();
    eprintln!(
        "fuzz_cbor_dat: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

#[test]
fn fuzz_json_dat() {
    let target = Target::new();
    let mut runner = TestRunner::new(fuzz_support::config());
    let started = std::time::Instant::now();
    runner
        .run(&json_text(), |text| target.check(StoredData::Json(text)))
        .unwrap();
    eprintln!(
        "fuzz_json_dat: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

/// Every finite f64, written as JSON numbers are (shortest digits, in
/// fixed and in exponent notation, as Rust and Python write them), survives
/// a JSON-mode commit that did not touch it, bit for bit.
#[test]
fn fuzz_json_floats_survive_a_commit() {
    let target = Target::json();
    let mut runner = TestRunner::new(fuzz_support::config());
    let floats = prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        (0u64..1 << 52).prop_map(f64::from_bits), // subnormals
        any::<f32>().prop_map(f64::from),
    ]
    .prop_filter("finite", |x| x.is_finite());
    let started = std::time::Instant::now();
    runner
        .run(&floats, |x| {
            target.check_float(x, &format!("{x:?}"))?;
            target.check_float(x, &format!("{x:e}"))?;
            target.check_float(x, &format!("{x:E}"))
        })
        .unwrap();
    eprintln!(
        "fuzz_json_floats_survive_a_commit: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

#[test]
fn awkward_json_floats_survive_a_commit() {
    let target = Target::json();
    for (x, literal) in [
        (24694.101300000002, "24694.101300000002"),
        (-0.0, "-0.0"),
        (-0.0, "-0e0"),
        (0.0, "0.0"),
        (5e-324, "5e-324"),
        (5e-324, "4.9406564584124654e-324"),
        (2.225073858507201e-308, "2.225073858507201e-308"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.7976931348623157e308, "-1.7976931348623157e308"),
        (1e16, "1e+16"),
        (0.1, "0.1"),
        (9007199254740992.0, "9007199254740993.0"), // a tie, to even
    ] {
        target
            .check_float(x, literal)
            .unwrap_or_else(|e| panic!("{literal}: {e}"));
    }
}

/// A sealed record changed in any one way never opens (see
/// [`Target::check_sealed`]).
#[test]
fn fuzz_sealed_records() {
    let (writer, reader) = (Target::new(), Target::new());
    let mut runner = TestRunner::new(fuzz_support::config());
    let entries = proptest::collection::vec((key_name(), cbor_value()), 0..6);
    let started = std::time::Instant::now();
    runner
        .run(&(entries, tamper()), |(entries, tamper)| {
            writer.check_sealed(&reader, &entries, &tamper)
        })
        .unwrap();
    eprintln!(
        "fuzz_sealed_records: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

/// Any bytes behind the sealed format byte, as the opener sees a
/// forged record: never opened, never a panic, the record left alone.
#[test]
fn fuzz_sealed_looking_dat() {
    let target = Target::new();
    let mut runner = TestRunner::new(fuzz_support::config());
    let forged = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..128),
        cbor_document(),
    ]
    .prop_map(|rest| [vec![0x1c], rest].concat());
    runner
        .run(&forged, |bytes| target.check(StoredData::Cbor(bytes)))
        .unwrap();
}

// ------------------------------------------------------ corpus replay

#[test]
fn replay_cbor_corpus() {
    for target in [Target::accepting_plain(), Target::new()] {
        for (path, bytes) in fuzz_support::corpus("cbor") {
            if let Err(e) = target.check(StoredData::Cbor(bytes)) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn replay_json_corpus() {
    let target = Target::new();
    for (path, bytes) in fuzz_support::corpus("json") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Err(e) = target.check(StoredData::Json(text)) {
            panic!("{}: {e}", path.display());
        }
    }
}

//! Fuzzing the cookie side, on stable with proptest: the `Cookie` header
//! parser and the `<token>/<version>` parser, through the public API
//! (`SessionManager::load(Some(header))` + `Session::load()`) on a
//! `CountingBackend<MemoryBackend>`.
//!
//! Properties, for any header:
//! - nothing panics;
//! - a store call happens if and only if the header holds a well-formed
//!   `session_id=<43 base64url>/<positive int>` pair, as an independent
//!   oracle below reads the header; then it is at most two reads;
//! - an untouched session commits nothing and sets no cookie;
//! - a session given data is stored under a freshly drawn ID, never under a
//!   token the client sent (no session fixation by a client-chosen ID).
//!
//! `cargo test` runs a short pass (2,000 cases each) and replays
//! `tests/corpus/cookie_header/` and `tests/corpus/token_version/`; the long
//! run is `PROPTEST_CASES=1000000 cargo test --release -p dynamodb-sessions
//! --test memory fuzz_cookie`.

use crate::fuzz_support;

use dynamodb_sessions::Scheme;
use std::sync::Arc;

use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{store::Token, testing::CountingBackend, SessionConfig, SessionManager};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

const NAME: &str = "session_id";
const VALID_TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO-_";

/// Whether `value` is a well-formed `<token>/<version>`, written
/// independently of the library's parser.
fn oracle_value(value: &str) -> bool {
    let Some((token, version)) = value.split_once('/') else {
        return false;
    };
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !version.is_empty()
        && version.len() <= 20
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0')
        && version.parse::<u64>().is_ok()
}

/// The well-formed session cookie values a `Cookie` header carries:
/// pairs separated by `;`, `name=value` split at the first `=`, both
/// trimmed of whitespace, one pair of surrounding double quotes removed.
fn oracle_values(header: &str) -> Vec<String> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.trim() == NAME)
        .map(|(_, value)| {
            let value = value.trim();
            if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                value[1..value.len() - 1].to_owned()
            } else {
                value.to_owned()
            }
        })
        .filter(|value| oracle_value(value))
        .collect()
}

struct Target {
    backend: Arc<CountingBackend<MemoryBackend>>,
    manager: SessionManager,
}

impl Target {
    fn new() -> Self {
        let backend = Arc::new(CountingBackend::new(MemoryBackend::new()));
        let manager = SessionManager::new(backend.clone(), SessionConfig::default());
        Target { backend, manager }
    }

    /// The properties for one header. Returns whether it was well-formed.
    fn check(&self, header: &str) -> Result<bool, TestCaseError> {
        let expected = oracle_values(header);
        self.backend.reset_counts();

        // Untouched: no store call, no cookie.
        let session = self.manager.load(Some(header));
        prop_assert_eq!(self.manager.commit(session, Scheme::Https).ok(), Some(None));
        prop_assert_eq!(self.backend.counts().total(), 0);

        // Loaded: a store call exactly when well-formed (the store is empty,
        // so an eventual read and a strong one).
        let mut session = self.manager.load(Some(header));
        prop_assert!(session.load().is_ok());
        let calls = self.backend.counts().total();
        prop_assert_eq!(calls > 0, !expected.is_empty(), "{} calls", calls);
        prop_assert!(calls <= 2, "{} calls", calls);
        prop_assert!(self.backend.counts().writes() == 0);

        // Given data: a new ID, never one the client sent.
        session.insert("k", &1u8).expect("insert");
        let set_cookie = self
            .manager
            .commit(session, Scheme::Https)
            .expect("commit")
            .expect("a cookie");
        let value = set_cookie
            .strip_prefix("session_id=")
            .and_then(|rest| rest.split(';').next())
            .expect("our cookie");
        prop_assert!(value.ends_with("/1"), "{}", value);
        let token = &value[..43];
        prop_assert!(!header.contains(token), "client token adopted");
        Ok(!expected.is_empty())
    }
}

// ------------------------------------------------------------ generators

fn token_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(VALID_TOKEN.to_owned()),
        4 => "[A-Za-z0-9_-]{43}",
        2 => "[A-Za-z0-9_+/=.-]{40,46}",
        1 => any::<String>(),
        1 => "[A-Za-z0-9_-]{42}[^A-Za-z0-9_-]",
        1 => Just(format!("{VALID_TOKEN}=")),
    ]
}

fn version_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1..u64::MAX).prop_map(|v| v.to_string()),
        2 => Just(u64::MAX.to_string()),
        1 => Just("18446744073709551616".to_owned()),
        2 => "[-+0-9]{0,22}",
        1 => "0[0-9]{0,3}",
        1 => "[0-9]{1,3}[./ ][0-9]{0,3}",
        1 => any::<String>(),
    ]
}

fn whitespace() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        2 => Just(" ".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("\u{a0}".to_owned()),
        1 => Just("\u{2003} ".to_owned()),
        1 => Just("\r\n".to_owned()),
    ]
}

fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(NAME.to_owned()),
        1 => Just("Session_Id".to_owned()),
        1 => Just("session_id2".to_owned()),
        1 => Just("session".to_owned()),
        1 => Just(String::new()),
        1 => "[a-z_]{1,12}",
        1 => any::<String>(),
    ]
}

/// A value: token, separator, version, optionally quoted or padded.
fn value_like() -> impl Strategy<Value = String> {
    (
        token_like(),
        prop_oneof![8 => Just("/"), 1 => Just(""), 1 => Just("//"), 1 => Just("%2F")],
        version_like(),
        0..4u8,
        whitespace(),
        whitespace(),
    )
        .prop_map(|(token, separator, version, quoting, before, after)| {
            let value = format!("{token}{separator}{version}");
            let value = match quoting {
                1 => format!("\"{value}\""),
                2 => format!("\"{value}"),
                _ => value,
            };
            format!("{before}{value}{after}")
        })
}

/// A pair, or junk.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (whitespace(), name_like(), whitespace(), value_like())
            .prop_map(|(a, name, b, value)| format!("{a}{name}{b}={value}")),
        1 => "[a-z]{1,5}=[ -~]{0,12}",
        1 => any::<String>(),
        1 => Just(String::new()),
        1 => Just(NAME.to_owned()),
        1 => Just(format!("{NAME}={VALID_TOKEN}/1; Path=/; HttpOnly")),
    ]
}

fn structured_header() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            piece(),
            prop_oneof![Just("; "), Just(";"), Just(" ;"), Just(";;"), Just(",")],
        ),
        0..6,
    )
    .prop_map(|pieces| {
        pieces
            .into_iter()
            .map(|(piece, separator)| format!("{piece}{separator}"))
            .collect()
    })
}

fn header() -> impl Strategy<Value = String> {
    let seeds: Vec<Vec<u8>> = fuzz_support::corpus("cookie_header")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    prop_oneof![
        5 => structured_header(),
        2 => fuzz_support::mutated(seeds)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        1 => any::<String>(),
        1 => proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

// ------------------------------------------------------------ properties

#[test]
fn fuzz_cookie_header() {
    let target = Target::new();
    let mut runner = TestRunner::new(fuzz_support::config());
    let started = std::time::Instant::now();
    runner
        .run(&header(), |header| target.check(&header).map(|_| ()))
        .unwrap();
    eprintln!(
        "fuzz_cookie_header: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

/// The token and version parsers: `Token::parse` directly against the
/// oracle, and `<token>/<version>` as the whole cookie value through the
/// manager.
#[test]
fn fuzz_token_version() {
    let target = Target::new();
    let seeds: Vec<Vec<u8>> = fuzz_support::corpus("token_version")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let value = prop_oneof![
        4 => (token_like(), version_like()).prop_map(|(t, v)| format!("{t}/{v}")),
        2 => fuzz_support::mutated(seeds)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        1 => any::<String>(),
    ];
    let mut runner = TestRunner::new(fuzz_support::config());
    let started = std::time::Instant::now();
    runner
        .run(&value, |value| check_token_version(&target, &value))
        .unwrap();
    eprintln!(
        "fuzz_token_version: {} cases in {:?}",
        fuzz_support::config().cases,
        started.elapsed()
    );
}

fn check_token_version(target: &Target, value: &str) -> Result<(), TestCaseError> {
    let token = value.split_once('/').map_or(value, |(token, _)| token);
    let parsed = Token::parse(token);
    let token_ok = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    prop_assert_eq!(parsed.is_some(), token_ok);
    if let Some(parsed) = parsed {
        prop_assert_eq!(parsed.as_str(), token);
        prop_assert_eq!(
            parsed.storage_key(),
            Token::parse(token).unwrap().storage_key()
        );
        prop_assert_eq!(format!("{parsed:?}"), "Token(..)");
    }
    if value.contains(';') {
        return Ok(());
    }
    target.check(&format!("{NAME}={value}"))?;
    Ok(())
}

// ------------------------------------------------------ corpus replay

#[test]
fn replay_cookie_header_corpus() {
    let target = Target::new();
    let mut well_formed = 0;
    for (path, bytes) in fuzz_support::corpus("cookie_header") {
        let header = String::from_utf8_lossy(&bytes);
        match target.check(&header) {
            Ok(true) => well_formed += 1,
            Ok(false) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    assert!(
        well_formed > 0,
        "the corpus should hold well-formed headers too"
    );
}

#[test]
fn replay_token_version_corpus() {
    let target = Target::new();
    for (path, bytes) in fuzz_support::corpus("token_version") {
        let value = String::from_utf8_lossy(&bytes);
        if let Err(e) = check_token_version(&target, &value) {
            panic!("{}: {e}", path.display());
        }
    }
}

/// The oracle itself, on inputs whose answer is known.
#[test]
fn oracle_agrees_with_the_documented_shape() {
    assert!(oracle_value(&format!("{VALID_TOKEN}/1")));
    assert!(oracle_value(&format!("{VALID_TOKEN}/{}", u64::MAX)));
    assert!(!oracle_value(&format!("{VALID_TOKEN}/0")));
    assert!(!oracle_value(&format!(
        "{VALID_TOKEN}/18446744073709551616"
    )));
    assert_eq!(
        oracle_values(&format!("a=1; {NAME} = \"{VALID_TOKEN}/2\" ;b")),
        [format!("{VALID_TOKEN}/2")]
    );
}

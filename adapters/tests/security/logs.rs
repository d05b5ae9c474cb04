//! Security review, tested: no session token, storage key or CSRF token
//! appears in the log or in any error message.
//!
//! A small test logger captures every `log` record (all levels) while one
//! process goes through a full flow on a MemoryBackend and a manual clock:
//! anonymous visit, login (`regenerate_id`), CSRF and flash, a reissue, a
//! change conflict, logout, replay of every old cookie, an expired session,
//! an unusable version, undecodable CBOR and JSON records, a sealed record
//! that does not open (moved to another key, and with a byte changed), a
//! backend that
//! reports a corrupt item, and a backend that fails. Every `Set-Cookie`,
//! every planted token and every CSRF token is collected; each one, and
//! each storage key in hex (both cases) and base64 (standard and URL-safe,
//! padded or not) must appear in no log line and in no error's `Display`,
//! `Debug` or source chain, nor in the `Debug` of sessions and managers.

use dynamodb_sessions::Scheme;
use std::error::Error;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::Operation,
    store::{
        Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
        StorageKey, StoredData, Token, TouchOutcome,
    },
    testing::ManualClock,
    BackendError, SessionConfig, SessionManager,
};

// ------------------------------------------------------------ test logger

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push(format!(
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(capture).expect("the only logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

// ------------------------------------------------- a backend that can fail

/// MemoryBackend, except that loads of `corrupt_key` report a corrupt item
/// and, while `failing` is set, every call fails with an error whose
/// source quotes nothing secret (as a store's would not).
struct Flaky {
    inner: MemoryBackend,
    corrupt_key: Mutex<Option<StorageKey>>,
    failing: Mutex<bool>,
}

impl Flaky {
    fn fail(&self, operation: Operation) -> Result<(), BackendError> {
        if *self.failing.lock().unwrap() {
            return Err(BackendError::Unavailable {
                operation,
                attempts: 3,
                source: "connection refused".into(),
            });
        }
        Ok(())
    }
}

impl Backend for Flaky {
    fn load(&self, key: &StorageKey, c: Consistency) -> Result<LoadOutcome, BackendError> {
        self.fail(Operation::Load)?;
        if *self.corrupt_key.lock().unwrap() == Some(*key) {
            return Err(BackendError::Corrupt {
                reason: "attribute `ver` is not a number (N)".into(),
            });
        }
        self.inner.load(key, c)
    }
    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.fail(Operation::Create)?;
        self.inner.create(key, record)
    }
    fn replace(
        &self,
        key: &StorageKey,
        version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.fail(Operation::Replace)?;
        self.inner.replace(key, version, record)
    }
    fn touch(
        &self,
        key: &StorageKey,
        version: u64,
        iss: i64,
        exp: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.fail(Operation::Touch)?;
        self.inner.touch(key, version, iss, exp)
    }
    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.fail(Operation::End)?;
        self.inner.end(key, tombstone)
    }
}

// ------------------------------------------------------------- the flow

#[derive(Default)]
struct Secrets {
    tokens: Vec<String>,
    csrf: Vec<String>,
    texts: Vec<String>,
}

impl Secrets {
    fn cookie(&mut self, set_cookie: &str) -> String {
        let pair = set_cookie.split(';').next().unwrap().to_owned();
        if let Some(token) = pair
            .strip_prefix("session_id=")
            .and_then(|v| v.split('/').next())
        {
            if !token.is_empty() {
                self.tokens.push(token.to_owned());
            }
        }
        pair
    }

    fn message(&mut self, text: String) {
        self.texts.push(text);
    }

    fn error(&mut self, error: &dyn Error) {
        self.texts.push(format!("{error} / {error:?}"));
        let mut source = error.source();
        while let Some(inner) = source {
            self.texts.push(format!("{inner} / {inner:?}"));
            source = inner.source();
        }
    }

    /// Every form a secret could take in text.
    fn needles(&self) -> Vec<String> {
        let mut needles = Vec::new();
        for token in &self.tokens {
            needles.push(token.clone());
            let key = Token::parse(token).expect("a token").storage_key();
            let bytes = key.as_bytes();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            needles.push(hex.to_uppercase());
            needles.push(hex);
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                needles.push(engine.encode(bytes));
            }
            // Debug of the raw bytes, e.g. `[171, 205, ...]`.
            needles.push(
                format!("{:?}", &bytes[..8])
                    .trim_end_matches(']')
                    .to_owned(),
            );
        }
        needles.extend(self.csrf.iter().cloned());
        needles
    }
}

#[test]
fn no_token_storage_key_or_csrf_token_in_logs_or_errors() {
    let capture = capture();
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let backend = Arc::new(Flaky {
        inner: MemoryBackend::new(),
        corrupt_key: Mutex::new(None),
        failing: Mutex::new(false),
    });
    // A max_age, so that a reissue sends its cookie again (and that cookie
    // is checked for secrets too).
    let config = SessionConfig::builder()
        .absolute_lifetime(Some(std::time::Duration::from_secs(86_400)))
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .build()
        .unwrap();
    let manager = SessionManager::with_clock(backend.clone(), config, clock.clone());
    let mut s = Secrets::default();
    s.message(format!("{manager:?}"));

    // Anonymous visit.
    let mut session = manager.load(None);
    session.insert("visits", &1u32).unwrap();
    let anonymous = s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());

    // Login: a new ID.
    let mut session = manager.load(Some(&anonymous));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    s.csrf.push(session.new_csrf_token().unwrap());
    session.flash("welcome", "", false).unwrap();
    s.message(format!("{session:?}"));
    let logged_in = s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());

    // A wrong type, and a wrong CSRF token: errors name keys, not values.
    let mut session = manager.load(Some(&logged_in));
    let wrong = session.get::<u64>("_csrft_").unwrap_err();
    s.error(&wrong);
    let wrong = session.get::<Vec<u8>>("user").unwrap_err();
    s.error(&wrong);
    assert!(!session.check_csrf_token("guess").unwrap());
    let _ = session.pop_flash::<String>("").unwrap();
    let after_flash = s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());

    // Reissue after reissue_time.
    clock.advance(300);
    let mut session = manager.load(Some(&after_flash));
    session.load().unwrap();
    let reissued = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let reissued = s.cookie(&reissued);

    // Two requests change the same session: one conflicts.
    let mut first = manager.load(Some(&reissued));
    let mut second = manager.load(Some(&reissued));
    first.insert("a", &1).unwrap();
    second.insert("b", &2).unwrap();
    let current = s.cookie(&manager.commit(first, Scheme::Https).unwrap().unwrap());
    let conflict = manager.commit(second, Scheme::Https).unwrap_err();
    s.error(&conflict);

    // The store fails: load and commit errors.
    *backend.failing.lock().unwrap() = true;
    let mut session = manager.load(Some(&current));
    let failed = session.load().unwrap_err();
    s.error(&failed);
    let mut session = manager.load(None);
    session.insert("x", &1).unwrap();
    let failed = manager.commit(session, Scheme::Https).unwrap_err();
    s.error(&failed);
    let mut session = manager.load(Some(&current));
    session.invalidate();
    let failed = manager.commit(session, Scheme::Https).unwrap_err();
    s.error(&failed);
    *backend.failing.lock().unwrap() = false;

    // Logout, then every old cookie is replayed.
    let mut session = manager.load(Some(&current));
    session.invalidate();
    s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());
    for old in [&anonymous, &logged_in, &after_flash, &reissued, &current] {
        let mut session = manager.load(Some(old));
        assert!(
            session.is_empty().unwrap(),
            "a logged-out session came back"
        );
    }

    // Records that cannot be used: expired, version 0, undecodable CBOR
    // and JSON, and an item the backend reports as corrupt.
    let plant = |s: &mut Secrets, version: u64, expires_at: i64, data: StoredData| {
        let token = Token::generate().unwrap();
        s.tokens.push(token.as_str().to_owned());
        let record =
            Record::new(version, 1_700_000_000, expires_at, data).created_at(Some(1_700_000_000));
        // MemoryBackend stores what it is given, a version-0 record too.
        assert_eq!(
            backend.inner.create(&token.storage_key(), &record).unwrap(),
            CreateOutcome::Created
        );
        format!("session_id={}/1", token.as_str())
    };
    let now = 1_700_000_300;
    // A sealed `dat`, to move to other keys and to change.
    let mut session = manager.load(None);
    session.insert("card", "4111 1111 1111 1111").unwrap();
    let sealed_cookie = s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());
    let sealed_key = Token::parse(&sealed_cookie["session_id=".len()..sealed_cookie.len() - 2])
        .unwrap()
        .storage_key();
    let sealed = backend
        .inner
        .load(&sealed_key, Consistency::Strong)
        .unwrap()
        .into_record()
        .unwrap()
        .data;
    let StoredData::Cbor(mut changed) = sealed.clone() else {
        panic!("CBOR expected");
    };
    changed[30] ^= 0x40;
    let secret_json = format!("{{\"_csrft_\": \"{}\"", "c".repeat(40));
    s.csrf.push("c".repeat(40));
    let cookies = [
        plant(&mut s, 1, now - 1, StoredData::Cbor(vec![0xa0])),
        plant(&mut s, 0, now + 600, StoredData::Cbor(vec![0xa0])),
        plant(
            &mut s,
            1,
            now + 600,
            StoredData::Cbor(vec![0xa1, 0x61, 0x61]),
        ),
        plant(&mut s, 1, now + 600, StoredData::Json(secret_json)),
        plant(&mut s, u64::MAX, now + 600, StoredData::Cbor(vec![0xa0])),
        plant(&mut s, 1, now + 600, sealed),
        plant(&mut s, 1, now + 600, StoredData::Cbor(changed)),
    ];
    let corrupt = Token::generate().unwrap();
    s.tokens.push(corrupt.as_str().to_owned());
    *backend.corrupt_key.lock().unwrap() = Some(corrupt.storage_key());
    let corrupt_cookie = format!("session_id={}/1", corrupt.as_str());
    for cookie in cookies.iter().chain([&corrupt_cookie]) {
        let mut session = manager.load(Some(cookie));
        assert!(session.is_empty().unwrap(), "{cookie} was used");
        session.insert("fresh", &true).unwrap();
        let new = s.cookie(&manager.commit(session, Scheme::Https).unwrap().unwrap());
        assert_ne!(&new, cookie, "a client-chosen ID was adopted");
    }

    // The checks.
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.iter().any(|line| line.contains("corrupt")),
        "the flow logged no corrupt record: {logs:#?}"
    );
    assert_eq!(
        logs.iter()
            .filter(|line| line.contains("sealed data does not open"))
            .count(),
        2,
        "{logs:#?}"
    );
    let needles = s.needles();
    assert!(needles.len() > 50);
    for haystack in logs.iter().chain(s.texts.iter()) {
        for needle in &needles {
            assert!(
                !haystack.contains(needle.as_str()),
                "{needle:?} appears in {haystack:?}"
            );
        }
    }
    eprintln!(
        "checked {} log lines and {} error/debug texts against {} secret forms",
        logs.len(),
        s.texts.len(),
        needles.len()
    );
}

/// Users' sessions: no user id and no label in any log line or error,
/// through logins with a label, a listing, ending one, the others and all
/// sessions, a handle of nobody's, a manager under another user secret and
/// one without users (both of whose loads warn).
#[test]
fn no_user_id_or_label_in_logs_or_errors() {
    use dynamodb_sessions::users::{UserSecret, UserSettings, UsersError};

    const ID: &str = "grace.hopper@example.org";
    const LABEL: &str = "cobol-terminal-in-room-7";
    let capture = capture();
    let store = MemoryBackend::new();
    let users = |byte: u8| UserSettings::new(UserSecret::from_bytes(&[byte; 32]).unwrap());
    let manager = SessionManager::with_users(store.clone(), SessionConfig::default(), users(1));
    let login = || {
        let mut session = manager.load(None);
        session.set_user(ID).unwrap();
        session.set_label(LABEL).unwrap();
        let set_cookie = manager.commit(session, Scheme::Https).unwrap().unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    };
    let mut texts = Vec::new();
    let mut error = |error: &dyn Error| {
        let mut text = format!("{error} / {error:?}");
        let mut next = error.source();
        while let Some(cause) = next {
            text.push_str(&format!(" / {cause} / {cause:?}"));
            next = cause.source();
        }
        texts.push(text);
    };

    let (a, b) = (login(), login());
    let mut session = manager.load(Some(&a));
    let listed = session.user_sessions().unwrap();
    assert_eq!(listed.len(), 2);
    let handle = "AAAAAAAAAAAAAAAAAAAAAA".parse().unwrap();
    let unknown: UsersError = session.end_session(&handle).unwrap_err();
    error(&unknown);
    let other = listed.iter().find(|entry| !entry.current).unwrap();
    session.end_session(&other.handle).unwrap();
    session.end_other_sessions().unwrap();
    manager.commit(session, Scheme::Https).unwrap();
    let mut stale = manager.load(Some(&b));
    assert_eq!(stale.user().unwrap(), None);
    let ended: UsersError = stale.end_other_sessions().unwrap_err();
    error(&ended);

    // Another secret, and no users at all: the loads warn.
    let other_secret =
        SessionManager::with_users(store.clone(), SessionConfig::default(), users(2));
    assert_eq!(other_secret.load(Some(&a)).user().unwrap(), None);
    let without = SessionManager::new(store.clone(), SessionConfig::default());
    assert!(without.load(Some(&a)).is_empty().unwrap());
    let not_enabled = without.end_all_sessions(ID).unwrap_err();
    error(&not_enabled);
    let mut session = without.load(None);
    let refused = session.set_user(ID).unwrap_err();
    error(&refused);

    manager.end_all_sessions(ID).unwrap();
    assert_eq!(manager.load(Some(&a)).user().unwrap(), None);

    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.iter().any(|line| line.contains("user secret")),
        "the other secret's load warned: {logs:?}"
    );
    for text in logs.iter().chain(&texts) {
        assert!(!text.contains(ID), "user id in {text}");
        assert!(!text.contains(LABEL), "label in {text}");
    }
}

//! Cross-language tests: the real pyramid-dynamodb-sessions (PyPI 0.1.3, in a
//! virtualenv made by `python_env`) and this library on one DynamoDB Local
//! table, in both directions.
//!
//! The Python side is a small Pyramid app (`adapters/test-support/python/app.py`)
//! driven through webtest by `driver.py`, one long-lived process per test
//! that takes JSON commands on stdin and answers JSON on stdout. The Rust
//! side is a `SessionManager` in JSON mode on `DynamoDbBackend`. Every test
//! skips (loudly) where DynamoDB Local or Python is unavailable, and fails
//! instead under `CI`.

use dynamodb_sessions::Scheme;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use dynamodb_sessions::users::{UserSecret, UserSettings};
use dynamodb_sessions::DynamoDbBackend;
use dynamodb_sessions::{
    store::Token, CommitError, DataEncoding, SessionConfig, SessionError, SessionManager,
};
use dynamodb_sessions_test_support::dynamodb_local::DynamoDbLocal;
use dynamodb_sessions_test_support::python_env::{scripts_dir, PythonEnv};
use dynamodb_sessions_test_support::raw_table::{block_on, raw_client};
use dynamodb_sessions_test_support::DynamoDbHarness;
use rusoto_dynamodb::{AttributeValue, DynamoDb, GetItemInput};
use serde_json::{json, Value};

/// How long one answer from the Python side may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// The Python side
// ---------------------------------------------------------------------------

/// One running `driver.py`: a Pyramid app on pyramid-dynamodb-sessions.
struct Pyramid {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

/// The answer to one request.
#[derive(Debug)]
struct Reply {
    set_cookie: Option<String>,
    results: Vec<Value>,
    /// The Python exception's type name and message, if the request failed.
    error: Option<(String, String)>,
}

impl Reply {
    /// The `name=value` pair of the response's `Set-Cookie`.
    fn cookie(&self) -> String {
        let header = self
            .set_cookie
            .as_deref()
            .unwrap_or_else(|| panic!("the Python app set no cookie: {self:?}"));
        cookie_pair(header)
    }
}

/// A request stopped at its `pause` action, after the package's read and
/// before its write.
struct Paused<'a>(&'a mut Pyramid);

impl Paused<'_> {
    fn resume(self) -> Reply {
        self.0.send(&json!({"op": "resume"}));
        self.0.reply()
    }
}

impl Pyramid {
    /// Starts the driver on `table` at `endpoint` with these
    /// `DynamoDBSessionFactory` settings.
    fn start(env: &PythonEnv, endpoint: &str, table: &str, settings: Value) -> Pyramid {
        let mut child = Command::new(env.python())
            .arg(scripts_dir().join("driver.py"))
            .current_dir(scripts_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Python driver");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("driver stdout");
        let mut stderr_pipe = child.stderr.take().expect("driver stderr");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut pyramid = Pyramid {
            child,
            stdin,
            lines,
            stderr,
        };
        pyramid.configure(endpoint, table, settings);
        pyramid
    }

    /// Rebuilds the app with other settings.
    fn configure(&mut self, endpoint: &str, table: &str, settings: Value) {
        self.send(&json!({
            "op": "configure", "endpoint": endpoint, "table": table, "settings": settings,
        }));
        let answer = self.receive();
        assert_eq!(answer["ok"], json!(true), "configure failed: {answer}");
    }

    /// One request applying `actions` to the session the cookie names.
    fn request(&mut self, cookie: Option<&str>, actions: Value) -> Reply {
        self.send(&json!({"op": "request", "cookie": cookie, "actions": actions}));
        self.reply()
    }

    /// Like [`request`](Self::request) for a request whose actions hold a
    /// `["pause"]`: returns once the request stands at the pause.
    fn request_until_pause(&mut self, cookie: Option<&str>, actions: Value) -> Paused<'_> {
        self.send(&json!({"op": "request", "cookie": cookie, "actions": actions}));
        let answer = self.receive();
        assert_eq!(answer["paused"], json!(true), "expected a pause: {answer}");
        Paused(self)
    }

    /// A request that must succeed; returns its results.
    fn ok(&mut self, cookie: Option<&str>, actions: Value) -> Reply {
        let reply = self.request(cookie, actions);
        if let Some((kind, message)) = &reply.error {
            panic!(
                "the Python request failed: {kind}: {message}\n--- Python stderr ---\n{}",
                self.stderr()
            );
        }
        reply
    }

    fn send(&mut self, command: &Value) {
        let stdin = self.stdin.as_mut().expect("driver stdin");
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("writing to the driver: {e}\n{}", self.stderr()));
    }

    fn receive(&mut self) -> Value {
        match self.lines.recv_timeout(ANSWER_TIMEOUT) {
            Ok(line) => serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("driver answered {line:?} ({e})\n{}", self.stderr())),
            Err(e) => panic!(
                "no answer from the Python driver ({e})\n--- Python stderr ---\n{}",
                self.stderr()
            ),
        }
    }

    fn reply(&mut self) -> Reply {
        let answer = self.receive();
        let error = match &answer["error"] {
            Value::Null => None,
            error => Some((
                error["type"].as_str().unwrap_or_default().to_owned(),
                error["message"].as_str().unwrap_or_default().to_owned(),
            )),
        };
        if let Some((kind, message)) = &error {
            assert!(
                kind != "ImportError" && kind != "ProtocolError",
                "the Python driver is broken: {kind}: {message}\n{}",
                self.stderr()
            );
        }
        Reply {
            set_cookie: answer["set_cookie"].as_str().map(str::to_owned),
            results: answer["results"].as_array().cloned().unwrap_or_default(),
            error,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Pyramid {
    fn drop(&mut self) {
        // Closing stdin ends the driver's loop.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// The shared table
// ---------------------------------------------------------------------------

/// Both sides on one new table.
struct Fixture {
    backend: DynamoDbBackend,
    python: Pyramid,
}

impl Fixture {
    /// `None` (after a loud warning) where DynamoDB Local or Python is
    /// missing outside CI.
    fn new() -> Option<Fixture> {
        Self::with_python_settings(json!({}))
    }

    fn with_python_settings(settings: Value) -> Option<Fixture> {
        let harness = DynamoDbHarness::shared()?;
        let env = PythonEnv::shared()?;
        let endpoint = DynamoDbLocal::shared()?.endpoint().to_owned();
        let backend = harness.backend_on_new_table("python-interop");
        let python = Pyramid::start(env, &endpoint, backend.table_name(), settings);
        Some(Fixture { backend, python })
    }

    /// A manager writing JSON, as while both languages share the table.
    fn json_manager(&self) -> SessionManager {
        self.manager(SessionConfig::builder())
    }

    fn manager(&self, builder: dynamodb_sessions::SessionConfigBuilder) -> SessionManager {
        let config = builder
            .data_encoding(DataEncoding::Json)
            .build()
            .expect("valid settings");
        SessionManager::new(self.backend.clone(), config)
    }

    /// A manager writing JSON whose sessions can carry a user.
    fn json_manager_with_users(&self) -> SessionManager {
        let config = SessionConfig::builder()
            .data_encoding(DataEncoding::Json)
            .build()
            .expect("valid settings");
        let secret = UserSecret::from_bytes(&[42; 32]).expect("a secret");
        SessionManager::with_users(self.backend.clone(), config, UserSettings::new(secret))
    }

    /// A manager writing CBOR, the default once Python is gone.
    fn cbor_manager(&self) -> SessionManager {
        let config = SessionConfig::builder()
            .data_encoding(DataEncoding::Cbor)
            .build()
            .expect("valid settings");
        SessionManager::new(self.backend.clone(), config)
    }

    /// The stored item of the session a `name=token/version` cookie names.
    fn raw_item(&self, cookie: &str) -> Option<HashMap<String, AttributeValue>> {
        raw_item(&self.backend, cookie)
    }
}

/// Deletes the item behind `cookie`, as DynamoDB's TTL does once it has
/// expired (the harness's tables keep expired items, so that a test decides
/// when the sweep comes).
fn sweep_as_ttl_does(backend: &DynamoDbBackend, cookie: &str) {
    use rusoto_dynamodb::DeleteItemInput;
    let input = DeleteItemInput {
        table_name: backend.table_name().to_owned(),
        key: storage_key_of(cookie),
        ..DeleteItemInput::default()
    };
    let endpoint = DynamoDbLocal::shared().expect("DynamoDB Local").endpoint();
    block_on(raw_client(endpoint).delete_item(input)).expect("raw DeleteItem");
}

/// The DynamoDB key of the session a `name=token/version` cookie names.
fn storage_key_of(cookie: &str) -> HashMap<String, AttributeValue> {
    let token =
        Token::parse(token_of(cookie)).unwrap_or_else(|| panic!("not a session cookie: {cookie}"));
    HashMap::from([(
        "sid".to_owned(),
        AttributeValue {
            b: Some(token.storage_key().as_bytes().to_vec().into()),
            ..AttributeValue::default()
        },
    )])
}

/// The stored item of the session a `name=token/version` cookie names,
/// attribute by attribute, read strongly consistent.
fn raw_item(backend: &DynamoDbBackend, cookie: &str) -> Option<HashMap<String, AttributeValue>> {
    let key = storage_key_of(cookie);
    let input = GetItemInput {
        table_name: backend.table_name().to_owned(),
        key,
        consistent_read: Some(true),
        ..GetItemInput::default()
    };
    let endpoint = DynamoDbLocal::shared().expect("DynamoDB Local").endpoint();
    block_on(raw_client(endpoint).get_item(input))
        .expect("raw GetItem")
        .item
}

/// The `name=value` pair of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The version in a `name=token/version` cookie.
fn version_of(cookie: &str) -> u64 {
    cookie
        .rsplit('/')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no version in {cookie}"))
}

/// The token in a `name=token/version` cookie.
fn token_of(cookie: &str) -> &str {
    cookie
        .split_once('=')
        .and_then(|(_, value)| value.split('/').next())
        .unwrap_or_else(|| panic!("no token in {cookie}"))
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|value| value.n.as_deref())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number {name} in {item:?}"))
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn python_session_goes_on_in_rust() {
    let Some(mut fx) = Fixture::new() else { return };
    let nested = json!({"list": [1, 2.5, "x", null, true], "name": "Ada Lovelace ✓"});
    let created = fx.python.ok(
        None,
        json!([
            ["set", "n", 1],
            ["set", "nested", nested],
            ["flash", "hi", ""],
            ["flash", "careful", "errors"],
            ["csrf"],
        ]),
    );
    let csrf = created.results[4].as_str().unwrap().to_owned();
    let python_cookie = created.cookie();
    assert_eq!(version_of(&python_cookie), 1);

    // Rust continues the session from the cookie the Python app set.
    let rust = fx.json_manager();
    let mut session = rust.load(Some(&python_cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), Some(1));
    assert_eq!(
        session.get::<Value>("nested").unwrap(),
        Some(nested.clone())
    );
    assert_eq!(session.peek_flash::<String>("errors").unwrap(), ["careful"]);
    assert_eq!(session.pop_flash::<String>("").unwrap(), ["hi"]);
    assert!(session.check_csrf_token(&csrf).unwrap());
    assert_eq!(session.csrf_token().unwrap(), csrf);
    session.insert("n", &2).unwrap();
    session.flash("from rust", "", true).unwrap();
    let rust_cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(token_of(&rust_cookie), token_of(&python_cookie), "same ID");
    assert_eq!(version_of(&rust_cookie), 2);
    let item = fx.raw_item(&rust_cookie).unwrap();
    assert!(item["dat"].s.is_some(), "JSON mode writes dat as S");

    // Python reads what Rust wrote, with the new cookie and with the old one
    // (whose version is behind: the package then reads strongly).
    for cookie in [&rust_cookie, &python_cookie] {
        let reply = fx.python.ok(
            Some(cookie),
            json!([["state"], ["peek_flash", ""], ["csrf"], ["info"]]),
        );
        let state = &reply.results[0];
        assert_eq!(state["n"], json!(2));
        assert_eq!(state["nested"], nested);
        assert_eq!(state["_f_errors"], json!(["careful"]));
        assert_eq!(reply.results[1], json!(["from rust"]));
        assert_eq!(reply.results[2], json!(csrf));
        assert_eq!(reply.results[3], json!({"new": false, "version": "2"}));
    }
}

#[test]
fn rust_session_goes_on_in_python() {
    let Some(mut fx) = Fixture::new() else { return };
    let rust = fx.json_manager();
    let nested = json!({"roles": ["admin", "dev"], "ratio": 0.25, "id": -7, "big": u64::MAX});
    let mut session = rust.load(None);
    session.insert("user", "ada").unwrap();
    session.insert("nested", &nested).unwrap();
    session.flash("welcome", "", true).unwrap();
    let csrf = session.csrf_token().unwrap();
    let rust_cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(version_of(&rust_cookie), 1);
    let item = fx.raw_item(&rust_cookie).unwrap();
    assert!(item["dat"].s.is_some(), "JSON mode writes dat as S");
    assert!(item.contains_key("crt"), "this library records creation");

    let reply = fx.python.ok(
        Some(&rust_cookie),
        json!([
            ["get", "user"],
            ["get", "nested"],
            ["csrf"],
            ["pop_flash", ""],
            ["set", "visits", 1],
            ["info"],
        ]),
    );
    assert_eq!(reply.results[0], json!("ada"));
    assert_eq!(reply.results[1], nested);
    assert_eq!(reply.results[2], json!(csrf));
    assert_eq!(reply.results[3], json!(["welcome"]));
    assert_eq!(reply.results[5], json!({"new": false, "version": "1"}));
    let python_cookie = reply.cookie();
    assert_eq!(token_of(&python_cookie), token_of(&rust_cookie), "same ID");
    assert_eq!(version_of(&python_cookie), 2);
    // The package replaces the whole item: our creation time is gone, so the
    // absolute lifetime counts afresh from our next write (README caveat).
    let item = fx.raw_item(&python_cookie).unwrap();
    assert!(!item.contains_key("crt"), "{item:?}");

    let mut session = rust.load(Some(&python_cookie));
    assert_eq!(session.get::<u32>("visits").unwrap(), Some(1));
    assert_eq!(
        session.get::<String>("user").unwrap().as_deref(),
        Some("ada")
    );
    assert_eq!(session.get::<Value>("nested").unwrap(), Some(nested));
    assert!(session.pop_flash::<String>("").unwrap().is_empty());
    assert!(session.check_csrf_token(&csrf).unwrap());
}

#[test]
fn alternating_requests_with_matching_custom_settings() {
    let timeout = 900;
    let Some(mut fx) = Fixture::with_python_settings(json!({
        "cookie_name": "app_session", "timeout": timeout, "reissue_time": 90,
        "samesite": "Lax", "max_age": 3600,
    })) else {
        return;
    };
    let rust = fx.manager(
        SessionConfig::builder()
            .cookie_name("app_session")
            .timeout(Duration::from_secs(timeout))
            .reissue_time(Duration::from_secs(90))
            .same_site(Some(dynamodb_sessions::SameSite::Lax))
            .max_age(Some(Duration::from_secs(3600))),
    );
    let mut cookie = fx.python.ok(None, json!([["set", "count", 1]])).cookie();
    assert!(cookie.starts_with("app_session="), "{cookie}");
    for round in 0..3 {
        // Rust adds one.
        let mut session = rust.load(Some(&format!("other=1; {cookie}")));
        let count = session.get::<i64>("count").unwrap().unwrap();
        assert_eq!(count, 1 + 2 * round);
        session.insert("count", &(count + 1)).unwrap();
        let header = rust.commit(session, Scheme::Http).unwrap().unwrap();
        assert!(header.contains("Max-Age=3600") && header.contains("SameSite=Lax"));
        cookie = cookie_pair(&header);
        let item = fx.raw_item(&cookie).unwrap();
        assert_eq!(number(&item, "exp") - number(&item, "iss"), timeout as i64);
        // Python adds one.
        let reply = fx.python.ok(
            Some(&cookie),
            json!([["get", "count"], ["set", "count", count + 2]]),
        );
        assert_eq!(reply.results[0], json!(count + 1));
        cookie = reply.cookie();
        let item = fx.raw_item(&cookie).unwrap();
        assert_eq!(number(&item, "exp") - number(&item, "iss"), timeout as i64);
    }
    assert_eq!(version_of(&cookie), 7);
    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.get::<i64>("count").unwrap(), Some(7));
}

#[test]
fn python_write_between_rust_load_and_commit_is_a_conflict() {
    let Some(mut fx) = Fixture::new() else { return };
    let cookie = fx.python.ok(None, json!([["set", "n", 1]])).cookie();
    let rust = fx.json_manager();
    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), Some(1));

    // Python writes between our load and our commit.
    fx.python.ok(Some(&cookie), json!([["set", "n", 10]]));

    session.insert("n", &2).unwrap();
    match rust.commit(session, Scheme::Http) {
        Err(CommitError::Conflict) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let reply = fx.python.ok(Some(&cookie), json!([["get", "n"], ["info"]]));
    assert_eq!(reply.results[0], json!(10), "Python's write stands");
    assert_eq!(reply.results[1]["version"], json!("2"));
}

#[test]
fn rust_write_during_a_python_request_raises_race_condition() {
    let Some(mut fx) = Fixture::new() else { return };
    let cookie = fx.python.ok(None, json!([["set", "n", 1]])).cookie();
    let rust = fx.json_manager();

    // Python has read the session and is about to write it...
    let paused = fx.python.request_until_pause(
        Some(&cookie),
        json!([["get", "n"], ["set", "n", 100], ["pause"]]),
    );
    // ...when Rust writes it.
    let mut session = rust.load(Some(&cookie));
    session.insert("n", &50).unwrap();
    let rust_cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    let reply = paused.resume();
    let (kind, _) = reply
        .error
        .expect("the package must refuse its stale write");
    assert_eq!(kind, "RaceConditionException");
    assert!(reply.set_cookie.is_none());

    let mut session = rust.load(Some(&rust_cookie));
    assert_eq!(
        session.get::<i64>("n").unwrap(),
        Some(50),
        "our write stands"
    );
}

/// Why JSON mode exists: in the default CBOR mode, our first write of a
/// shared session makes it unreadable for the Python package.
#[test]
fn cbor_write_breaks_the_python_side() {
    let Some(mut fx) = Fixture::new() else { return };
    let cookie = fx.python.ok(None, json!([["set", "n", 1]])).cookie();
    let rust = fx.cbor_manager();
    let mut session = rust.load(Some(&cookie));
    assert_eq!(
        session.get::<i64>("n").unwrap(),
        Some(1),
        "CBOR mode reads JSON"
    );
    session.insert("n", &2).unwrap();
    let cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert!(fx.raw_item(&cookie).unwrap()["dat"].b.is_some());

    // json.loads() of a boto3 Binary: the package fails on every request
    // with this cookie until the session expires.
    let reply = fx.python.request(Some(&cookie), json!([["get", "n"]]));
    let (kind, message) = reply.error.expect("the Python package cannot read CBOR");
    assert_eq!(kind, "TypeError", "{message}");

    // A JSON-mode write makes it readable again.
    let json = fx.json_manager();
    let mut session = json.load(Some(&cookie));
    session.insert("n", &3).unwrap();
    let cookie = cookie_pair(&json.commit(session, Scheme::Http).unwrap().unwrap());
    let reply = fx.python.ok(Some(&cookie), json!([["get", "n"]]));
    assert_eq!(reply.results[0], json!(3));
}

#[test]
fn json_mode_refuses_values_json_cannot_hold() {
    let Some(fx) = Fixture::new() else { return };
    let json = fx.json_manager();
    let mut session = json.load(None);
    session.insert("ok", &1).unwrap();
    for refused in [
        session.insert("nan", &f64::NAN),
        session.insert("inf", &f64::INFINITY),
        session.insert("bytes", &ciborium::Value::Bytes(vec![0, 1, 255])),
        session.insert("wide", &(u128::from(u64::MAX) + 1)),
    ] {
        assert!(
            matches!(refused, Err(SessionError::NotJson { .. })),
            "{refused:?}"
        );
    }
    assert!(!session.contains_key("nan").unwrap());
    let cookie = cookie_pair(&json.commit(session, Scheme::Http).unwrap().unwrap());

    // A value JSON cannot hold that came from a CBOR record is refused at
    // commit, and nothing is written.
    let cbor = fx.cbor_manager();
    let mut session = cbor.load(Some(&cookie));
    session
        .insert("bytes", &ciborium::Value::Bytes(vec![0, 1, 255]))
        .unwrap();
    let cookie = cookie_pair(&cbor.commit(session, Scheme::Http).unwrap().unwrap());
    let mut session = json.load(Some(&cookie));
    session.insert("ok", &2).unwrap();
    match json.commit(session, Scheme::Http) {
        Err(CommitError::NotJson { key, .. }) => assert_eq!(key, "bytes"),
        other => panic!("expected NotJson, got {other:?}"),
    }
    let item = fx.raw_item(&cookie).unwrap();
    assert_eq!(number(&item, "ver"), 2, "nothing was written");
}

/// Python's reissue is an UpdateItem without a condition. Our logout no
/// longer deletes the item but ends it (a tombstone: `ver` at its maximum,
/// `dat` an empty JSON object), so a Python request that held the session
/// and reissues afterwards only refreshes the tombstone's `iss`/`exp`: the
/// session stays ended for us, and Python does not fail on a recreated
/// item without `ver` (as it did while logout deleted the item).
///
/// DynamoDB Local ignores the package's reissue (`AttributeUpdates`
/// without an `Action`; DynamoDB takes a missing `Action` for `PUT`), so
/// the test applies it the way DynamoDB does. That shows the known limit
/// (README, "Sharing a table"): the reissue moves the tombstone's `exp`,
/// which our logout put in the past, ahead again, and for that stretch
/// Python reads the ended ID as an empty session again. No Rust change
/// can stop an unconditional write of the package.
#[test]
fn python_reissue_after_our_logout_keeps_the_session_ended() {
    // reissue_time None: the package reissues on every unchanged request.
    let Some(mut fx) = Fixture::with_python_settings(json!({"reissue_time": null})) else {
        return;
    };
    let cookie = fx.python.ok(None, json!([["set", "n", 1]])).cookie();
    let rust = fx.json_manager();

    let paused = fx
        .python
        .request_until_pause(Some(&cookie), json!([["get", "n"], ["pause"]]));
    let mut session = rust.load(Some(&cookie));
    session.invalidate();
    let expired = rust.commit(session, Scheme::Http).unwrap().unwrap();
    assert!(expired.contains("Max-Age=0"), "{expired}");
    assert_ended_for_python(&fx.backend, &cookie);
    assert_eq!(
        raw_item(&fx.backend, &cookie).unwrap()["dat"].s.as_deref(),
        Some("{}")
    );
    let reply = paused.resume();
    assert!(reply.error.is_none(), "{reply:?}");
    assert!(reply.set_cookie.is_some(), "the package reissued");
    reissue_as_dynamodb_applies_it(&fx, &cookie, 1200);

    let item = fx.raw_item(&cookie).expect("still the tombstone");
    let ended = u64::MAX.to_string();
    assert_eq!(
        item["ver"].n.as_deref(),
        Some(ended.as_str()),
        "still ended"
    );
    let mut session = rust.load(Some(&cookie));
    assert_eq!(
        session.get::<i64>("n").unwrap(),
        None,
        "a new session for us"
    );
    // The known limit: an empty session under the ended ID for Python.
    let reply = fx.python.ok(Some(&cookie), json!([["get", "n"], ["info"]]));
    assert_eq!(reply.results[0], json!(null), "no data");
    assert_eq!(
        reply.results[1],
        json!({"new": false, "version": ended}),
        "the known limit"
    );
}

/// Users' sessions on a shared table: the package reads and writes a
/// session a user logged in to here like any other (it keys nothing by the
/// user, and the user's generation item, 33 bytes long, is out of its
/// reach), and its write drops the user's attributes: the session then
/// loads here with its data and without its user (never as that user), as
/// the guide says.
#[test]
fn python_write_of_a_user_session_drops_the_user() {
    let Some(mut fx) = Fixture::new() else { return };
    let rust = fx.json_manager_with_users();
    let mut session = rust.load(None);
    session.insert("n", &1).unwrap();
    session.set_user("ada").unwrap();
    let cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    let item = fx.raw_item(&cookie).unwrap();
    assert!(item.contains_key("usr") && item.contains_key("uep") && item.contains_key("uin"));

    let reply = fx
        .python
        .ok(Some(&cookie), json!([["get", "n"], ["set", "n", 2]]));
    assert_eq!(reply.results[0], json!(1));
    let cookie = reply.cookie();
    let item = fx.raw_item(&cookie).unwrap();
    assert!(
        !item.contains_key("usr"),
        "the package's put drops the user"
    );

    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.user().unwrap(), None, "never as that user");
    assert_eq!(session.get::<i64>("n").unwrap(), Some(2), "the data stays");
    rust.end_all_sessions("ada").unwrap();
    let mut session = rust.load(Some(&cookie));
    assert_eq!(
        session.get::<i64>("n").unwrap(),
        Some(2),
        "out of the user's reach now"
    );
}

/// The other order of the known limit: the TTL removed our tombstone before
/// the package's unconditional reissue, which then makes an item of only
/// `iss` and `exp`. We read it as no session (and never write under that
/// ID again); the package fails on it (`KeyError` on `ver`) until it
/// expires. Only a Python request that held the session from before the
/// logout until after the sweep (DynamoDB sweeps within days) can do this.
#[test]
fn python_reissue_after_the_ttl_sweep_is_no_session_for_us() {
    let Some(mut fx) = Fixture::with_python_settings(json!({"reissue_time": null})) else {
        return;
    };
    let cookie = fx.python.ok(None, json!([["set", "n", 1]])).cookie();
    let rust = fx.json_manager();

    let paused = fx
        .python
        .request_until_pause(Some(&cookie), json!([["get", "n"], ["pause"]]));
    let mut session = rust.load(Some(&cookie));
    session.invalidate();
    rust.commit(session, Scheme::Http).unwrap().unwrap();
    sweep_as_ttl_does(&fx.backend, &cookie);
    let reply = paused.resume();
    assert!(reply.error.is_none(), "{reply:?}");
    reissue_as_dynamodb_applies_it(&fx, &cookie, 1200);

    let item = fx.raw_item(&cookie).expect("the reissue made an item");
    assert!(
        !item.contains_key("ver") && !item.contains_key("dat"),
        "{item:?}"
    );
    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), None, "no data for us");
    session.insert("m", &2).unwrap();
    let fresh = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_ne!(token_of(&fresh), token_of(&cookie), "a new ID");
    assert_eq!(
        fx.raw_item(&cookie),
        Some(item),
        "the reissued item untouched"
    );
    let reply = fx.python.request(Some(&cookie), json!([["get", "n"]]));
    let (kind, _) = reply.error.expect("the package fails on it");
    assert_eq!(kind, "KeyError");
}

/// The package's reissue of the session behind `cookie` (`iss` now, `exp`
/// `timeout` later, nothing else, no condition) as DynamoDB applies it:
/// DynamoDB Local ignores the package's own request.
fn reissue_as_dynamodb_applies_it(fx: &Fixture, cookie: &str, timeout: i64) {
    use rusoto_dynamodb::{AttributeValueUpdate, UpdateItemInput};
    let number = |n: i64| AttributeValueUpdate {
        action: Some("PUT".to_owned()),
        value: Some(AttributeValue {
            n: Some(n.to_string()),
            ..AttributeValue::default()
        }),
    };
    let now = unix_now();
    let input = UpdateItemInput {
        table_name: fx.backend.table_name().to_owned(),
        key: storage_key_of(cookie),
        attribute_updates: Some(HashMap::from([
            ("iss".to_owned(), number(now)),
            ("exp".to_owned(), number(now + timeout)),
        ])),
        ..UpdateItemInput::default()
    };
    let endpoint = DynamoDbLocal::shared().expect("DynamoDB Local").endpoint();
    block_on(raw_client(endpoint).update_item(input)).expect("raw UpdateItem");
}

/// The moment now, in unix seconds.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit")
}

/// Asserts that the item behind `cookie` is our tombstone, already expired
/// for the Python package (`exp` in the past), and was never written by it.
fn assert_ended_for_python(backend: &DynamoDbBackend, cookie: &str) {
    let item = raw_item(backend, cookie).expect("the tombstone");
    assert_eq!(
        item["ver"].n.as_deref(),
        Some(u64::MAX.to_string().as_str()),
        "still our tombstone, never ver 2^64: {item:?}"
    );
    assert!(
        number(&item, "exp") < unix_now(),
        "a tombstone Python reads as expired: {item:?}"
    );
}

/// A stale cookie replayed to Python after its session ended here: the
/// package sees no session, and a write (a mere CSRF token) makes a new
/// session under a new ID instead of reviving the ended one. Returns that
/// new cookie.
fn python_starts_afresh(fx: &mut Fixture, stale: &str) -> String {
    let reply = fx
        .python
        .ok(Some(stale), json!([["state"], ["info"], ["csrf"]]));
    assert_eq!(reply.results[0], json!({}), "no data: {reply:?}");
    assert_eq!(
        reply.results[1],
        json!({"new": true, "version": null}),
        "no session for Python: {reply:?}"
    );
    let fresh = reply.cookie();
    assert_ne!(token_of(&fresh), token_of(stale), "a new ID");
    assert_eq!(version_of(&fresh), 1);
    assert_ended_for_python(&fx.backend, stale);
    fresh
}

/// Our logout is a logout for the Python package too: a stale cookie
/// replayed to a Python page loads no session, and its first write draws a
/// new ID (it used to adopt the ended ID as an empty live session, and a
/// mere `get_csrf_token()` (Python's) then wrote `ver` 2^64, which we cannot read:
/// two sessions under one cookie). For a session made by either side.
#[test]
fn rust_logout_is_a_logout_for_python() {
    let Some(mut fx) = Fixture::new() else { return };
    let rust = fx.json_manager();
    let by_python = fx.python.ok(None, json!([["set", "user", "ada"]])).cookie();
    let mut session = rust.load(None);
    session.insert("user", "ada").unwrap();
    let by_rust = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());

    for stale in [by_python, by_rust] {
        let mut session = rust.load(Some(&stale));
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("ada")
        );
        session.invalidate();
        let expired = rust.commit(session, Scheme::Http).unwrap().unwrap();
        assert!(expired.contains("Max-Age=0"), "{expired}");

        let fresh = python_starts_afresh(&mut fx, &stale);
        // The new session goes on in both languages; the old cookie stays
        // ended in both.
        let mut session = rust.load(Some(&fresh));
        assert!(session.csrf_token().is_ok());
        assert_eq!(session.get::<String>("user").unwrap(), None);
        let mut session = rust.load(Some(&stale));
        assert_eq!(session.get::<String>("user").unwrap(), None);
        let reply = fx.python.ok(Some(&stale), json!([["info"]]));
        assert_eq!(reply.results[0]["new"], json!(true));
    }
}

/// Our login (`regenerate_id`) ends the old ID for Python too: the old
/// cookie replayed to Python is no session (a write there makes a third,
/// unrelated ID), and the new cookie carries the session on in Python.
#[test]
fn rust_login_ends_the_old_id_for_python() {
    let Some(mut fx) = Fixture::new() else { return };
    let rust = fx.json_manager();
    let before = fx.python.ok(None, json!([["set", "cart", 3]])).cookie();

    let mut session = rust.load(Some(&before));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    let after = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_ne!(token_of(&after), token_of(&before));

    let fresh = python_starts_afresh(&mut fx, &before);
    assert_ne!(token_of(&fresh), token_of(&after));
    let reply = fx.python.ok(Some(&after), json!([["state"], ["info"]]));
    assert_eq!(reply.results[0], json!({"cart": 3, "user": "ada"}));
    assert_eq!(reply.results[1], json!({"new": false, "version": "1"}));
    let mut session = rust.load(Some(&before));
    assert_eq!(session.get::<u32>("cart").unwrap(), None);
}

/// The other direction, as far as the package goes: its `invalidate()`
/// only empties the data and writes the next version under the same ID
/// (it ends nothing and has no `regenerate_id`), so after a Python logout
/// the old cookie names the emptied session in both languages, and a write
/// through it from either side goes on there, visible to the other.
#[test]
fn python_invalidate_empties_the_session_for_rust() {
    let Some(mut fx) = Fixture::new() else { return };
    let rust = fx.json_manager();
    let stale = fx.python.ok(None, json!([["set", "user", "ada"]])).cookie();
    let emptied = fx.python.ok(Some(&stale), json!([["invalidate"]])).cookie();
    assert_eq!(token_of(&emptied), token_of(&stale), "the same ID");
    assert_eq!(version_of(&emptied), 2);

    let mut session = rust.load(Some(&stale));
    assert_eq!(session.get::<String>("user").unwrap(), None, "no data left");
    session.insert("n", &1).unwrap();
    let ours = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(token_of(&ours), token_of(&stale));
    assert_eq!(version_of(&ours), 3);
    let reply = fx.python.ok(Some(&stale), json!([["state"], ["info"]]));
    assert_eq!(reply.results[0], json!({"n": 1}));
    assert_eq!(reply.results[1], json!({"new": false, "version": "3"}));

    // Our logout of it then ends it for Python as well.
    let mut session = rust.load(Some(&ours));
    session.invalidate();
    rust.commit(session, Scheme::Http).unwrap();
    python_starts_afresh(&mut fx, &stale);
}

/// Python's json.dumps writes NaN and Infinity, which are not JSON: we
/// cannot decode such a record and start a new session (the record is left
/// alone, so Python keeps its session).
#[test]
fn python_nan_is_not_json_for_us() {
    let Some(mut fx) = Fixture::new() else { return };
    let cookie = fx
        .python
        .ok(None, json!([["set", "n", 1], ["set_float", "x", "nan"]]))
        .cookie();
    let rust = fx.json_manager();
    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), None);
    session.insert("n", &5).unwrap();
    let ours = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_ne!(token_of(&ours), token_of(&cookie), "a new session");
    let reply = fx.python.ok(Some(&cookie), json!([["get", "n"]]));
    assert_eq!(reply.results[0], json!(1), "Python's record is untouched");
}

/// Integers beyond 64 bits are plain JSON numbers to Python, but we cannot
/// hold them exactly. They must not change silently: we treat such a record
/// as unusable (a new session for the Rust request) and leave it as Python
/// wrote it.
#[test]
fn python_big_integers_are_never_changed_by_us() {
    let Some(mut fx) = Fixture::new() else { return };
    let big = "1180591620717411303424"; // 2**70
    let cookie = fx
        .python
        .ok(None, json!([["set_int", "big", big], ["set", "n", 1]]))
        .cookie();
    let rust = fx.json_manager();
    let mut session = rust.load(Some(&cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), None, "not adopted");
    session.insert("n", &2).unwrap();
    let header = rust
        .commit(session, Scheme::Http)
        .unwrap()
        .expect("a new session");
    assert_ne!(cookie_pair(&header), cookie, "under a new ID");
    let reply = fx.python.ok(Some(&cookie), json!([["repr", "big"]]));
    assert_eq!(reply.results[0], json!(big), "Python's record is unchanged");
}

/// Floats as Python's `repr` (and so `json.dumps`) writes them, chosen to be
/// awkward: digits a not correctly rounded parser gets wrong, both zeros,
/// subnormals, the extremes, exponent notation.
const AWKWARD_FLOATS: [&str; 14] = [
    "24694.101300000002",
    "24694.1013",
    "0.30000000000000004",
    "-0.0",
    "5e-324",
    "2.225073858507201e-308",
    "2.2250738585072014e-308",
    "1.7976931348623157e+308",
    "-1.7976931348623157e+308",
    "1e+16",
    "9.999999999999999e-131",
    "1000000000000000.2",
    "-2.5e-07",
    "123456789012345.67",
];

/// JSON mode must not round floats. Python writes awkward floats;
/// Rust reads each exactly and writes the session changing only another
/// key; Python reads back exactly the floats it wrote (compared by `repr`).
#[test]
fn python_floats_survive_a_rust_write() {
    let Some(mut fx) = Fixture::new() else { return };
    let mut actions = vec![json!(["set", "n", 1])];
    let mut reprs = Vec::new();
    for (i, text) in AWKWARD_FLOATS.iter().enumerate() {
        actions.push(json!(["set_float", format!("f{i}"), text]));
        reprs.push(json!(["repr", format!("f{i}")]));
    }
    let cookie = fx.python.ok(None, Value::Array(actions)).cookie();
    let before = fx.python.ok(Some(&cookie), Value::Array(reprs.clone()));
    let expected: Vec<Value> = AWKWARD_FLOATS.iter().map(|t| json!(t)).collect();
    assert_eq!(before.results, expected, "Python's own repr");

    let rust = fx.json_manager();
    let mut session = rust.load(Some(&cookie));
    for (i, text) in AWKWARD_FLOATS.iter().enumerate() {
        let read = session.get::<f64>(&format!("f{i}")).unwrap();
        let exact = text.parse::<f64>().unwrap();
        assert_eq!(read.map(f64::to_bits), Some(exact.to_bits()), "{text}");
    }
    session.insert("n", &2).unwrap();
    let rust_cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(version_of(&rust_cookie), 2);

    reprs.push(json!(["get", "n"]));
    let after = fx.python.ok(Some(&rust_cookie), Value::Array(reprs));
    assert_eq!(
        after.results[..AWKWARD_FLOATS.len()],
        expected[..],
        "unchanged"
    );
    assert_eq!(after.results[AWKWARD_FLOATS.len()], json!(2));
}

/// The other direction: floats Rust wrote (the awkward ones and a few
/// hundred arbitrary bit patterns) are read by Python exactly, and survive
/// a Python write that changed only another key.
#[test]
fn rust_floats_survive_a_python_write() {
    let Some(mut fx) = Fixture::new() else { return };
    let mut floats: Vec<f64> = AWKWARD_FLOATS.iter().map(|t| t.parse().unwrap()).collect();
    // xorshift64: arbitrary bit patterns, the same on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while floats.len() < 300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let x = f64::from_bits(state);
        if x.is_finite() {
            floats.push(x);
        }
    }
    let rust = fx.json_manager();
    let mut session = rust.load(None);
    for (i, x) in floats.iter().enumerate() {
        session.insert(format!("f{i}"), x).unwrap();
    }
    session.insert("n", &1).unwrap();
    let cookie = cookie_pair(&rust.commit(session, Scheme::Http).unwrap().unwrap());

    let mut actions: Vec<Value> = (0..floats.len())
        .map(|i| json!(["repr", format!("f{i}")]))
        .collect();
    actions.push(json!(["set", "n", 2]));
    let reply = fx.python.ok(Some(&cookie), Value::Array(actions));
    for (x, repr) in floats.iter().zip(&reply.results) {
        let repr = repr.as_str().expect("a repr");
        // Python's repr is the shortest text that reads back as its float.
        assert_eq!(
            repr.parse::<f64>().unwrap().to_bits(),
            x.to_bits(),
            "{repr}"
        );
    }
    let python_cookie = reply.cookie();
    assert_eq!(version_of(&python_cookie), 2);

    let mut session = rust.load(Some(&python_cookie));
    assert_eq!(session.get::<i64>("n").unwrap(), Some(2));
    for (i, x) in floats.iter().enumerate() {
        let read = session.get::<f64>(&format!("f{i}")).unwrap();
        assert_eq!(read.map(f64::to_bits), Some(x.to_bits()), "{x:e}");
    }
}

//! Helpers shared by the bench binaries: timing statistics, interleaved
//! A/B runs, DynamoDB Local set-up (the same instance the tests use) and
//! quick mode.
#![allow(dead_code)]

pub mod quick;

use dynamodb_sessions::Scheme;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use std::sync::Barrier;

use dynamodb_sessions::dynamodb::{DynamoDbBackend, RetryConfig};
use dynamodb_sessions::{store::Token, SessionConfig, SessionManager};
use dynamodb_sessions_test_support::dynamodb_local::{unique_table_name, DynamoDbLocal};
use dynamodb_sessions_test_support::raw_table::{raw_client, raw_sdk_client};
use dynamodb_sessions_test_support::DynamoDbClient as Client;
use rusoto_dynamodb::{AttributeValue, DynamoDb, DynamoDbClient, GetItemInput, PutItemInput};

/// A duration from an environment variable in milliseconds, or `default`.
pub fn env_millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// A count from an environment variable, or `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of counts from an environment variable, or
/// `default`.
pub fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// A multi-threaded runtime with two workers, as the backends own.
pub fn two_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Latency statistics of one sample set.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub count: usize,
    pub mean: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

pub fn stats(samples: &mut [Duration]) -> Stats {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        count: samples.len(),
        mean: total / samples.len() as u32,
        p50: at(0.50),
        p99: at(0.99),
    }
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs `a` and `b` alternately in `rounds` rounds of `batch` calls each,
/// swapping which goes first every round, so that both see the same noise.
/// Returns the per-call latencies of each.
pub fn interleave(
    rounds: usize,
    batch: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Vec<Duration>, Vec<Duration>) {
    let mut ta = Vec::with_capacity(rounds * batch);
    let mut tb = Vec::with_capacity(rounds * batch);
    for round in 0..rounds {
        for first in [round % 2 == 0, round % 2 != 0] {
            for _ in 0..batch {
                let start = Instant::now();
                if first {
                    a()
                } else {
                    b()
                }
                let elapsed = start.elapsed();
                if first {
                    ta.push(elapsed)
                } else {
                    tb.push(elapsed)
                }
            }
        }
    }
    (ta, tb)
}

/// DynamoDB Local (started on first use, or `DYNAMODB_SESSIONS_TEST_ENDPOINT`),
/// or `None` with a message when it cannot run here.
pub fn dynamodb_endpoint() -> Option<String> {
    match DynamoDbLocal::shared() {
        Some(local) => Some(local.endpoint().to_owned()),
        None => {
            eprintln!("DynamoDB Local is not available (java 17+ and npm are needed); skipping");
            None
        }
    }
}

/// A `DynamoDbBackend` on a new provisioned table, built as an application
/// would build it (default retries, two runtime workers).
pub fn backend_on_new_table(endpoint: &str, prefix: &str) -> DynamoDbBackend {
    client_on_new_table(endpoint, prefix)
}

/// A backend of client `B` on a new provisioned table, built as an
/// application would build it (default retries, two runtime workers).
pub fn client_on_new_table<B: Client>(endpoint: &str, prefix: &str) -> B {
    let backend = B::at(endpoint, &unique_table_name(prefix), RetryConfig::DEFAULT);
    backend.provision().expect("create the bench table");
    backend
}

/// Runs `work(thread index, deadline, samples)` on `n` threads at once;
/// the samples of all, and the wall time from start to the last thread's end.
pub fn run_threads(
    n: usize,
    duration: Duration,
    work: impl Fn(usize, Instant, &mut Vec<Duration>) + Sync,
) -> (Vec<Duration>, Duration) {
    let barrier = Barrier::new(n + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let barrier = &barrier;
                let work = &work;
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(4096);
                    barrier.wait();
                    work(i, Instant::now() + duration, &mut out);
                    out
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let samples: Vec<Duration> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("bench thread"))
            .collect();
        (samples, start.elapsed())
    })
}

/// A bare AWS SDK client on its own runtime, set up like the SDK backend's
/// (two workers, the same connector, SDK retries off).
pub struct SdkBare {
    pub runtime: tokio::runtime::Runtime,
    pub client: aws_sdk_dynamodb::Client,
}

impl SdkBare {
    pub fn new(endpoint: &str) -> Self {
        let runtime = two_worker_runtime();
        let client = {
            let _guard = runtime.enter();
            raw_sdk_client(endpoint)
        };
        SdkBare { runtime, client }
    }

    /// A bare eventually consistent GetItem of `key`.
    pub fn get(&self, table: &str, key: &[u8]) -> Option<SdkItem> {
        use aws_sdk_dynamodb::{primitives::Blob, types::AttributeValue};
        let request = self
            .client
            .get_item()
            .table_name(table)
            .key("sid", AttributeValue::B(Blob::new(key)))
            .consistent_read(false)
            .send();
        self.runtime.block_on(request).expect("GetItem").item
    }

    /// Writes `item` back with its version one up, under the backends'
    /// condition (`ver` is still the one read).
    pub fn put_next(&self, table: &str, mut item: SdkItem) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let version: u64 = item["ver"].as_n().expect("ver").parse().expect("ver");
        item.insert(
            "ver".to_owned(),
            AttributeValue::N((version + 1).to_string()),
        );
        let request = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("#ver = :expected")
            .expression_attribute_names("#ver", "ver")
            .expression_attribute_values(":expected", AttributeValue::N(version.to_string()))
            .send();
        self.runtime.block_on(request).expect("PutItem");
    }
}

/// An item in the AWS SDK's attribute values.
pub type SdkItem = HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A bare rusoto client on its own runtime, set up exactly like the
/// backend's (multi-threaded, two workers, the same HTTP connector), for
/// the baseline calls.
pub struct Bare {
    pub runtime: tokio::runtime::Runtime,
    pub client: DynamoDbClient,
}

impl Bare {
    pub fn new(endpoint: &str) -> Self {
        let runtime = two_worker_runtime();
        let client = {
            let _guard = runtime.enter();
            raw_client(endpoint)
        };
        Bare { runtime, client }
    }
}

/// The manager the benches use: default settings, system clock.
pub fn manager<B: dynamodb_sessions::store::Backend + 'static>(backend: B) -> SessionManager {
    SessionManager::new(backend, SessionConfig::default())
}

/// The `Cookie` header for a `Set-Cookie` value.
pub fn cookie_header(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("a cookie pair")
        .to_owned()
}

/// CPU seconds (user + system) used so far by process `pid`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The pid of the DynamoDB Local server listening on `endpoint`'s port.
pub fn dynamodb_local_pid(endpoint: &str) -> Option<u32> {
    let port = endpoint.rsplit(':').next()?.trim_end_matches('/');
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_server = args.iter().any(|a| a.contains("DynamoDBLocal.jar"));
        let on_port = args.windows(2).any(|w| w[0] == "-port" && w[1] == port);
        if is_server && on_port {
            return Some(pid);
        }
    }
    None
}

/// The machine, for the record.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores available")
}

/// Creates a session holding a user name and a counter; its cookie header.
pub fn new_session(manager: &SessionManager) -> String {
    let mut session = manager.load(None);
    session.insert("user", "ada").expect("insert");
    session.insert("visits", &0u64).expect("insert");
    let set_cookie = manager
        .commit(session, Scheme::Http)
        .expect("create")
        .expect("a cookie");
    cookie_header(&set_cookie)
}

/// A request that reads the session inside the reissue window: no write.
pub fn read_cycle(manager: &SessionManager, cookie: &str) {
    let mut session = manager.load(Some(cookie));
    let user: Option<String> = session.get("user").expect("get");
    assert!(user.is_some(), "the session was not found");
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    debug_assert!(set_cookie.is_none());
}

pub fn full_cycle(manager: &SessionManager, cookie: &str) -> String {
    let mut session = manager.load(Some(cookie));
    let visits: u64 = session.get("visits").expect("get").expect("a stored value");
    session.insert("visits", &(visits + 1)).expect("insert");
    let set_cookie = manager
        .commit(session, Scheme::Http)
        .expect("commit")
        .expect("a changed session sets a cookie");
    cookie_header(&set_cookie)
}

/// The storage key of a `session_id=<token>/<version>` header.
pub fn key_of(cookie: &str) -> Vec<u8> {
    let value = cookie.split_once('=').expect("name=value").1;
    let token = value.split_once('/').expect("token/version").0;
    Token::parse(token)
        .expect("a token")
        .storage_key()
        .as_bytes()
        .to_vec()
}

/// An eventually consistent GetItem of the item under `key`.
pub fn get_input(table: &str, key: &[u8]) -> GetItemInput {
    GetItemInput {
        table_name: table.to_owned(),
        key: HashMap::from([(
            "sid".to_owned(),
            AttributeValue {
                b: Some(key.to_vec().into()),
                ..AttributeValue::default()
            },
        )]),
        consistent_read: Some(false),
        ..GetItemInput::default()
    }
}

pub fn bare_get(bare: &Bare, table: &str, key: &[u8]) -> Option<HashMap<String, AttributeValue>> {
    let input = get_input(table, key);
    bare.runtime
        .block_on(bare.client.get_item(input))
        .expect("GetItem")
        .item
}

/// Writes `item` back with its version one up, under the backend's
/// condition (`ver` is still the one read).
pub fn bare_put(bare: &Bare, table: &str, mut item: HashMap<String, AttributeValue>) {
    let version: u64 = item["ver"].n.as_deref().expect("ver").parse().expect("ver");
    let number = |n: u64| AttributeValue {
        n: Some(n.to_string()),
        ..AttributeValue::default()
    };
    item.insert("ver".to_owned(), number(version + 1));
    put(
        bare,
        PutItemInput {
            table_name: table.to_owned(),
            item,
            condition_expression: Some("#ver = :expected".to_owned()),
            expression_attribute_names: Some(HashMap::from([(
                "#ver".to_owned(),
                "ver".to_owned(),
            )])),
            expression_attribute_values: Some(HashMap::from([(
                ":expected".to_owned(),
                number(version),
            )])),
            ..PutItemInput::default()
        },
    );
}

/// One bare PutItem.
pub fn put(bare: &Bare, input: PutItemInput) -> rusoto_dynamodb::PutItemOutput {
    bare.runtime
        .block_on(bare.client.put_item(input))
        .expect("PutItem")
}

/// The header of a table of store calls with the user calls, as
/// `store_calls` and `user_sessions` print it.
pub const USER_CALLS_HEADER: &str = "| request | eventual reads | strong reads | checked loads | generation reads | creates | replaces | touches | ends | advances | lists | total |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

/// One row under [`USER_CALLS_HEADER`].
pub fn user_calls_row(name: &str, c: dynamodb_sessions::testing::CallCounts) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        c.eventual_loads,
        c.strong_loads,
        c.checked_loads,
        c.generation_reads,
        c.creates,
        c.replaces,
        c.touches,
        c.ends,
        c.advances,
        c.lists,
        c.total()
    )
}

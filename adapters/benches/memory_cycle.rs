//! One full request cycle in memory (parse the cookie,
//! load, read a value, insert a value, save, render `Set-Cookie`) on
//! `MemoryBackend` against tower-sessions' `MemoryStore` doing the same
//! work in the same run, then where our cycle's time goes.
//!
//! tower-sessions is async; its futures are driven by `poll_now` below, a
//! minimal executor that polls once with a no-op waker (its `MemoryStore`
//! takes an uncontended `tokio::sync::Mutex`, which is ready at once). That
//! costs nanoseconds, less than any runtime's `block_on`, so the comparison
//! does not penalise tower-sessions for being async.
//!
//! criterion runs each benchmark for 1 s of warm-up and 3 s of measurement;
//! `BENCH_QUICK=1` runs each with a few samples (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench memory_cycle`

mod common;

use dynamodb_sessions::Scheme;
use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{Backend, Consistency, Record, ReplaceOutcome, StoredData, Token},
    DataProtection, SessionConfig, SessionManager,
};
use tower_sessions::session::Id;
use tower_sessions::{MemoryStore, Session as TowerSession};

/// The CSRF token both sessions carry, as a realistic third value.
const CSRF: &str = "0123456789abcdef0123456789abcdef01234567";

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` once; it must be ready (nothing here ever waits).
fn poll_now<F: Future>(future: F) -> F::Output {
    thread_local! {
        static WAKER: Waker = Waker::from(Arc::new(NoopWake));
    }
    let mut future = std::pin::pin!(future);
    WAKER.with(|waker| {
        let mut context = Context::from_waker(waker);
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("an in-memory future was not ready"),
        }
    })
}

/// Ours: a session with a user, a CSRF token and a counter, one cycle.
struct Ours {
    manager: SessionManager,
    cookie: String,
}

impl Ours {
    fn new(backend: MemoryBackend, protection: DataProtection) -> Self {
        let config = SessionConfig::builder()
            .data_protection(protection)
            .build()
            .unwrap();
        let manager = SessionManager::new(backend, config);
        let mut session = manager.load(None);
        session.insert("user", "ada").unwrap();
        session.insert("_csrft_", CSRF).unwrap();
        session.insert("visits", &0u64).unwrap();
        let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Ours { manager, cookie }
    }

    fn cycle(&mut self) {
        let mut session = self.manager.load(Some(&self.cookie));
        let visits: u64 = session.get("visits").unwrap().unwrap();
        session.insert("visits", &(visits + 1)).unwrap();
        let set_cookie = self.manager.commit(session, Scheme::Http).unwrap().unwrap();
        self.cookie.clear();
        self.cookie.push_str(set_cookie.split(';').next().unwrap());
    }
}

/// tower-sessions: the same data and the same steps its middleware takes
/// (find the `id` cookie, parse the ID, lazy session, load on first read,
/// save, render the cookie with the same attributes).
struct Theirs {
    store: Arc<MemoryStore>,
    cookie: String,
}

impl Theirs {
    fn new() -> Self {
        let store = Arc::new(MemoryStore::default());
        let session = TowerSession::new(None, store.clone(), None);
        poll_now(async {
            session.insert("user", "ada").await.unwrap();
            session.insert("_csrft_", CSRF).await.unwrap();
            session.insert("visits", 0u64).await.unwrap();
            session.save().await.unwrap();
        });
        let cookie = format!("id={}", session.id().unwrap());
        Theirs { store, cookie }
    }

    fn cycle(&mut self) {
        let id = cookie::Cookie::split_parse(self.cookie.as_str())
            .filter_map(Result::ok)
            .find(|c| c.name() == "id")
            .and_then(|c| Id::from_str(c.value()).ok());
        let session = TowerSession::new(id, self.store.clone(), None);
        poll_now(async {
            let visits: u64 = session.get("visits").await.unwrap().unwrap();
            session.insert("visits", visits + 1).await.unwrap();
            session.save().await.unwrap();
        });
        let mut set_cookie = cookie::Cookie::new("id", session.id().unwrap().to_string());
        set_cookie.set_path("/");
        set_cookie.set_http_only(true);
        set_cookie.set_same_site(cookie::SameSite::Strict);
        let set_cookie = set_cookie.to_string();
        self.cookie.clear();
        self.cookie.push_str(set_cookie.split(';').next().unwrap());
    }
}

fn versus(c: &mut Criterion) {
    let mut group = c.benchmark_group("cycle");
    let mut ours = Ours::new(MemoryBackend::new(), DataProtection::Sealed);
    let mut plain = Ours::new(MemoryBackend::new(), DataProtection::Plain);
    let mut theirs = Theirs::new();
    group.bench_function("dynamodb-sessions MemoryBackend", |b| {
        b.iter(|| ours.cycle())
    });
    // tower-sessions does not encrypt: this is the like-for-like pair.
    group.bench_function("dynamodb-sessions MemoryBackend, plain", |b| {
        b.iter(|| plain.cycle())
    });
    group.bench_function("tower-sessions MemoryStore", |b| b.iter(|| theirs.cycle()));
    group.finish();
}

/// The pieces of our cycle, each alone, with the public API where it
/// exists and the same crates and calls as `core` where it does not.
fn breakdown(c: &mut Criterion) {
    let mut group = c.benchmark_group("breakdown");
    let backend = MemoryBackend::new();
    // Plain, so that the stored bytes are the CBOR the steps below decode.
    let ours = Ours::new(backend.clone(), DataProtection::Plain);
    let cookie = ours.cookie.clone();
    let token_text = cookie
        .split_once('=')
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .0
        .to_owned();
    let token = Token::parse(&token_text).unwrap();
    let key = token.storage_key();
    let loaded = backend.load(&key, Consistency::Eventual).unwrap();
    let record: Record = loaded.into_record().unwrap();
    let StoredData::Cbor(bytes) = record.data.clone() else {
        panic!("CBOR expected")
    };
    let map: BTreeMap<String, ciborium::Value> = ciborium::from_reader(bytes.as_slice()).unwrap();

    // manager.load parses the cookie and nothing else (the fetch is lazy).
    group.bench_function("cookie parse (manager.load)", |b| {
        b.iter(|| black_box(ours.manager.load(Some(black_box(&cookie)))))
    });
    group.bench_function("SHA-256 storage key", |b| {
        b.iter(|| black_box(black_box(&token).storage_key()))
    });
    group.bench_function("MemoryBackend load (read lock + clone)", |b| {
        b.iter(|| {
            black_box(
                backend
                    .load(black_box(&key), Consistency::Eventual)
                    .unwrap(),
            )
        })
    });
    group.bench_function("CBOR decode map (from_reader, 4 KB scratch)", |b| {
        b.iter(|| {
            black_box(
                ciborium::from_reader::<BTreeMap<String, ciborium::Value>, _>(black_box(
                    bytes.as_slice(),
                ))
                .unwrap(),
            )
        })
    });
    // What core's codec::decode does: `from_reader` zeroes a 4 KB scratch
    // buffer on every call.
    group.bench_function("CBOR decode map, 256-byte scratch (as core)", |b| {
        b.iter(|| {
            black_box(
                ciborium::de::from_reader_with_buffer::<BTreeMap<String, ciborium::Value>, _>(
                    black_box(bytes.as_slice()),
                    &mut [0; 256],
                )
                .unwrap(),
            )
        })
    });
    group.bench_function("value get + insert (serde <-> Value)", |b| {
        b.iter_batched_ref(
            || map.clone(),
            |map| {
                let visits: u64 = map["visits"].deserialized().unwrap();
                map.insert(
                    "visits".to_owned(),
                    ciborium::Value::serialized(&(visits + 1)).unwrap(),
                );
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("CBOR encode map", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(64);
            ciborium::into_writer(black_box(&map), &mut out).unwrap();
            black_box(out)
        })
    });
    group.bench_function("item size check", |b| {
        b.iter(|| {
            black_box(dynamodb_sessions::store::item_size(
                black_box(&key),
                black_box(&record),
            ))
        })
    });
    let mut version = record.version;
    group.bench_function("MemoryBackend replace", |b| {
        b.iter(|| {
            let mut next = record.clone();
            next.version = version + 1;
            let outcome = backend.replace(&key, version, &next).unwrap();
            assert_eq!(outcome, ReplaceOutcome::Replaced);
            version += 1;
        })
    });
    group.bench_function("Set-Cookie render", |b| {
        b.iter(|| {
            let value = format!("{}/{}", token.as_str(), black_box(7u64));
            let mut cookie = cookie::Cookie::new("session_id".to_owned(), value);
            cookie.set_path("/".to_owned());
            cookie.set_secure(false);
            cookie.set_http_only(true);
            cookie.set_same_site(cookie::SameSite::Strict);
            black_box(cookie.to_string())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick::criterion();
    targets = versus, breakdown
}
criterion_main!(benches);

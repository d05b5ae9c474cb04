//! Several Regions on real components: two DynamoDB Local instances as
//! Regions A and B of an MREC global table, replicated by the test
//! support's [`Replicator`] from their streams (asynchronous,
//! last-writer-wins per item), delivery driven by the test.
//!
//! - The replicator itself: a write reaches the other Region, concurrent
//!   writes to one item converge to one winner in both, a delete
//!   replicates, an isolated Region receives nothing until it is back.
//! - The negative control: the plain single-Region backend, one per
//!   Region, with one browser's requests served by either Region, loses
//!   exactness exactly as the design predicts: two acknowledged writes of
//!   which replication keeps one, and a logout that a write in the other
//!   Region undoes for good.
//! - The home-Region mode ([`HomeRouted`]) over the same two backends keeps
//!   both: every write and the logout stand after any number of
//!   deliveries, and replication never has two writers to settle. With A
//!   out of reach (a proxy refusing every request), A's sessions fail with
//!   a temporary error (a 503) whichever Region serves them, while B's
//!   work; after `mark_down` with [`Failover::Abandon`], an A cookie gets a
//!   fresh session homed in B, nothing is sent to A, and `mark_up` brings
//!   the old session back as it was.
//!
//! On rusoto only: what is tested is replication, which no client changes.
//!
//! [`Replicator`]: dynamodb_sessions_test_support::replicator::Replicator
//! [`HomeRouted`]: dynamodb_sessions::regions::HomeRouted
//! [`Failover::Abandon`]: dynamodb_sessions::regions::Failover::Abandon

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dynamodb_sessions::dynamodb::{DynamoDbBackend, RetryConfig, Rusoto};
use dynamodb_sessions::regions::{Failover, HomeRouted, KeySlots};
use dynamodb_sessions::store::{StorageKey, Token};
use dynamodb_sessions::testing::ManualClock;
use dynamodb_sessions::{CommitError, Scheme, SessionConfig, SessionManager};
use dynamodb_sessions_test_support::builder_at;
use dynamodb_sessions_test_support::dynamodb_local::{unique_table_name, DynamoDbLocal};
use dynamodb_sessions_test_support::fault_proxy::{Fault, Proxy};
use dynamodb_sessions_test_support::machine::beside_others;
use dynamodb_sessions_test_support::raw_table::{
    block_on, enable_streams, keep_expired_items, raw_client, scan_all,
};
use dynamodb_sessions_test_support::replicator::{Region, Replicator};
use rusoto_dynamodb::{AttributeValue, DeleteItemInput, DynamoDb, GetItemInput, PutItemInput};

/// Two Regions: a DynamoDB Local each (the process-wide two, shared by
/// every test here), a new table in both with its stream on, and the
/// replicator between them.
struct TwoRegions {
    a: &'static DynamoDbLocal,
    b: &'static DynamoDbLocal,
    table: String,
    replicator: Replicator,
}

impl TwoRegions {
    /// Both instances (started side by side on first use), the table
    /// provisioned in each as the backend provisions it (TTL off: the
    /// tests look at tombstones), streams on. `None` where DynamoDB Local
    /// cannot run outside CI (said loudly); in CI that fails.
    fn start() -> Option<TwoRegions> {
        let second = thread::spawn(DynamoDbLocal::second);
        let a = DynamoDbLocal::shared();
        let b = second
            .join()
            .expect("the start of Region B's DynamoDB Local");
        let (a, b) = (a?, b?);
        let table = unique_table_name("global");
        let patient = RetryConfig::DEFAULT.attempt_timeout(Duration::from_secs(30));
        let provision = |endpoint: &str| {
            builder_at::<Rusoto>(endpoint, &table)
                .retry(patient)
                .build()
                .expect("backend builds")
                .create_table_if_missing()
                .expect("create the table");
            keep_expired_items(endpoint, &table);
            enable_streams(endpoint, &table);
        };
        // Side by side: on a busy machine each takes seconds.
        thread::scope(|scope| {
            scope.spawn(|| provision(a.endpoint()));
            provision(b.endpoint());
        });
        let replicator =
            Replicator::new(a.endpoint(), b.endpoint(), &table).expect("the replicator starts");
        Some(TwoRegions {
            a,
            b,
            table,
            replicator,
        })
    }

    fn endpoint(&self, region: Region) -> &str {
        match region {
            Region::A => self.a.endpoint(),
            Region::B => self.b.endpoint(),
        }
    }

    /// The plain single-Region backend on `region`'s instance.
    fn backend(&self, region: Region) -> DynamoDbBackend {
        self.backend_at(self.endpoint(region))
    }

    /// The plain backend for the table at `endpoint` (an instance, or a
    /// proxy in front of one), with the default retries: a Region that
    /// refuses every request fails a call within some 200 ms.
    fn backend_at(&self, endpoint: &str) -> DynamoDbBackend {
        builder_at::<Rusoto>(endpoint, &self.table)
            .build()
            .expect("backend builds")
    }

    /// Every item of `region`'s table, sorted by key.
    fn items(&self, region: Region) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = scan_all(self.endpoint(region), &self.table);
        items.sort_by(|x, y| x.get("sid").map(|v| &v.b).cmp(&y.get("sid").map(|v| &v.b)));
        items
    }

    /// Raw access for the replicator's own test: an item `{sid, v}`.
    fn put(&self, region: Region, key: &str, value: &str) {
        let item = HashMap::from([
            ("sid".to_owned(), binary(key)),
            ("v".to_owned(), text(value)),
        ]);
        block_on(raw_client(self.endpoint(region)).put_item(PutItemInput {
            table_name: self.table.clone(),
            item,
            ..PutItemInput::default()
        }))
        .expect("put");
    }

    fn delete(&self, region: Region, key: &str) {
        block_on(
            raw_client(self.endpoint(region)).delete_item(DeleteItemInput {
                table_name: self.table.clone(),
                key: HashMap::from([("sid".to_owned(), binary(key))]),
                ..DeleteItemInput::default()
            }),
        )
        .expect("delete");
    }

    /// The `v` of `key` in `region`, strongly read.
    fn get(&self, region: Region, key: &str) -> Option<String> {
        block_on(raw_client(self.endpoint(region)).get_item(GetItemInput {
            table_name: self.table.clone(),
            key: HashMap::from([("sid".to_owned(), binary(key))]),
            consistent_read: Some(true),
            ..GetItemInput::default()
        }))
        .expect("get")
        .item
        .and_then(|mut item| item.remove("v"))
        .and_then(|v| v.s)
    }
}

fn binary(key: &str) -> AttributeValue {
    AttributeValue {
        b: Some(key.as_bytes().to_vec().into()),
        ..AttributeValue::default()
    }
}

fn text(value: &str) -> AttributeValue {
    AttributeValue {
        s: Some(value.to_owned()),
        ..AttributeValue::default()
    }
}

#[test]
fn the_replicator_behaves_like_a_global_table() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let (a, b) = (Region::A, Region::B);

    // A write in A reaches B once delivered, not before.
    regions.put(a, "one", "from A");
    assert_eq!(replicator.poll_once().unwrap(), 1);
    assert_eq!(regions.get(b, "one"), None, "replication is asynchronous");
    assert_eq!(replicator.deliver_all().unwrap(), 1);
    assert_eq!(regions.get(b, "one").as_deref(), Some("from A"));
    // Its echo in B's stream is recognized, not sent back.
    assert_eq!(replicator.poll_once().unwrap(), 0);
    assert_eq!(replicator.stats().echoes, 1);

    // Concurrent writes to one item: the one read later wins, in both.
    regions.put(a, "two", "A first");
    regions.put(b, "two", "B second");
    replicator.settle().unwrap();
    assert_eq!(regions.get(a, "two").as_deref(), Some("B second"));
    assert_eq!(regions.get(b, "two").as_deref(), Some("B second"));
    // The other way round, stamped apart by a poll between the writes.
    regions.put(b, "three", "B first");
    replicator.poll_once().unwrap();
    regions.put(a, "three", "A second");
    replicator.settle().unwrap();
    assert_eq!(regions.get(a, "three").as_deref(), Some("A second"));
    assert_eq!(regions.get(b, "three").as_deref(), Some("A second"));
    // A write in B that the replicator has not read yet is newer than a
    // record it is delivering into B: the delivery is dropped, B's write wins.
    regions.put(a, "four", "A older");
    replicator.poll_once().unwrap();
    regions.put(b, "four", "B newer, unread");
    replicator.deliver_all().unwrap();
    assert_eq!(replicator.stats().superseded, 1);
    replicator.settle().unwrap();
    assert_eq!(regions.get(a, "four").as_deref(), Some("B newer, unread"));
    assert_eq!(regions.get(b, "four").as_deref(), Some("B newer, unread"));

    // A delete replicates.
    regions.delete(b, "one");
    replicator.settle().unwrap();
    assert_eq!(regions.get(a, "one"), None);

    // An isolated Region receives nothing until it is back.
    replicator.pause(b);
    regions.put(a, "five", "while B was away");
    replicator.poll_once().unwrap();
    assert_eq!(replicator.deliver_all().unwrap(), 0);
    assert_eq!(replicator.pending(), 1);
    assert_eq!(regions.get(b, "five"), None);
    replicator.resume(b);
    replicator.settle().unwrap();
    assert_eq!(regions.get(b, "five").as_deref(), Some("while B was away"));

    assert_eq!(replicator.pending(), 0);
    assert_eq!(regions.items(a), regions.items(b), "the Regions converged");

    // In the background, a write arrives on its own after the delay.
    let background = replicator.start_background(Duration::from_millis(200));
    regions.put(b, "six", "on its own");
    let written = Instant::now();
    while regions.get(a, "six").is_none() {
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "not replicated in 10 s: {:?}",
            background.last_error()
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        written.elapsed() >= Duration::from_millis(200),
        "not before the delay"
    );
    drop(background);
    assert_eq!(regions.items(a), regions.items(b));
}

/// Unix seconds now: the managers' manual clock starts there.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One "process" per Region: the plain backend on that Region's instance
/// under a manager, both on one clock.
fn plain_managers(regions: &TwoRegions) -> (SessionManager, SessionManager) {
    let clock = Arc::new(ManualClock::new(now()));
    let manager = |region| {
        SessionManager::with_clock(
            regions.backend(region),
            SessionConfig::default(),
            clock.clone(),
        )
    };
    (manager(Region::A), manager(Region::B))
}

/// The `name=value` part of a `Set-Cookie` header.
fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// A request that sets `key` to `value` in the session `cookie` names (a
/// new one without), committed; the browser's next cookie, if it got one.
fn write(manager: &SessionManager, cookie: Option<&str>, key: &str, value: &str) -> Option<String> {
    let mut session = manager.load(cookie);
    session.insert(key, value).expect("insert");
    manager
        .commit(session, Scheme::Https)
        .expect("the write is acknowledged")
        .map(|set_cookie| cookie_of(&set_cookie))
}

/// What a request with `cookie` reads under `key`.
fn read(manager: &SessionManager, cookie: &str, key: &str) -> Option<String> {
    manager
        .load(Some(cookie))
        .get::<String>(key)
        .expect("the session loads")
}

#[test]
fn the_plain_backend_from_two_regions_loses_acknowledged_writes() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let (in_a, in_b) = plain_managers(&regions);

    let first = write(&in_a, None, "visits", "1").expect("a new session's cookie");
    replicator.settle().unwrap();
    // The browser's next request goes to A: acknowledged, version 2.
    let second = write(&in_a, Some(&first), "cart", "written in A").expect("a new version");
    // Stamped now; delivered later: replication lags.
    replicator.poll_once().unwrap();
    // Its next one goes to B, which has not seen version 2: it changes the
    // version it has, and its write is acknowledged too (in one Region it
    // would be built on "cart").
    let third = write(&in_b, Some(&second), "theme", "written in B").expect("a new version");
    assert_eq!(
        (second.rsplit('/').next(), third.rsplit('/').next()),
        (Some("2"), Some("2")),
        "both Regions wrote version 2, each from its own version 1"
    );
    assert_eq!(
        read(&in_a, &second, "cart").as_deref(),
        Some("written in A")
    );

    replicator.settle().unwrap();
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
    for manager in [&in_a, &in_b] {
        assert_eq!(
            read(manager, &third, "cart"),
            None,
            "A's acknowledged write is lost in both Regions"
        );
        assert_eq!(
            read(manager, &third, "theme").as_deref(),
            Some("written in B")
        );
    }
}

#[test]
fn the_plain_backend_from_two_regions_undoes_a_logout() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let (in_a, in_b) = plain_managers(&regions);

    let cookie = write(&in_a, None, "user", "alice").expect("a new session's cookie");
    replicator.settle().unwrap();
    // Logout, served by A: the session ends there, the cookie is expired.
    let mut session = in_a.load(Some(&cookie));
    session.invalidate();
    let set_cookie = in_a
        .commit(session, Scheme::Https)
        .expect("the logout is acknowledged")
        .expect("the cookie is cleared");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert_eq!(read(&in_a, &cookie, "user"), None, "ended in A");
    replicator.poll_once().unwrap();
    // A request sent with the old cookie (another tab, or the same request
    // retried) reaches B, which has not seen the logout: it writes, and B
    // acknowledges (in one Region, it would be a conflict).
    let revived = write(&in_b, Some(&cookie), "last_page", "/account").expect("a new version");

    replicator.settle().unwrap();
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
    for manager in [&in_a, &in_b] {
        for cookie in [&cookie, &revived] {
            assert_eq!(
                read(manager, cookie, "user").as_deref(),
                Some("alice"),
                "the logged-out session is live again in both Regions"
            );
        }
    }
    assert_eq!(replicator.stats().stale, 1, "the logout lost to the write");
}

/// One process per Region in home-Region mode: A holds slots 0..8, B
/// 8..16; each process reaches A at `a_endpoint` (the instance, or a proxy
/// in front of it) and B at its instance, and draws new IDs in its local
/// Region's slots.
struct HomeProcess {
    manager: SessionManager,
    routed: Arc<HomeRouted<DynamoDbBackend>>,
}

impl HomeProcess {
    fn new(
        regions: &TwoRegions,
        clock: &Arc<ManualClock>,
        local: Region,
        a_endpoint: &str,
        failover: Failover,
    ) -> HomeProcess {
        let routed = Arc::new(
            HomeRouted::builder()
                .region(
                    "a",
                    KeySlots::range(0..8).unwrap(),
                    regions.backend_at(a_endpoint),
                )
                .region(
                    "b",
                    KeySlots::range(8..16).unwrap(),
                    regions.backend(Region::B),
                )
                .local(name_of(local))
                .failover(failover)
                .build()
                .expect("two regions"),
        );
        let config = SessionConfig::builder()
            .key_slots(routed.local_slots())
            .build()
            .expect("config");
        let manager = SessionManager::with_clock(Arc::clone(&routed), config, clock.clone());
        HomeProcess { manager, routed }
    }

    /// The home Region of the session `cookie` names.
    fn home_of(&self, cookie: &str) -> Option<&str> {
        self.routed.home_of(&key_of(cookie))
    }
}

fn name_of(region: Region) -> &'static str {
    match region {
        Region::A => "a",
        Region::B => "b",
    }
}

/// Both processes, each reaching A directly.
fn home_processes(regions: &TwoRegions) -> (HomeProcess, HomeProcess) {
    let clock = Arc::new(ManualClock::new(now()));
    let a = regions.endpoint(Region::A);
    (
        HomeProcess::new(regions, &clock, Region::A, a, Failover::Wait),
        HomeProcess::new(regions, &clock, Region::B, a, Failover::Wait),
    )
}

/// The storage key of the session a `name=token/version` cookie names.
fn key_of(cookie: &str) -> StorageKey {
    let value = cookie.split_once('=').map_or(cookie, |(_, value)| value);
    let token = value.split('/').next().unwrap_or_default();
    Token::parse(token)
        .expect("a cookie the manager set")
        .storage_key()
}

/// Delivers the queued records one at a time (polling when none is left)
/// until both Regions agree, calling `check` before the first and after
/// every delivery: what must hold after any number of them. Returns how
/// many were delivered.
fn deliver_one_by_one(replicator: &Replicator, mut check: impl FnMut()) -> usize {
    let mut delivered = 0;
    check();
    loop {
        if replicator.deliver_next(1).unwrap() == 1 {
            delivered += 1;
            check();
        } else if replicator.poll_once().unwrap() == 0 {
            return delivered;
        }
    }
}

#[test]
fn home_regions_keep_both_writes_on_real_replication() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let (in_a, in_b) = home_processes(&regions);

    let first = write(&in_a.manager, None, "visits", "1").expect("a new session's cookie");
    assert_eq!(
        in_a.home_of(&first),
        Some("a"),
        "homed where it was created"
    );
    replicator.settle().unwrap();
    let second = write(&in_a.manager, Some(&first), "cart", "written in A").expect("version 2");
    replicator.poll_once().unwrap();
    // Served by B's process, but read and written in A, the home: built on
    // version 2, so it keeps "cart".
    let third = write(&in_b.manager, Some(&second), "theme", "written in B").expect("version 3");
    assert_eq!(third.rsplit('/').next(), Some("3"));

    let delivered = deliver_one_by_one(replicator, || {
        for process in [&in_a, &in_b] {
            assert_eq!(
                read(&process.manager, &third, "cart").as_deref(),
                Some("written in A")
            );
            assert_eq!(
                read(&process.manager, &third, "theme").as_deref(),
                Some("written in B")
            );
        }
    });
    assert_eq!(delivered, 2, "versions 2 and 3, to B");
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
    let stats = replicator.stats();
    assert_eq!(
        (stats.stale, stats.superseded),
        (0, 0),
        "never two writers for last-writer-wins to settle"
    );
}

#[test]
fn home_regions_keep_a_logout_on_real_replication() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let (in_a, in_b) = home_processes(&regions);

    let cookie = write(&in_b.manager, None, "user", "alice").expect("a new session's cookie");
    assert_eq!(in_b.home_of(&cookie), Some("b"));
    replicator.settle().unwrap();
    // Logout served by A's process: the tombstone is written in B, the home.
    let mut session = in_a.manager.load(Some(&cookie));
    session.invalidate();
    let set_cookie = in_a
        .manager
        .commit(session, Scheme::Https)
        .expect("the logout is acknowledged")
        .expect("the cookie is cleared");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    replicator.poll_once().unwrap();
    // The old cookie at B's process finds the tombstone: its write starts a
    // new, empty session under a new ID instead of reviving the old one.
    let fresh = write(&in_b.manager, Some(&cookie), "last_page", "/account").expect("a new ID");
    assert_ne!(key_of(&fresh), key_of(&cookie));

    deliver_one_by_one(replicator, || {
        for process in [&in_a, &in_b] {
            assert_eq!(read(&process.manager, &cookie, "user"), None, "logged out");
            assert_eq!(read(&process.manager, &fresh, "user"), None);
        }
    });
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
    let stats = replicator.stats();
    assert_eq!((stats.stale, stats.superseded), (0, 0));
}

#[test]
fn a_region_down_fails_its_sessions_and_spares_the_others() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let clock = Arc::new(ManualClock::new(now()));
    // Both processes reach A through a proxy, which can cut A off.
    let proxy = Proxy::start(regions.endpoint(Region::A));
    let a = proxy.endpoint();
    let in_a = HomeProcess::new(&regions, &clock, Region::A, &a, Failover::Wait);
    let in_b = HomeProcess::new(&regions, &clock, Region::B, &a, Failover::Wait);
    let abandoning = HomeProcess::new(&regions, &clock, Region::B, &a, Failover::Abandon);

    let alice = write(&in_a.manager, None, "user", "alice").expect("homed in A");
    let bob = write(&in_b.manager, None, "user", "bob").expect("homed in B");
    assert_eq!(
        (in_a.home_of(&alice), in_a.home_of(&bob)),
        (Some("a"), Some("b"))
    );
    replicator.settle().unwrap();

    // A is out of reach: every request to it is dropped unanswered.
    proxy.inject(std::iter::repeat_n(Fault::Reset, 10_000));
    replicator.pause(Region::A);
    for process in [&in_a, &in_b] {
        // B's replica holds alice's session, but only its home may serve it.
        let error = process
            .manager
            .load(Some(&alice))
            .get::<String>("user")
            .expect_err("A's sessions wait for A");
        assert!(error.is_temporary(), "a 503, not a new session: {error}");
        assert_eq!(
            read(&process.manager, &bob, "user").as_deref(),
            Some("bob"),
            "B's sessions work"
        );
    }
    let bob = write(&in_a.manager, Some(&bob), "seen_in", "A").expect("B's sessions take writes");
    assert!(
        write(&in_b.manager, None, "user", "carol").is_some(),
        "new visitors at B get sessions"
    );
    let mut newcomer = in_a.manager.load(None);
    newcomer.insert("user", "dave").unwrap();
    match in_a.manager.commit(newcomer, Scheme::Https) {
        Err(CommitError::Backend(error)) if error.is_temporary() => {}
        other => panic!("a new session at A waits for A: {other:?}"),
    }

    // Failover by hand: A marked down, its sessions abandoned at B.
    abandoning.routed.mark_down("a").unwrap();
    let a_before = regions.items(Region::A);
    let proxied = proxy.requests();
    let replacement =
        write(&abandoning.manager, Some(&alice), "user", "alice, again").expect("a fresh session");
    assert_ne!(key_of(&replacement), key_of(&alice));
    assert_eq!(abandoning.home_of(&replacement), Some("b"));
    assert_eq!(
        read(&abandoning.manager, &alice, "user"),
        None,
        "the old session is given up, not served from B's replica"
    );
    assert_eq!(proxy.requests(), proxied, "nothing is sent to A");

    // A is back: nothing was written for alice's old session elsewhere,
    // so it is there as it was, and both Regions agree again.
    proxy.clear();
    replicator.resume(Region::A);
    abandoning.routed.mark_up("a").unwrap();
    assert_eq!(regions.items(Region::A), a_before, "A untouched while down");
    for process in [&in_a, &in_b, &abandoning] {
        assert_eq!(
            read(&process.manager, &alice, "user").as_deref(),
            Some("alice")
        );
        assert_eq!(
            read(&process.manager, &bob, "seen_in").as_deref(),
            Some("A")
        );
    }
    replicator.settle().unwrap();
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
    let stats = replicator.stats();
    assert_eq!((stats.stale, stats.superseded), (0, 0));
}

/// Measurements, run by hand: the lag from an acknowledged write to its
/// record in a stream, and what the replicator delivers per second.
///
/// ```sh
/// cargo test -p dynamodb-sessions --test dynamodb global::measure -- --ignored --nocapture
/// ```
#[test]
#[ignore = "a measurement, run by hand"]
fn measure_stream_lag_and_replicator_throughput() {
    let _share = beside_others();
    let Some(regions) = TwoRegions::start() else {
        return;
    };
    let replicator = &regions.replicator;
    let mut lags = Vec::new();
    let mut most_polls = 0;
    for i in 0..100 {
        regions.put(Region::A, &format!("lag-{i}"), "x");
        let written = Instant::now();
        let mut polls = 1;
        while replicator.poll_once().unwrap() == 0 {
            polls += 1;
            assert!(written.elapsed() < Duration::from_secs(10), "no record");
        }
        lags.push(written.elapsed());
        most_polls = most_polls.max(polls);
        replicator.deliver_all().unwrap();
    }
    lags.sort();
    println!(
        "from the ack to the record read by a poll of both streams ({most_polls} poll(s) at most): \
         p50 {:?}, p90 {:?}, max {:?} over 100 writes",
        lags[50], lags[90], lags[99]
    );
    replicator.settle().unwrap();
    let n = 500;
    for i in 0..n {
        regions.put(Region::A, &format!("bulk-{i}"), "y");
    }
    let started = Instant::now();
    let read = replicator.poll_once().unwrap();
    let polled = started.elapsed();
    let delivered = replicator.deliver_all().unwrap();
    let total = started.elapsed();
    println!(
        "replicator: {read} records read in {polled:?}, {delivered} delivered in {:?} ({:.0} records/s end to end)",
        total - polled,
        f64::from(u32::try_from(delivered).unwrap_or(u32::MAX)) / total.as_secs_f64()
    );
    let started = Instant::now();
    replicator.settle().unwrap();
    println!("echoes read back in {:?}", started.elapsed());
    assert_eq!(regions.items(Region::A), regions.items(Region::B));
}

//! Home regions: `HomeRouted` over one memory store per region. Every call
//! for a session reaches its home region's store only, whichever process
//! serves it; a home that fails or is marked down is waited for or
//! abandoned, never replaced by a write elsewhere.

use std::error::Error as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dynamodb_sessions::regions::{Failover, HomeRouted, KeySlots, RegionsError};
use dynamodb_sessions::store::{
    Backend, Consistency, CreateOutcome, EndOutcome, Forward, LoadOutcome, Operation, Record,
    ReplaceOutcome, StorageKey, StoredData, Token, TouchOutcome,
};
use dynamodb_sessions::testing::{CallCounts, CountingBackend, MemoryBackendTesting as _};
use dynamodb_sessions::{
    BackendError, CommitError, DataEncoding, MemoryBackend, SessionConfig, SessionError,
};
use dynamodb_sessions_conformance::fixture::{cookie_pair, key_of, Fixture};
use dynamodb_sessions_conformance::{Corruption, Harness};

const A: &str = "eu-west-1";
const B: &str = "us-east-1";

fn first_half() -> KeySlots {
    KeySlots::range(0..8).unwrap()
}

fn second_half() -> KeySlots {
    KeySlots::range(8..16).unwrap()
}

/// Region A holds slots 0..8 and B 8..16, over `a` and `b`; `local` is
/// where the process runs.
fn two_regions<S>(a: S, b: S, local: &str, failover: Failover) -> HomeRouted<S> {
    HomeRouted::builder()
        .region(A, first_half(), a)
        .region(B, second_half(), b)
        .local(local)
        .failover(failover)
        .build()
        .unwrap()
}

/// The suite's harness: two regions covering every slot, a fresh memory
/// store each.
struct TwoRegions;

impl Harness for TwoRegions {
    type Backend = HomeRouted<MemoryBackend>;

    fn fresh_backend(&self) -> Self::Backend {
        two_regions(
            MemoryBackend::new(),
            MemoryBackend::new(),
            A,
            Failover::Wait,
        )
    }

    fn put_corrupt(&self, backend: &Self::Backend, key: &StorageKey, corruption: Corruption) {
        let home = backend.home_of(key).expect("every slot has a home");
        let store = backend.region(home).unwrap();
        store.insert_corrupt(*key, &format!("{corruption:?}"));
    }
}

#[test]
fn conformance_suite_on_two_regions() {
    dynamodb_sessions_conformance::run_suite(Some(TwoRegions));
}

/// A process's backend, over the shared regional stores.
type Routed = HomeRouted<Arc<MemoryBackend>>;

/// One process: a manager whose new IDs are drawn in its region's slots,
/// over the shared regional stores.
fn process(
    stores: &Stores,
    local: &str,
    failover: Failover,
) -> (Fixture<Arc<Routed>>, Arc<Routed>) {
    let backend = Arc::new(two_regions(
        Arc::clone(&stores.a),
        Arc::clone(&stores.b),
        local,
        failover,
    ));
    let config = SessionConfig::builder()
        .key_slots(backend.local_slots())
        .build()
        .unwrap();
    (Fixture::around(Arc::clone(&backend), config), backend)
}

/// Each region's store: the replica of its region, which only that
/// region's sessions are written to.
struct Stores {
    a: Arc<MemoryBackend>,
    b: Arc<MemoryBackend>,
}

impl Stores {
    fn new() -> Self {
        Stores {
            a: Arc::new(MemoryBackend::new()),
            b: Arc::new(MemoryBackend::new()),
        }
    }
}

fn stored(store: &MemoryBackend, key: &StorageKey) -> Option<Record> {
    store.load(key, Consistency::Strong).unwrap().into_record()
}

#[test]
fn ids_drawn_in_the_local_slots_are_homed_in_the_local_region() {
    let stores = Stores::new();
    for (local, slots) in [(A, first_half()), (B, second_half())] {
        let (process, backend) = process(&stores, local, Failover::Wait);
        assert_eq!(backend.local_slots(), slots);
        assert_eq!(backend.local(), local);
        for _ in 0..200 {
            let key = Token::generate_in(backend.local_slots())
                .unwrap()
                .storage_key();
            assert_eq!(backend.home_of(&key), Some(local));
        }
        // And the manager's own draws, a new session and a login.
        for _ in 0..20 {
            let cookie = process.start_session("n", 1);
            assert_eq!(backend.home_of(&key_of(&cookie)), Some(local));
            let (_, moved) = process.request(Some(&cookie), |s| s.regenerate_id().unwrap());
            let moved = cookie_pair(&moved.expect("a login sets a cookie"));
            assert_eq!(backend.home_of(&key_of(&moved)), Some(local));
        }
    }
}

/// A session created by a process in A and then served by a process in
/// B is read and written in A's store; B's store never hears of it.
#[test]
fn a_session_is_served_from_its_home_whichever_process_serves_it() {
    let stores = Stores::new();
    let (in_a, _) = process(&stores, A, Failover::Wait);
    let (in_b, _) = process(&stores, B, Failover::Wait);

    let cookie = in_a.start_session("n", 1);
    let key = key_of(&cookie);
    let (seen, set_cookie) = in_b.request(Some(&cookie), |s| {
        let n: i64 = s.get("n").unwrap().unwrap();
        s.insert("n", &(n + 1)).unwrap();
        n
    });
    assert_eq!(seen, 1);
    let cookie = cookie_pair(&set_cookie.expect("a write sets a cookie"));
    assert_eq!(key_of(&cookie), key, "no new ID for a plain write");
    assert_eq!(stored(&stores.a, &key).unwrap().version, 2);
    assert_eq!(stored(&stores.b, &key), None);
    assert!(stores.b.is_empty());

    // Back in A, the write made through B is there.
    let (seen, _) = in_a.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(2));

    // A logout through B ends it in A.
    in_b.request(Some(&cookie), |s| s.invalidate());
    assert!(stored(&stores.a, &key).unwrap().is_ended());
    assert!(stores.b.is_empty());
}

/// Fails every call while `down` is set, as a region that does not answer.
struct Outage<S> {
    inner: S,
    down: AtomicBool,
}

impl<S> Outage<S> {
    fn new(inner: S) -> Self {
        Outage {
            inner,
            down: AtomicBool::new(false),
        }
    }

    fn refuse(&self, operation: Operation) -> Result<(), BackendError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(BackendError::Unavailable {
                operation,
                attempts: 4,
                source: "connection refused".into(),
            });
        }
        Ok(())
    }
}

impl<S: Backend> Forward for Outage<S> {
    type Inner = S;

    fn forward_to(&self) -> &S {
        &self.inner
    }

    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.refuse(Operation::Load)?;
        self.inner.load(key, consistency)
    }

    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.refuse(Operation::Create)?;
        self.inner.create(key, record)
    }

    fn forward_replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<dynamodb_sessions::store::ReplaceOutcome, BackendError> {
        self.refuse(Operation::Replace)?;
        self.inner.replace(key, expected_version, record)
    }

    fn forward_touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<dynamodb_sessions::store::TouchOutcome, BackendError> {
        self.refuse(Operation::Touch)?;
        self.inner
            .touch(key, expected_version, issued_at, expires_at)
    }

    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<dynamodb_sessions::store::EndOutcome, BackendError> {
        self.refuse(Operation::End)?;
        self.inner.end(key, tombstone)
    }
}

/// `Failover::Wait`: while A does not answer, A's sessions fail to load
/// with a temporary error (the glue's 503), B's sessions and new visitors
/// are served, and when A answers again its sessions are there.
#[test]
fn waiting_for_a_home_that_does_not_answer_loses_nothing() {
    let a = Arc::new(Outage::new(MemoryBackend::new()));
    let b = Arc::new(Outage::new(MemoryBackend::new()));
    let process = |local| {
        let backend = two_regions(Arc::clone(&a), Arc::clone(&b), local, Failover::Wait);
        let config = SessionConfig::builder()
            .key_slots(backend.local_slots())
            .build()
            .unwrap();
        Fixture::around(backend, config)
    };
    let (in_a, in_b) = (process(A), process(B));
    let a_cookie = in_a.start_session("n", 1);
    let b_cookie = in_b.start_session("n", 2);

    a.down.store(true, Ordering::SeqCst);
    let mut session = in_b.manager.load(Some(&a_cookie));
    let error = session.get::<i64>("n").unwrap_err();
    let SessionError::Load(cause) = error else {
        panic!("expected a load error, got {error:?}");
    };
    assert!(cause.is_temporary(), "{cause}");
    assert!(matches!(cause, BackendError::Unavailable { .. }));
    assert_eq!(
        in_b.manager
            .commit(session, dynamodb_sessions::Scheme::Https)
            .unwrap(),
        None
    );

    let (seen, _) = in_b.request(Some(&b_cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(2), "B's sessions are served");
    let fresh = in_b.start_session("n", 3);
    assert_eq!(in_b.manager.config().key_slots(), second_half());
    assert!(
        second_half().holds(&key_of(&fresh)),
        "new visitors get B sessions"
    );

    a.down.store(false, Ordering::SeqCst);
    let (seen, _) = in_b.request(Some(&a_cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(1), "A's session is back as it was");
}

/// Marked down under `Wait`, a region's calls fail at once, sent nowhere.
#[test]
fn a_region_marked_down_under_wait_fails_its_calls_without_sending_them() {
    let stores = Stores::new();
    let (in_a, _) = process(&stores, A, Failover::Wait);
    let (in_b, backend_b) = process(&stores, B, Failover::Wait);
    let cookie = in_a.start_session("n", 1);

    backend_b.mark_down(A).unwrap();
    assert_eq!(backend_b.is_down(A), Some(true));
    let mut session = in_b.manager.load(Some(&cookie));
    let Err(SessionError::Load(cause)) = session.get::<i64>("n") else {
        panic!("expected a load error");
    };
    assert!(cause.is_temporary());
    let source = cause
        .source()
        .and_then(|s| s.downcast_ref::<RegionsError>());
    assert_eq!(source, Some(&RegionsError::HomeRegionDown));
    drop(session);

    let key = key_of(&cookie);
    let record = Record::new(2, 0, 1200, StoredData::Cbor(vec![0xa0]));
    let refused = backend_b.replace(&key, 1, &record).unwrap_err();
    assert!(matches!(
        refused,
        BackendError::Unavailable { attempts: 0, .. }
    ));
    assert_eq!(stored(&stores.a, &key).unwrap().version, 1, "nothing sent");

    backend_b.mark_up(A).unwrap();
    let (seen, _) = in_b.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(1));
}

/// `Failover::Abandon` after `mark_down(A)`: an A cookie gets a fresh
/// session homed in B, nothing is written for the old one, and once A is
/// marked up the old session is there, untouched.
#[test]
fn abandoning_a_region_marked_down_starts_fresh_sessions_and_leaves_the_old_ones_alone() {
    let stores = Stores::new();
    let (in_a, _) = process(&stores, A, Failover::Wait);
    let (in_b, backend_b) = process(&stores, B, Failover::Abandon);
    let old = in_a.start_session("n", 1);
    let old_key = key_of(&old);
    let before = stored(&stores.a, &old_key).unwrap();

    backend_b.mark_down(A).unwrap();
    let (seen, set_cookie) = in_b.request(Some(&old), |s| {
        let seen = s.get::<i64>("n").unwrap();
        s.insert("n", &10).unwrap();
        seen
    });
    assert_eq!(seen, None, "a fresh session");
    let fresh = cookie_pair(&set_cookie.expect("the fresh session is stored"));
    let fresh_key = key_of(&fresh);
    assert_ne!(fresh_key, old_key, "the old ID is never adopted");
    assert_eq!(backend_b.home_of(&fresh_key), Some(B));
    assert!(stored(&stores.b, &fresh_key).is_some());
    assert_eq!(stored(&stores.b, &old_key), None);

    // A logout with the old cookie fails while its home is down, as any
    // write to it: nothing is sent, nothing written elsewhere.
    let (_, logout) = in_b.try_request(Some(&old), |s| s.invalidate());
    match logout {
        Err(CommitError::Backend(cause)) => {
            assert!(matches!(
                cause,
                BackendError::Unavailable { attempts: 0, .. }
            ));
            let source = cause
                .source()
                .and_then(|s| s.downcast_ref::<RegionsError>());
            assert_eq!(source, Some(&RegionsError::HomeRegionDown));
        }
        other => panic!("expected the logout to fail, got {other:?}"),
    }
    let record = Record::new(2, 0, 1200, StoredData::Cbor(vec![0xa0]));
    let refused = backend_b.replace(&old_key, 1, &record).unwrap_err();
    assert!(refused.is_temporary(), "{refused}");
    assert_eq!(stored(&stores.b, &old_key), None);

    backend_b.mark_up(A).unwrap();
    assert_eq!(stored(&stores.a, &old_key), Some(before), "untouched");
    let (seen, _) = in_b.request(Some(&old), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(1), "the old session is back");
    let (seen, _) = in_b.request(Some(&fresh), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(10), "and the fresh one stays");
    // Now a logout ends it, in its home.
    in_b.request(Some(&old), |s| s.invalidate());
    assert!(stored(&stores.a, &old_key).unwrap().is_ended());
}

/// A key in a slot no region holds (a hand-made ID) is no session, and
/// nothing is ever written under it.
#[test]
fn a_key_in_a_slot_no_region_holds_is_no_session() {
    let a = Arc::new(CountingBackend::new(MemoryBackend::new()));
    let backend = Arc::new(
        HomeRouted::builder()
            .region(A, KeySlots::range(0..4).unwrap(), Arc::clone(&a))
            .local(A)
            .build()
            .unwrap(),
    );
    let config = SessionConfig::builder()
        .key_slots(backend.local_slots())
        .build()
        .unwrap();
    let process = Fixture::around(Arc::clone(&backend), config);
    let stray = Token::generate_in(KeySlots::range(4..16).unwrap()).unwrap();
    assert_eq!(backend.home_of(&stray.storage_key()), None);

    let cookie = format!("session_id={}/1", stray.as_str());
    let (seen, set_cookie) = process.request(Some(&cookie), |s| {
        let seen = s.get::<i64>("n").unwrap();
        s.insert("n", &1).unwrap();
        seen
    });
    assert_eq!(seen, None);
    let new = key_of(&cookie_pair(&set_cookie.unwrap()));
    assert_ne!(new, stray.storage_key());
    assert_eq!(backend.home_of(&new), Some(A));
    assert_eq!(a.counts().loads(), 0, "the stray key reached no store");
    assert_eq!(a.counts().creates, 1);

    let record = Record::new(1, 0, 1200, StoredData::Cbor(vec![0xa0]));
    let refused = backend.create(&stray.storage_key(), &record).unwrap_err();
    assert!(matches!(refused, BackendError::Rejected { .. }));
    let source = refused
        .source()
        .and_then(|s| s.downcast_ref::<RegionsError>());
    assert_eq!(source, Some(&RegionsError::NoHomeRegion));
    assert!(!refused.is_temporary());

    // Nothing can be stored under it: a logout with it ends nothing and
    // clears the cookie, a replace or touch is a conflict.
    let (_, logout) = process.request(Some(&cookie), |s| s.invalidate());
    assert!(logout.unwrap().contains("Max-Age=0"));
    let key = stray.storage_key();
    assert_eq!(
        backend
            .end(&key, &Record::tombstone(0, DataEncoding::Cbor))
            .unwrap(),
        EndOutcome::Missing
    );
    let next = Record::new(2, 0, 1200, StoredData::Cbor(vec![0xa0]));
    assert_eq!(
        backend.replace(&key, 1, &next).unwrap(),
        ReplaceOutcome::Conflict
    );
    assert_eq!(
        backend.touch(&key, 1, 5, 1205).unwrap(),
        TouchOutcome::Conflict
    );
    assert_eq!(
        a.counts().total(),
        1,
        "still only the one create reached a store"
    );
}

#[test]
fn wrong_region_tables_are_refused_with_typed_errors() {
    let build = |regions: &[(&str, KeySlots)], local: Option<&str>| {
        let mut builder = HomeRouted::builder();
        for (name, slots) in regions {
            builder = builder.region(*name, *slots, MemoryBackend::new());
        }
        if let Some(local) = local {
            builder = builder.local(local);
        }
        builder.build().map(|_| ())
    };
    let (low, high) = (first_half(), second_half());
    let cases = [
        (build(&[], Some(A)), RegionsError::NoRegions),
        (
            build(&[(A, low), (B, KeySlots::range(7..16).unwrap())], Some(A)),
            RegionsError::OverlappingSlots { slot: 7 },
        ),
        (
            build(&[(A, low), (A, high)], Some(A)),
            RegionsError::DuplicateRegion,
        ),
        (
            build(&[(A, low), (B, high)], None),
            RegionsError::NoLocalRegion,
        ),
        (
            build(&[(A, low), (B, high)], Some("ap-south-1")),
            RegionsError::UnknownRegion,
        ),
    ];
    for (built, expected) in cases {
        assert_eq!(built, Err(expected));
        assert!(!expected.to_string().is_empty());
    }
    assert!(build(&[(A, low), (B, high)], Some(B)).is_ok());
    assert!(build(&[(A, low)], Some(A)).is_ok(), "free slots are fine");

    let backend = two_regions(
        MemoryBackend::new(),
        MemoryBackend::new(),
        A,
        Failover::Wait,
    );
    assert_eq!(
        backend.mark_down("ap-south-1"),
        Err(RegionsError::UnknownRegion)
    );
    assert_eq!(
        backend.mark_up("ap-south-1"),
        Err(RegionsError::UnknownRegion)
    );
    assert_eq!(backend.is_down("ap-south-1"), None);
    assert!(backend.region("ap-south-1").is_none());
    let shown = format!("{backend:?}");
    assert!(
        shown.contains("eu-west-1") && shown.contains("KeySlots[0, 1"),
        "{shown}"
    );
}

/// Each kind of request makes the same store calls through `HomeRouted`
/// as on one store, and every one of them reaches the home region only.
#[test]
fn home_routing_costs_no_extra_store_call() {
    let plain = Fixture::around(MemoryBackend::new(), SessionConfig::default());
    let single = kinds(&plain);

    let a = Arc::new(CountingBackend::new(MemoryBackend::new()));
    let b = Arc::new(CountingBackend::new(MemoryBackend::new()));
    let backend = two_regions(Arc::clone(&a), Arc::clone(&b), B, Failover::Wait);
    let config = SessionConfig::builder()
        .key_slots(backend.local_slots())
        .build()
        .unwrap();
    let routed = Fixture::around(backend, config);
    let per_kind = kinds(&routed);

    assert_eq!(per_kind, single);
    let mut reached = a.counts();
    add(&mut reached, b.counts());
    let mut sent = CallCounts::default();
    for (_, counts) in &per_kind {
        add(&mut sent, *counts);
    }
    assert_eq!(reached, sent, "every call reached exactly one region");
    assert_eq!(a.counts().total(), 0, "the sessions are homed in B");
    for (kind, counts) in &single {
        println!("{kind}: {counts:?}");
    }
}

/// Runs one request of each kind and returns the calls each made.
fn kinds<S: Backend + 'static>(process: &Fixture<S>) -> Vec<(&'static str, CallCounts)> {
    let mut costs = Vec::new();
    let (cookie, counts) = process.counting(|| process.start_session("n", 1));
    costs.push(("new session", counts));
    let (_, counts) = process.counting(|| {
        process.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    });
    costs.push(("read", counts));
    let (set_cookie, counts) = process.counting(|| {
        process
            .request(Some(&cookie), |s| s.insert("n", &2).unwrap())
            .1
    });
    costs.push(("write", counts));
    let cookie = cookie_pair(&set_cookie.unwrap());
    process.clock.advance(121);
    let (_, counts) = process.counting(|| {
        process.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    });
    costs.push(("read after reissue_time (touch)", counts));
    let (set_cookie, counts) = process.counting(|| {
        process
            .request(Some(&cookie), |s| s.regenerate_id().unwrap())
            .1
    });
    costs.push(("login (new ID)", counts));
    let cookie = cookie_pair(&set_cookie.unwrap());
    let (_, counts) = process.counting(|| {
        process.request(Some(&cookie), |s| s.invalidate());
    });
    costs.push(("logout", counts));
    let (_, counts) = process.counting(|| {
        process.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    });
    costs.push(("replayed logged-out cookie", counts));
    costs
}

fn add(total: &mut CallCounts, counts: CallCounts) {
    total.eventual_loads += counts.eventual_loads;
    total.strong_loads += counts.strong_loads;
    total.creates += counts.creates;
    total.replaces += counts.replaces;
    total.touches += counts.touches;
    total.ends += counts.ends;
}

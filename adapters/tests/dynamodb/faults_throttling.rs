//! Throttling, 5xx and dropped connections through the fault-injecting proxy,
//! seen through the session manager: the first k calls fail; within the
//! attempt budget the request succeeds, past it the caller gets a typed
//! error; and no write is ever applied twice (checked by the stored version
//! and data, read directly from DynamoDB Local, not through the proxy).

use dynamodb_sessions::Scheme;
use std::time::{Duration, Instant};

use dynamodb_sessions::dynamodb::{AwsSdk, DynamoDbBackendOn, RetryConfig, Rusoto};

use dynamodb_sessions::{
    store::Operation,
    store::{Backend as _, Consistency, CreateOutcome, Record, StorageKey, StoredData, Token},
    BackendError, CommitError, Session, SessionConfig, SessionError, SessionManager,
};
use dynamodb_sessions_test_support::fault_proxy::{
    Fault, Proxy, SERVER_ERROR, THROTTLED, THROUGHPUT, UNAVAILABLE,
};
use dynamodb_sessions_test_support::machine::{alone, beside_others};
use dynamodb_sessions_test_support::process::Resources;
use dynamodb_sessions_test_support::{builder_at, dynamodb_local, TestClient};

const ATTEMPTS: u32 = 3;

const RETRY: RetryConfig = RetryConfig::DEFAULT
    .max_attempts(ATTEMPTS)
    .base_delay(Duration::from_millis(5))
    .max_delay(Duration::from_millis(20))
    .attempt_timeout(Duration::from_millis(700))
    .call_timeout(Duration::from_secs(3));

fn backend_at<C: TestClient>(endpoint: &str, table: &str) -> DynamoDbBackendOn<C> {
    builder_at::<C>(endpoint, table)
        .retry(RETRY)
        .build()
        .expect("backend builds")
}

/// A manager whose backend goes through a fresh proxy, a backend that
/// reaches the same table directly (to check what is stored), and the
/// proxy.
fn setup<C: TestClient>(prefix: &str) -> Option<(SessionManager, DynamoDbBackendOn<C>, Proxy)> {
    let endpoint = dynamodb_local::endpoint()?;
    let table = dynamodb_local::unique_table_name(prefix);
    // Provisioned with patient timeouts: a busy DynamoDB Local can take
    // seconds to create a table.
    let direct = builder_at::<C>(&endpoint, &table)
        .attempt_timeout(Duration::from_secs(30))
        .build()
        .expect("backend builds");
    direct.create_table_if_missing().expect("table");
    let proxy = Proxy::start(&endpoint);
    let manager = SessionManager::new(
        backend_at::<C>(&proxy.endpoint(), &table),
        SessionConfig::default(),
    );
    Some((manager, direct, proxy))
}

fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// The stored record behind a `session_id=<token>/<version>` cookie.
fn stored<C: TestClient>(direct: &DynamoDbBackendOn<C>, cookie: &str) -> Option<Record> {
    let value = cookie.strip_prefix("session_id=").expect("our cookie");
    let token = Token::parse(value.split('/').next().unwrap_or_default()).expect("token");
    direct
        .load(&token.storage_key(), Consistency::Strong)
        .expect("direct read")
        .into_record()
}

fn version_of(cookie: &str) -> u64 {
    cookie.rsplit('/').next().unwrap().parse().unwrap()
}

/// Each of the faults that are retried, k of them before a request, for
/// every k within the attempt budget: the request succeeds, and the stored
/// version went up by exactly one.
#[test]
fn the_first_k_failures_within_the_budget_are_absorbed_and_applied_once() {
    let _share = beside_others();
    the_first_k_failures_within_the_budget_are_absorbed_and_applied_once_on::<Rusoto>();
    the_first_k_failures_within_the_budget_are_absorbed_and_applied_once_on::<AwsSdk>();
}

fn the_first_k_failures_within_the_budget_are_absorbed_and_applied_once_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("faultsretried") else {
        return;
    };
    let mut session = manager.load(None);
    session.insert("n", &0u32).unwrap();
    proxy.inject([THROTTLED, SERVER_ERROR]);
    let before = proxy.requests();
    let mut cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    // A throttled attempt (resent), a 5xx (which may have been applied: not
    // resent), the read that finds nothing under that key, then the create
    // under a new ID.
    assert_eq!(proxy.requests() - before, 4);
    assert_eq!(stored::<C>(&direct, &cookie).unwrap().version, 1);
    assert_eq!(all_records::<C>(&direct).len(), 1);

    let faults = [
        THROTTLED,
        THROUGHPUT,
        SERVER_ERROR,
        UNAVAILABLE,
        Fault::Reset,
    ];
    let mut expected_n = 0u32;
    for fault in faults {
        for k in 0..ATTEMPTS as usize {
            // k failures on the load (an eventual read) ...
            proxy.inject(std::iter::repeat_n(fault.clone(), k));
            let mut session = manager.load(Some(&cookie));
            assert_eq!(session.get::<u32>("n").unwrap(), Some(expected_n));
            // ... and k on the conditional replace.
            expected_n += 1;
            session.insert("n", &expected_n).unwrap();
            proxy.inject(std::iter::repeat_n(fault.clone(), k));
            let started = Instant::now();
            let next = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
            let took = started.elapsed();
            assert!(took < Duration::from_secs(2), "{fault:?} x{k}: {took:?}");
            assert_eq!(version_of(&next), version_of(&cookie) + 1, "{fault:?} x{k}");
            let record = stored::<C>(&direct, &next).unwrap();
            assert_eq!(record.version, version_of(&next), "{fault:?} x{k}");
            cookie = next;
        }
    }
    let mut session = manager.load(Some(&cookie));
    assert_eq!(session.get::<u32>("n").unwrap(), Some(expected_n));
    // 1 create + 15 replaces: version 16, nothing applied twice.
    assert_eq!(stored::<C>(&direct, &cookie).unwrap().version, 16);
}

/// k = the budget: a typed error naming the operation and the attempts,
/// and nothing written.
#[test]
fn failures_past_the_budget_are_typed_errors_and_write_nothing() {
    let _share = beside_others();
    failures_past_the_budget_are_typed_errors_and_write_nothing_on::<Rusoto>();
    failures_past_the_budget_are_typed_errors_and_write_nothing_on::<AwsSdk>();
}

fn failures_past_the_budget_are_typed_errors_and_write_nothing_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("faultsexhausted") else {
        return;
    };
    let mut session = manager.load(None);
    session.insert("n", &1u32).unwrap();
    let cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    let before = stored::<C>(&direct, &cookie).unwrap();
    let budget = ATTEMPTS as usize;

    // Load: throttled on every attempt.
    proxy.inject(std::iter::repeat_n(THROTTLED, budget));
    let mut session = manager.load(Some(&cookie));
    match session.load() {
        Err(SessionError::Load(BackendError::Throttled {
            operation: Operation::Load,
            attempts: ATTEMPTS,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    // The session stays unloaded: the next call tries again and succeeds.
    assert_eq!(session.get::<u32>("n").unwrap(), Some(1));

    // Replace: 5xx on every attempt. Nothing is written.
    session.insert("n", &2u32).unwrap();
    proxy.inject(std::iter::repeat_n(SERVER_ERROR, budget));
    let requests = proxy.requests();
    match manager.commit(session, Scheme::Http) {
        Err(CommitError::Backend(BackendError::Unavailable {
            operation: Operation::Replace,
            attempts: ATTEMPTS,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(proxy.requests() - requests, budget);
    assert_eq!(stored::<C>(&direct, &cookie).unwrap(), before);

    // Dropped connections on every attempt (the backend cannot tell whether
    // they were applied; here they were not): a typed error, nothing written.
    let mut session = manager.load(Some(&cookie));
    session.insert("n", &3u32).unwrap();
    proxy.inject(std::iter::repeat_n(Fault::Reset, budget));
    assert!(matches!(
        manager.commit(session, Scheme::Http),
        Err(CommitError::Backend(BackendError::Unavailable { .. }))
    ));
    assert_eq!(stored::<C>(&direct, &cookie).unwrap(), before);

    // Create (a new session): throttled throughout, typed, nothing stored.
    let mut session = manager.load(None);
    session.insert("n", &9u32).unwrap();
    proxy.inject(std::iter::repeat_n(THROUGHPUT, budget));
    match manager.commit(session, Scheme::Http) {
        Err(CommitError::Backend(BackendError::Throttled {
            operation: Operation::Create,
            attempts: ATTEMPTS,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }

    // Logout: ending it fails throughout; the session is still there (a
    // retried logout then works).
    let mut session = manager.load(Some(&cookie));
    session.invalidate();
    proxy.inject(std::iter::repeat_n(UNAVAILABLE, budget));
    assert!(matches!(
        manager.commit(session, Scheme::Http),
        Err(CommitError::Backend(BackendError::Unavailable {
            operation: Operation::End,
            ..
        }))
    ));
    assert_eq!(stored::<C>(&direct, &cookie).unwrap(), before);
    let mut session = manager.load(Some(&cookie));
    session.invalidate();
    assert!(manager.commit(session, Scheme::Http).unwrap().is_some());
    assert!(stored::<C>(&direct, &cookie).unwrap().is_ended());
}

/// An attempt that DynamoDB applied but whose answer came too late is not
/// applied again by the retry: the version goes up by one, not two, and
/// the caller gets Ok, not a conflict.
#[test]
fn a_late_answer_is_not_applied_twice() {
    let _share = beside_others();
    a_late_answer_is_not_applied_twice_on::<Rusoto>();
    a_late_answer_is_not_applied_twice_on::<AwsSdk>();
}

fn a_late_answer_is_not_applied_twice_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("faultslate") else {
        return;
    };
    let mut session = manager.load(None);
    session.insert("n", &1u32).unwrap();
    proxy.inject([Fault::DelayAnswer(Duration::from_millis(1000))]);
    let mut cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(version_of(&cookie), 1);
    assert_eq!(stored::<C>(&direct, &cookie).unwrap().version, 1);

    for round in 2..5u32 {
        let mut session = manager.load(Some(&cookie));
        session.insert("n", &round).unwrap();
        // The eventual read of the load has been made; the next request is
        // the replace, whose answer is held past the attempt timeout.
        proxy.inject([Fault::DelayAnswer(Duration::from_millis(1000))]);
        let next = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
        assert_eq!(version_of(&next), u64::from(round));
        let record = stored::<C>(&direct, &next).unwrap();
        assert_eq!(record.version, u64::from(round));
        let mut session = manager.load(Some(&next));
        assert_eq!(session.get::<u32>("n").unwrap(), Some(round));
        cookie = next;
    }
    assert_eq!(stored::<C>(&direct, &cookie).unwrap().version, 4);
}

/// A create is sent at most once per key: after an attempt whose answer
/// was lost, the backend reads the key instead of sending the PutItem
/// again (a copy held up in the network could otherwise land after the
/// key's tombstone is gone and revive an ended session). Ours there is
/// Created, another record AlreadyExists, nothing OutcomeUnknown; certain
/// refusals (throttling) are still resent. Each lost answer costs exactly
/// one PutItem and one GetItem, and nothing is written by a second copy.
#[test]
fn a_create_whose_answer_is_lost_is_never_sent_again() {
    let _share = beside_others();
    a_create_whose_answer_is_lost_is_never_sent_again_on::<Rusoto>();
    a_create_whose_answer_is_lost_is_never_sent_again_on::<AwsSdk>();
}

fn a_create_whose_answer_is_lost_is_never_sent_again_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("createonce") else {
        return;
    };
    // Patient attempts: the cases below need each PutItem applied before
    // its attempt times out, which a busy DynamoDB Local can take seconds
    // to do (a PutItem still queued when the read runs is, rightly,
    // OutcomeUnknown).
    let backend = builder_at::<C>(&proxy.endpoint(), direct.table_name())
        .retry(RETRY)
        .attempt_timeout(Duration::from_secs(4))
        .call_timeout(Duration::from_secs(15))
        .build()
        .expect("backend builds");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let record =
        Record::new(1, now, now + 1200, StoredData::Cbor(vec![0xa0])).created_at(Some(now));
    let fresh_key = || Token::generate().unwrap().storage_key();
    let create = |key: &StorageKey, fault: Fault| {
        proxy.inject([fault]);
        let before = proxy.requests();
        let outcome = backend.create(key, &record);
        (outcome, proxy.requests() - before)
    };
    let unknown = |outcome: &Result<CreateOutcome, BackendError>| {
        matches!(
            outcome,
            Err(BackendError::OutcomeUnknown {
                operation: Operation::Create
            })
        )
    };

    // Lost before DynamoDB saw it (a dropped connection, a 5xx): the read
    // finds nothing, and the key is given up with nothing written.
    for fault in [Fault::Reset, SERVER_ERROR] {
        let key = fresh_key();
        let (outcome, requests) = create(&key, fault.clone());
        assert!(unknown(&outcome), "{fault:?}: {outcome:?}");
        assert_eq!(requests, 2, "{fault:?}: one PutItem, one GetItem");
        assert_eq!(
            direct
                .load(&key, Consistency::Strong)
                .unwrap()
                .into_record(),
            None
        );
    }
    // Applied, then the answer lost or too late: the read finds ours.
    for fault in [
        Fault::ApplyThenReset,
        Fault::DelayAnswer(Duration::from_secs(5)),
    ] {
        let key = fresh_key();
        let (outcome, requests) = create(&key, fault.clone());
        assert_eq!(outcome.unwrap(), CreateOutcome::Created, "{fault:?}");
        assert_eq!(requests, 2, "{fault:?}: one PutItem, one GetItem");
        let stored = direct
            .load(&key, Consistency::Strong)
            .unwrap()
            .into_record();
        assert_eq!(stored.as_ref(), Some(&record), "{fault:?}");
    }
    // Someone else's record under the key, even one just like ours: taken
    // (the write identity decides, never the content).
    let key = fresh_key();
    assert_eq!(
        direct.create(&key, &record).unwrap(),
        CreateOutcome::Created
    );
    let (outcome, requests) = create(&key, Fault::Reset);
    assert_eq!(outcome.unwrap(), CreateOutcome::AlreadyExists);
    assert_eq!(requests, 2);
    // Throttled: refused for sure, so it is sent again.
    let key = fresh_key();
    let (outcome, requests) = create(&key, THROTTLED);
    assert_eq!(outcome.unwrap(), CreateOutcome::Created);
    assert_eq!(requests, 2, "the refused PutItem and the one applied");

    // Through the manager: the session is created under another ID, and
    // the given-up key holds nothing.
    let records = all_records::<C>(&direct).len();
    let mut session = manager.load(None);
    session.insert("n", &1u32).unwrap();
    proxy.inject([Fault::Reset]);
    let before = proxy.requests();
    let cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    assert_eq!(proxy.requests() - before, 3, "PutItem, GetItem, PutItem");
    assert_eq!(stored::<C>(&direct, &cookie).unwrap().version, 1);
    assert_eq!(
        all_records::<C>(&direct).len(),
        records + 1,
        "one record made"
    );
}

/// Every record in the table, read directly (a scan, then strong reads).
fn all_records<C: TestClient>(direct: &DynamoDbBackendOn<C>) -> Vec<Record> {
    use dynamodb_sessions_test_support::raw_table::{block_on, raw_client};
    use rusoto_dynamodb::{DynamoDb, ScanInput};
    let endpoint = dynamodb_local::endpoint().expect("DynamoDB Local");
    let output = block_on(raw_client(&endpoint).scan(ScanInput {
        table_name: direct.table_name().to_owned(),
        consistent_read: Some(true),
        ..ScanInput::default()
    }))
    .expect("scan");
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| {
            let key = item["sid"].b.as_ref().expect("sid");
            let key = dynamodb_sessions::store::StorageKey::from_bytes(key[..].try_into().unwrap());
            direct
                .load(&key, Consistency::Strong)
                .unwrap()
                .into_record()
                .unwrap()
        })
        .collect()
}

/// A session holding `cart = 3` (its cookie), and a login on it whose
/// create will go through and whose ending of the old ID will be applied
/// with every answer lost.
fn login_with_lost_answers(manager: &SessionManager, proxy: &Proxy) -> (String, Session) {
    let mut session = manager.load(None);
    session.insert("cart", &3u32).unwrap();
    let cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    let mut session = manager.load(Some(&cookie));
    session.regenerate_id().unwrap();
    proxy.inject([Fault::Forward]);
    proxy.inject(std::iter::repeat_n(
        Fault::ApplyThenReset,
        ATTEMPTS as usize,
    ));
    (cookie, session)
}

/// A login whose ending of the old ID is applied but
/// whose every answer is lost. The old record's tombstone names the new
/// record, so a read of it settles the login: done, and the browser gets
/// the new cookie and its data.
#[test]
fn a_login_whose_last_answers_are_lost_is_settled_by_the_old_record() {
    let _share = beside_others();
    a_login_whose_last_answers_are_lost_is_settled_by_the_old_record_on::<Rusoto>();
    a_login_whose_last_answers_are_lost_is_settled_by_the_old_record_on::<AwsSdk>();
}

fn a_login_whose_last_answers_are_lost_is_settled_by_the_old_record_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("loginlost") else {
        return;
    };
    let (cookie, mut session) = login_with_lost_answers(&manager, &proxy);
    session.insert("user", "ada").unwrap();
    let new_cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());
    assert!(stored::<C>(&direct, &cookie).unwrap().is_ended());
    let mut session = manager.load(Some(&new_cookie));
    assert_eq!(session.get::<u32>("cart").unwrap(), Some(3));
    assert_eq!(
        session.get::<String>("user").unwrap().as_deref(),
        Some("ada")
    );
}

/// The same, with the store unreachable for the checks too: the outcome is
/// unknown, so the new record stays, and the data lives on in one of the
/// two records, never in neither.
#[test]
fn a_login_whose_outcome_stays_unknown_keeps_the_data() {
    let _share = beside_others();
    a_login_whose_outcome_stays_unknown_keeps_the_data_on::<Rusoto>();
    a_login_whose_outcome_stays_unknown_keeps_the_data_on::<AwsSdk>();
}

fn a_login_whose_outcome_stays_unknown_keeps_the_data_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("loginunknown") else {
        return;
    };
    let (_, session) = login_with_lost_answers(&manager, &proxy);
    // Two checks (a read and, if untouched, one more end), each retried.
    proxy.inject(std::iter::repeat_n(Fault::Reset, 4 * ATTEMPTS as usize));
    let result = manager.commit(session, Scheme::Http);
    assert!(matches!(result, Err(CommitError::Backend(_))), "{result:?}");
    let records = all_records::<C>(&direct);
    let live: Vec<&Record> = records.iter().filter(|r| !r.is_ended()).collect();
    assert_eq!(live.len(), 1, "{records:?}");
    assert_eq!(live[0].version, 1, "the new record, with the data");
}

/// Tab B logs out after tab A loaded the session for a
/// login. A's ending of the old ID is lost on its first attempt, its retry
/// finds the logout's tombstone: not A's, so the login is a conflict and
/// the logged-out data does not live on under the new ID.
#[test]
fn a_login_racing_a_logout_with_a_lost_answer_is_a_conflict() {
    let _share = beside_others();
    a_login_racing_a_logout_with_a_lost_answer_is_a_conflict_on::<Rusoto>();
    a_login_racing_a_logout_with_a_lost_answer_is_a_conflict_on::<AwsSdk>();
}

fn a_login_racing_a_logout_with_a_lost_answer_is_a_conflict_on<C: TestClient>() {
    let Some((manager, direct, proxy)) = setup::<C>("loginlogoutlost") else {
        return;
    };
    let mut session = manager.load(None);
    session.insert("cart", &3u32).unwrap();
    let cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());

    let mut login = manager.load(Some(&cookie));
    login.regenerate_id().unwrap();
    let mut logout = manager.load(Some(&cookie));
    logout.invalidate();
    assert!(manager.commit(logout, Scheme::Http).unwrap().is_some());

    proxy.inject([Fault::Forward, Fault::Reset]);
    let result = manager.commit(login, Scheme::Http);
    assert!(matches!(result, Err(CommitError::Conflict)), "{result:?}");
    let records = all_records::<C>(&direct);
    assert!(
        records.iter().all(Record::is_ended),
        "the logged-out data lives on: {records:?}"
    );
}

/// DynamoDB throttles every request for a long stretch while 8 threads keep
/// reading and writing: every call ends within its deadline with a typed
/// error, nothing queues up (the process's thread count stays flat), and
/// service resumes as soon as the throttling stops.
#[test]
fn sustained_throttling_stays_bounded_and_recovers() {
    // The thread count is the process's: other cases' threads would blur it.
    let _share = alone();
    sustained_throttling_stays_bounded_and_recovers_on::<Rusoto>();
    sustained_throttling_stays_bounded_and_recovers_on::<AwsSdk>();
}

fn sustained_throttling_stays_bounded_and_recovers_on<C: TestClient>() {
    let Some((manager, _direct, proxy)) = setup::<C>("sustained") else {
        return;
    };
    let mut session = manager.load(None);
    session.insert("n", &0u32).unwrap();
    let cookie = cookie_of(&manager.commit(session, Scheme::Http).unwrap().unwrap());

    proxy.inject(std::iter::repeat_n(THROTTLED, 1_000_000));
    let outage = Duration::from_secs(8);
    let started = Instant::now();
    // Thread counts sampled through the outage, first and second half.
    let mut samples: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut calls = 0;
                    while started.elapsed() < outage {
                        let call = Instant::now();
                        let mut session = manager.load(Some(&cookie));
                        let error = session.get::<u32>("n").unwrap_err();
                        let took = call.elapsed();
                        assert!(
                            matches!(error, SessionError::Load(BackendError::Throttled { .. })),
                            "{error:?}"
                        );
                        assert!(
                            took <= RETRY.call_timeout + Duration::from_millis(500),
                            "a call took {took:?}"
                        );
                        drop(session);
                        calls += 1;
                    }
                    calls
                })
            })
            .collect();
        while started.elapsed() < outage {
            let half = usize::from(started.elapsed() > outage / 2);
            samples[half].extend(Resources::now().map(|now| now.threads));
            std::thread::sleep(Duration::from_millis(200));
        }
        let calls: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert!(calls >= 8, "{calls} calls in {outage:?}");
    });
    // The callers, their pooled connections (and the proxy's thread for
    // each), then nothing more: no thread piles up per call. Each throttled
    // answer closes its connection (`Connection: close`), so the proxy's
    // threads come and go and the count moves by a few either way; a
    // pile-up would lift most of the second half above all of the first.
    let peak = samples[0].iter().copied().max().unwrap_or(0);
    let mut later = samples[1].clone();
    later.sort_unstable();
    let median = later.get(later.len() / 2).copied().unwrap_or(0);
    assert!(
        median <= peak,
        "threads grew during the outage: {samples:?}"
    );

    proxy.clear();
    let mut session = manager.load(Some(&cookie));
    assert_eq!(session.get::<u32>("n").unwrap(), Some(0));
    session.insert("n", &1u32).unwrap();
    let next = manager.commit(session, Scheme::Http).unwrap().unwrap();
    assert_eq!(version_of(&cookie_of(&next)), 2);
}

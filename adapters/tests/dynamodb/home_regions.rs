//! Home routing on DynamoDB Local, on both clients: two "regions", the
//! shared DynamoDB Local and a private one, each with its own copy of the
//! table. A session is stored in its home region's table only, whichever
//! process serves it, and a home that stops answering fails its own
//! sessions' calls only.

use std::sync::Arc;
use std::time::Duration;

use dynamodb_sessions::dynamodb::{AwsSdk, DynamoDbBackendOn, HomeRegions, Rusoto};
use dynamodb_sessions::regions::{Failover, HomeRouted, KeySlots};
use dynamodb_sessions::{SessionConfig, SessionError};
use dynamodb_sessions_conformance::fixture::{cookie_pair, key_of, Fixture};
use dynamodb_sessions_test_support::dynamodb_local::{
    unique_table_name, DynamoDbLocal, PrivateDynamoDbLocal,
};
use dynamodb_sessions_test_support::machine::alone;
use dynamodb_sessions_test_support::raw_table::scan_all;
use dynamodb_sessions_test_support::TestClient;

const EU: &str = "eu-west-1";
const US: &str = "us-east-1";

#[test]
fn a_session_is_stored_in_its_home_region_only() {
    // A private DynamoDB Local starts beside the shared one.
    let _share = alone();
    let Some(shared) = DynamoDbLocal::shared() else {
        return;
    };
    let Some(mut private) = PrivateDynamoDbLocal::start().expect("private DynamoDB Local") else {
        return;
    };
    on::<Rusoto>(shared.endpoint(), &mut private);
    on::<AwsSdk>(shared.endpoint(), &mut private);
}

fn on<C: TestClient>(eu_endpoint: &str, us_local: &mut PrivateDynamoDbLocal) {
    let table = unique_table_name("home");
    let us_endpoint = us_local.endpoint().to_owned();
    let build = |local: &str, attempt_timeout: Duration| {
        DynamoDbBackendOn::<C>::builder(&table)
            .static_credentials("test", "test")
            .attempt_timeout(attempt_timeout)
            .max_attempts(2)
            .build_home_routed(
                HomeRegions::new()
                    .region_at(EU, KeySlots::range(0..8).unwrap(), eu_endpoint)
                    .region_at(US, KeySlots::range(8..16).unwrap(), &us_endpoint)
                    .local(local)
                    .failover(Failover::Wait),
            )
            .expect("the home-routed backend builds")
    };
    // Creating a table, on disk in the private one, can take seconds.
    let provisioning = build(EU, Duration::from_secs(30));
    for region in [EU, US] {
        let backend = provisioning.region(region).unwrap();
        backend.create_table_if_missing().expect("create the table");
    }
    let process = |local: &str| {
        let backend = Arc::new(build(local, Duration::from_secs(2)));
        let config = SessionConfig::builder()
            .key_slots(backend.local_slots())
            .build()
            .unwrap();
        (Fixture::around(Arc::clone(&backend), config), backend)
    };
    let (in_eu, backend): (_, Arc<HomeRouted<DynamoDbBackendOn<C>>>) = process(EU);
    let (in_us, _) = process(US);
    let sids = |endpoint: &str| -> Vec<Vec<u8>> {
        scan_all(endpoint, &table)
            .into_iter()
            .map(|item| item["sid"].b.clone().expect("sid is binary").to_vec())
            .collect()
    };

    let cookie = in_eu.start_session("n", 1);
    let key = key_of(&cookie);
    assert_eq!(backend.home_of(&key), Some(EU), "{}", C::NAME);
    let (seen, set_cookie) = in_us.request(Some(&cookie), |s| {
        let n: i64 = s.get("n").unwrap().unwrap();
        s.insert("n", &(n + 1)).unwrap();
        n
    });
    assert_eq!(seen, 1, "{}", C::NAME);
    let cookie = cookie_pair(&set_cookie.expect("a write sets a cookie"));
    assert_eq!(
        sids(eu_endpoint),
        vec![key.as_bytes().to_vec()],
        "{}",
        C::NAME
    );
    assert!(sids(&us_endpoint).is_empty(), "{}", C::NAME);

    let us_cookie = in_us.start_session("n", 7);
    let us_key = key_of(&us_cookie);
    assert_eq!(backend.home_of(&us_key), Some(US), "{}", C::NAME);
    assert_eq!(
        sids(&us_endpoint),
        vec![us_key.as_bytes().to_vec()],
        "{}",
        C::NAME
    );
    assert_eq!(sids(eu_endpoint).len(), 1, "{}", C::NAME);

    // The US region stops answering: its sessions fail with a temporary
    // error (the glue's 503), the EU ones are served.
    us_local.kill();
    let mut session = in_eu.manager.load(Some(&us_cookie));
    match session.get::<i64>("n") {
        Err(SessionError::Load(cause)) => assert!(cause.is_temporary(), "{cause}"),
        other => panic!("{}: expected a load error, got {other:?}", C::NAME),
    }
    drop(session);
    let (seen, _) = in_eu.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(2), "{}", C::NAME);
    us_local
        .restart()
        .expect("restart the private DynamoDB Local");
    let (seen, _) = in_eu.request(Some(&us_cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(seen, Some(7), "{}: nothing lost", C::NAME);
}

/// One endpoint for two regions given with `region_at` is deliberate (an
/// emulator serving every region at one URL): it builds, on both clients.
/// (The same endpoint coming from the environment is refused:
/// `environment.rs`, `home_regions_sent_to_one_endpoint_by_the_environment_are_refused`.)
#[test]
fn two_regions_given_one_endpoint_build() {
    fn on<C: TestClient>() {
        let regions = HomeRegions::new()
            .region_at(
                "eu-west-1",
                KeySlots::range(0..8).unwrap(),
                "http://127.0.0.1:9",
            )
            .region_at(
                "us-east-1",
                KeySlots::range(8..16).unwrap(),
                "http://127.0.0.1:9",
            )
            .local("eu-west-1");
        let built = DynamoDbBackendOn::<C>::builder("sessions")
            .static_credentials("id", "secret")
            .build_home_routed(regions);
        assert!(built.is_ok(), "{}", C::NAME);
    }
    on::<Rusoto>();
    on::<AwsSdk>();
}

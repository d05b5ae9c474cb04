//! End-to-end: the demo app on tiny_http and on rouille, sessions in
//! DynamoDbBackend (and, on tiny_http, AwsSdkBackend) on AWS DynamoDB Local
//! (a new table per demo), driven over real HTTP by a client that keeps
//! cookies. Skips loudly where java or npm is missing outside CI; fails in
//! CI.

use crate::support;
use support::ServerKind;

use dynamodb_sessions::{dynamodb::AwsSdkBackend, DynamoDbBackend, SessionConfig, SessionManager};
use dynamodb_sessions_test_support::{ClientHarness, DynamoDbClient};

fn dynamodb<B: DynamoDbClient>() -> Option<impl Fn(SessionConfig) -> SessionManager> {
    let harness = ClientHarness::<B>::shared()?;
    Some(move |config| support::demo_manager(harness.backend_on_new_table("e2e"), config))
}

#[test]
fn scenarios_on_tiny_http() {
    support::cases::run_all(ServerKind::TinyHttp, dynamodb::<DynamoDbBackend>());
}

#[test]
fn scenarios_on_rouille() {
    support::cases::run_all(ServerKind::Rouille, dynamodb::<DynamoDbBackend>());
}

/// The server does not matter to the client; one server is enough.
#[test]
fn scenarios_on_tiny_http_with_the_aws_sdk() {
    support::cases::run_all(ServerKind::TinyHttp, dynamodb::<AwsSdkBackend>());
}

/// The demo's own DynamoDB path: `--endpoint URL --table NAME
/// --create-table`, as a user would start it, on each client.
#[test]
fn demo_options_create_and_use_a_table() {
    for client in ["rusoto", "aws-sdk"] {
        demo_options_on(client);
    }
}

fn demo_options_on(client: &str) {
    use dynamodb_sessions::http::TrustForwardedProto;
    use dynamodb_sessions_test_support::dynamodb_local;
    use support::options::Options;

    let Some(endpoint) = dynamodb_local::endpoint() else {
        return;
    };
    let table = dynamodb_local::unique_table_name("e2e-demo");
    let args = [
        "--endpoint",
        &endpoint,
        "--table",
        &table,
        "--create-table",
        "--port",
        "0",
        "--client",
        client,
    ];
    let options = Options::parse(args.iter().map(|a| (*a).to_owned()), |_| None).unwrap();
    let (manager, store) = options.manager().expect("create the table and reach it");
    assert_eq!(
        store,
        format!("sessions in DynamoDB table {table} at {endpoint}")
    );

    let demo = support::Demo::start(
        support::ServerKind::TinyHttp,
        manager,
        TrustForwardedProto::No,
    );
    let browser = demo.browser();
    assert_eq!(browser.home().visits(), 1);
    assert_eq!(browser.home().visits(), 2);

    // Without --create-table, an existing table is used as it is.
    let args = [
        "--endpoint",
        &endpoint,
        "--table",
        &table,
        "--client",
        client,
    ];
    let again = Options::parse(args.iter().map(|a| (*a).to_owned()), |_| None).unwrap();
    assert!(again.manager().is_ok());
}

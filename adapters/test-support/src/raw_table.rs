//! Direct access to a DynamoDB Local table beside the backend, for tests
//! that plant or inspect raw items and for the benches' bare baseline. The
//! backend keeps its rusoto client private; this one is built the same way.

use std::collections::HashMap;

use rusoto_core::credential::StaticProvider;
use rusoto_core::{HttpClient, Region};
use rusoto_dynamodb::{AttributeValue, DynamoDb, DynamoDbClient, ScanInput};

/// A rusoto client for `endpoint` (region `us-east-1`, any credentials) on
/// the same HTTP connector as the backend's, which speaks plain `http://`.
/// Create it inside the runtime that will drive it when that runtime is
/// multi-threaded.
pub fn raw_client(endpoint: &str) -> DynamoDbClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    DynamoDbClient::new_with(
        HttpClient::from_connector(connector),
        StaticProvider::new_minimal("test".into(), "test".into()),
        Region::Custom {
            name: "us-east-1".into(),
            endpoint: endpoint.to_owned(),
        },
    )
}

/// A bare AWS SDK client for `endpoint` (region `us-east-1`, any
/// credentials) set up as [`AwsSdkBackend`](dynamodb_sessions::dynamodb::AwsSdkBackend)
/// sets up its own: the same hyper 0.14 connector, the SDK's retries and
/// timeouts off. Create it inside the runtime that will drive it.
pub fn raw_sdk_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{
        retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Credentials, Region,
        StalledStreamProtectionConfig,
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(aws_smithy_http_client::hyper_014::HyperClientBuilder::new().build(connector))
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Runs one raw request to completion on a throwaway runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for a raw request")
        .block_on(future)
}

/// Turns `table`'s TTL off, so that it keeps expired items. DynamoDB Local
/// deletes an item within seconds of its `exp` (1 to 3 s measured),
/// DynamoDB within days, and the library's JSON-mode tombstones expire at
/// once: a test that looks at one would race the sweep. Tests of the sweep
/// delete the item themselves, as the TTL does.
///
/// # Panics
///
/// When the request fails.
pub fn keep_expired_items(endpoint: &str, table: &str) {
    use rusoto_dynamodb::{TimeToLiveSpecification, UpdateTimeToLiveInput};
    let input = UpdateTimeToLiveInput {
        table_name: table.to_owned(),
        time_to_live_specification: TimeToLiveSpecification {
            attribute_name: "exp".to_owned(),
            enabled: false,
        },
    };
    block_on(raw_client(endpoint).update_time_to_live(input)).expect("turn the TTL off");
}

/// Turns on `table`'s stream with both images of every change
/// (`NEW_AND_OLD_IMAGES`), as a global table's replication reads it; the
/// replicator ([`crate::replicator`]) needs it on each side. DynamoDB Local
/// serves the Streams API on the same port.
///
/// # Panics
///
/// When the request fails.
pub fn enable_streams(endpoint: &str, table: &str) {
    use rusoto_dynamodb::{StreamSpecification, UpdateTableInput};
    let input = UpdateTableInput {
        table_name: table.to_owned(),
        stream_specification: Some(StreamSpecification {
            stream_enabled: true,
            stream_view_type: Some("NEW_AND_OLD_IMAGES".to_owned()),
        }),
        ..UpdateTableInput::default()
    };
    block_on(raw_client(endpoint).update_table(input)).expect("turn the table's stream on");
}

/// Creates `table` as the first versions of `create_table_if_missing` did:
/// `sid` (B) as the hash key, on demand, no index, no TTL.
///
/// # Panics
///
/// When the request fails.
pub fn create_bare_table(endpoint: &str, table: &str) {
    use rusoto_dynamodb::{AttributeDefinition, CreateTableInput, KeySchemaElement};
    block_on(raw_client(endpoint).create_table(CreateTableInput {
        table_name: table.to_owned(),
        billing_mode: Some("PAY_PER_REQUEST".into()),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: "sid".into(),
            attribute_type: "B".into(),
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: "sid".into(),
            key_type: "HASH".into(),
        }],
        ..CreateTableInput::default()
    }))
    .expect("create a bare table");
}

/// Every item of `table`, as DynamoDB stores it, read page by page with a
/// strongly consistent scan: what a leaked table or export would hold.
///
/// # Panics
///
/// When the scan fails.
pub fn scan_all(endpoint: &str, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let input = ScanInput {
            table_name: table.to_owned(),
            consistent_read: Some(true),
            exclusive_start_key: start.take(),
            ..ScanInput::default()
        };
        // A client per page: each runs on its own throwaway runtime.
        let page = block_on(raw_client(endpoint).scan(input)).expect("scan the table");
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return items,
        }
    }
}

//! Direct access to a DynamoDB Local table beside the backend, for tests
//! that plant or inspect raw items and for the benches' bare baseline. The
//! backend keeps its rusoto client private; this one is built the same way.

use rusoto_core::credential::StaticProvider;
use rusoto_core::{HttpClient, Region};
use rusoto_dynamodb::DynamoDbClient;

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

/// Runs one raw request to completion on a throwaway runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for a raw request")
        .block_on(future)
}

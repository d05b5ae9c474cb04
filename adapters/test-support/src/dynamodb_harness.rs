//! The suite's harness for the DynamoDB backends on AWS DynamoDB Local,
//! one per client ([`DynamoDbHarness`] for rusoto, [`AwsSdkHarness`] for the
//! AWS SDK), from one definition generic over [`DynamoDbClient`], and what
//! tests generic over the client ([`TestClient`]) build their backends
//! with.

use std::collections::HashMap;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::time::Duration;

use dynamodb_sessions::dynamodb::{
    AwsSdk, AwsSdkBackend, Client, DynamoDbBackend, DynamoDbBackendBuilderOn, DynamoDbBackendOn,
    ProvisionError, ProvisionReport, RetryConfig, Rusoto,
};
use dynamodb_sessions::store::StorageKey;
use dynamodb_sessions::users::UserSessions;
use rusoto_dynamodb::{AttributeValue, DynamoDb, PutItemInput};

use crate::dynamodb_local::{unique_table_name, DynamoDbLocal};
use crate::raw_table::{block_on, keep_expired_items, raw_client};
use dynamodb_sessions_conformance::{Corruption, Harness};

/// A DynamoDB client the tests run on, with its name in test output.
pub trait TestClient: Client {
    /// The client's name in test output: `rusoto` or `aws-sdk`.
    const NAME: &'static str;
}

impl TestClient for Rusoto {
    const NAME: &'static str = "rusoto";
}

impl TestClient for AwsSdk {
    const NAME: &'static str = "aws-sdk";
}

/// A builder for `table` at `endpoint`, region `us-east-1`, any
/// credentials: what every test's backend starts from.
pub fn builder_at<C: Client>(endpoint: &str, table: &str) -> DynamoDbBackendBuilderOn<C> {
    DynamoDbBackendOn::<C>::builder(table)
        .region("us-east-1")
        .endpoint(endpoint)
        .static_credentials("test", "test")
}

/// A DynamoDB backend type the tests run on: the same calls on each client.
pub trait DynamoDbClient: UserSessions + Clone + Debug + 'static {
    /// The client's name in test output: `rusoto` or `aws-sdk`.
    const NAME: &'static str;

    /// A backend for `table` at `endpoint` (region `us-east-1`, any
    /// credentials) with the retry policy `retry`.
    ///
    /// # Panics
    ///
    /// When the backend cannot be built.
    fn at(endpoint: &str, table: &str, retry: RetryConfig) -> Self;

    /// The backend's table.
    fn table(&self) -> &str;

    /// Creates the backend's table unless it exists.
    ///
    /// # Errors
    ///
    /// As the backend's `create_table_if_missing`.
    fn provision(&self) -> Result<ProvisionReport, ProvisionError>;
}

impl<C: TestClient> DynamoDbClient for DynamoDbBackendOn<C> {
    const NAME: &'static str = C::NAME;

    fn at(endpoint: &str, table: &str, retry: RetryConfig) -> Self {
        builder_at(endpoint, table)
            .retry(retry)
            .build()
            .expect("build the DynamoDB backend")
    }

    fn table(&self) -> &str {
        self.table_name()
    }

    fn provision(&self) -> Result<ProvisionReport, ProvisionError> {
        self.create_table_if_missing()
    }
}

/// The harness on [`DynamoDbBackend`] (rusoto).
pub type DynamoDbHarness = ClientHarness<DynamoDbBackend>;
/// The harness on [`AwsSdkBackend`] (the AWS SDK).
pub type AwsSdkHarness = ClientHarness<AwsSdkBackend>;

/// Runs the suite on the client `B` against the process-wide DynamoDB
/// Local, a new table per case.
#[derive(Debug)]
pub struct ClientHarness<B> {
    endpoint: String,
    client: PhantomData<fn() -> B>,
}

impl<B> Clone for ClientHarness<B> {
    fn clone(&self) -> Self {
        ClientHarness {
            endpoint: self.endpoint.clone(),
            client: PhantomData,
        }
    }
}

impl<B: DynamoDbClient> ClientHarness<B> {
    /// The harness on the shared DynamoDB Local, or `None` (after a loud
    /// warning) where it cannot run outside CI.
    ///
    /// # Panics
    ///
    /// As [`DynamoDbLocal::shared`]: in CI, a missing DynamoDB Local fails.
    pub fn shared() -> Option<Self> {
        DynamoDbLocal::shared().map(|local| ClientHarness {
            endpoint: local.endpoint().to_owned(),
            client: PhantomData,
        })
    }

    /// The shared DynamoDB Local's endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A backend on a new, empty, provisioned table that keeps expired
    /// items ([`keep_expired_items`]: cases look at tombstones whose `exp`
    /// has passed).
    ///
    /// # Panics
    ///
    /// When the backend cannot be built or the table cannot be created.
    pub fn backend_on_new_table(&self, prefix: &str) -> B {
        let table = unique_table_name(prefix);
        // Provisioned with patient attempts: a DynamoDB Local just started,
        // on a machine busy with other tests, can take seconds per request.
        let patient = RetryConfig::DEFAULT.attempt_timeout(Duration::from_secs(30));
        B::at(&self.endpoint, &table, patient)
            .provision()
            .expect("create the test table");
        keep_expired_items(&self.endpoint, &table);
        B::at(&self.endpoint, &table, RetryConfig::DEFAULT)
    }
}

impl<B: DynamoDbClient> Harness for ClientHarness<B> {
    type Backend = B;

    fn fresh_backend(&self) -> B {
        self.backend_on_new_table("conformance")
    }

    fn put_corrupt(&self, backend: &B, key: &StorageKey, corruption: Corruption) {
        let number = |n: &str| AttributeValue {
            n: Some(n.to_owned()),
            ..AttributeValue::default()
        };
        let mut item = HashMap::new();
        item.insert(
            "sid".to_owned(),
            AttributeValue {
                b: Some(key.as_bytes().to_vec().into()),
                ..AttributeValue::default()
            },
        );
        let now = dynamodb_sessions_conformance::fixture::now();
        item.insert("iss".to_owned(), number(&now.to_string()));
        item.insert("exp".to_owned(), number(&(now + 1200).to_string()));
        item.insert(
            "dat".to_owned(),
            AttributeValue {
                b: Some(vec![0xa0].into()),
                ..AttributeValue::default()
            },
        );
        let text = |s: &str| AttributeValue {
            s: Some(s.to_owned()),
            ..AttributeValue::default()
        };
        if corruption != Corruption::MissingVersion {
            item.insert("ver".to_owned(), number("1"));
        }
        match corruption {
            Corruption::MissingVersion => {}
            Corruption::WrongVersionType => {
                item.insert("ver".to_owned(), text("one"));
            }
            Corruption::MissingData => {
                item.remove("dat");
            }
            Corruption::WrongExpiryType => {
                item.insert("exp".to_owned(), text("tomorrow"));
            }
            other => panic!("no way to plant {other:?} yet"),
        }
        let input = PutItemInput {
            table_name: backend.table().to_owned(),
            item,
            ..PutItemInput::default()
        };
        block_on(raw_client(&self.endpoint).put_item(input)).expect("write the corrupt item");
    }
}

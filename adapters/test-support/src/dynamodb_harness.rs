//! The suite's harness for [`DynamoDbBackend`] on AWS DynamoDB Local.

use std::collections::HashMap;

use dynamodb_sessions::store::StorageKey;
use dynamodb_sessions::DynamoDbBackend;
use rusoto_dynamodb::{AttributeValue, DynamoDb, PutItemInput};

use crate::dynamodb_local::{unique_table_name, DynamoDbLocal};
use crate::raw_table::{block_on, raw_client};
use dynamodb_sessions_conformance::{Corruption, Harness};

/// Runs the suite on [`DynamoDbBackend`] against the process-wide DynamoDB
/// Local, a new table per case.
#[derive(Debug, Clone)]
pub struct DynamoDbHarness {
    endpoint: String,
}

impl DynamoDbHarness {
    /// The harness on the shared DynamoDB Local, or `None` (after a loud
    /// warning) where it cannot run outside CI.
    ///
    /// # Panics
    ///
    /// As [`DynamoDbLocal::shared`]: in CI, a missing DynamoDB Local fails.
    pub fn shared() -> Option<Self> {
        DynamoDbLocal::shared().map(|local| DynamoDbHarness {
            endpoint: local.endpoint().to_owned(),
        })
    }

    /// A backend on a new, empty, provisioned table.
    ///
    /// # Panics
    ///
    /// When the backend cannot be built or the table cannot be created.
    pub fn backend_on_new_table(&self, prefix: &str) -> DynamoDbBackend {
        let table = unique_table_name(prefix);
        let builder = || {
            DynamoDbBackend::builder(table.as_str())
                .region("us-east-1")
                .endpoint(self.endpoint.clone())
                .static_credentials("test", "test")
        };
        // Provisioned with patient attempts: a DynamoDB Local just started,
        // on a machine busy with other tests, can take seconds per request.
        builder()
            .attempt_timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("build the DynamoDB backend")
            .create_table_if_missing()
            .expect("create the test table");
        builder().build().expect("build the DynamoDB backend")
    }
}

impl Harness for DynamoDbHarness {
    type Backend = DynamoDbBackend;

    fn fresh_backend(&self) -> DynamoDbBackend {
        self.backend_on_new_table("conformance")
    }

    fn put_corrupt(&self, backend: &DynamoDbBackend, key: &StorageKey, corruption: Corruption) {
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
            table_name: backend.table_name().to_owned(),
            item,
            ..PutItemInput::default()
        };
        block_on(raw_client(&self.endpoint).put_item(input)).expect("write the corrupt item");
    }
}

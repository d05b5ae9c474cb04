//! DynamoDbBackend and AwsSdkBackend against a real AWS DynamoDB Local, from
//! the same cases (`tests/cases/dynamodb_backend.rs`), once per client.

#[macro_use]
mod support_clients;
mod support_faults;

on_each_client!("dynamodb_backend.rs");

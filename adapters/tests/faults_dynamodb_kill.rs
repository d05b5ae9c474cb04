//! SIGKILL and restart of DynamoDB Local mid-traffic, on each DynamoDB client
//! from the same cases (`tests/cases/faults_dynamodb_kill.rs`).

#[macro_use]
mod support_clients;

on_each_client!("faults_dynamodb_kill.rs");

//! Throttling, 5xx and dropped connections through the fault proxy, on each
//! DynamoDB client from the same cases (`tests/cases/faults_throttling.rs`).

#[macro_use]
mod support_clients;
#[path = "e2e/support/process.rs"]
mod process;
mod support_faults;

on_each_client!("faults_throttling.rs");

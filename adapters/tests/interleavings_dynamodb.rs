//! The randomized fault × interleaving test on each DynamoDB client, from the
//! same cases (`tests/cases/interleavings_dynamodb.rs`; commands there, with
//! `rusoto::` or `aws_sdk::` before a test name to pick a client).

#[macro_use]
mod support_clients;
mod support_faults;

on_each_client!("interleavings_dynamodb.rs");

//! The DynamoDB backend against AWS DynamoDB Local (started by the test
//! support crate), on each client in turn, in one test binary: every test
//! body is generic over the client ([`TestClient`]) and each `#[test]` runs
//! it on rusoto, then on the AWS SDK. Every test holds a share of the
//! process ([`machine`]): the few that need it to themselves (a DynamoDB
//! Local killed, the thread count sampled, the environment changed) run
//! alone.
//!
//! [`TestClient`]: dynamodb_sessions_test_support::TestClient
//! [`machine`]: dynamodb_sessions_test_support::machine

mod backend;
mod conformance;
mod environment;
mod faults_kill;
mod faults_throttling;
mod global;
mod home_regions;
mod interleavings;
mod replication;
mod sweep;
mod users;

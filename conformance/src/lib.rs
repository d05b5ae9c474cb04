//! placeholder

pub mod dynamodb_local;

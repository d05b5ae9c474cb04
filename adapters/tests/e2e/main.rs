//! End-to-end: the demo app (the examples' own code) on tiny_http and
//! rouille over real HTTP, on memory and on DynamoDB Local, in headless
//! Chromium, and under load.

mod browser;
mod dynamodb;
mod load;
mod memory;
mod support;

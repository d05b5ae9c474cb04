//! What an attacker or a leaked table or log learns: nothing usable. The
//! security review's claims, a leaked table, log records and error chains,
//! on memory and on DynamoDB Local.

mod at_rest;
mod errors_hide_values;
mod logs;
mod review;

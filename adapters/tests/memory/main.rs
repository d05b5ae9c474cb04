//! Tests on the in-memory backend: the conformance suite, the store's own
//! promises and bounds, the HTTP glue, fuzzing of cookies and records,
//! home regions, and the randomized fault × interleaving checker. Needs
//! nothing installed.

mod backend;
mod bounds;
mod cbor;
mod conformance;
mod fuzz_cookie;
mod fuzz_records;
mod fuzz_support;
mod glue;
mod id_collisions;
mod interleavings;
mod regions;
mod users;

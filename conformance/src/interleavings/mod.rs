//! A small model checker: randomized, seed-replayable interleavings of
//! concurrent requests and store faults, with the session manager's
//! promises checked after every step.
//!
//! A schedule simulates two or three browsers whose requests (tabs) overlap.
//! Each request runs on its own thread through a real [`SessionManager`]
//! over the store under test, and draws an action: leave the session alone,
//! read it, read it after the reissue time (a touch), write it (increment
//! `n`, set a fresh `tag`), log in (`regenerate_id`) or log out
//! (`invalidate`). Between the manager and the store sits a fault layer that
//! drops calls, applies them and loses the answer, holds them in flight, or
//! holds a write back to arrive at a later step; for DynamoDB, a
//! [`WireFaults`] hook adds faults in a proxy below the backend. A manual
//! clock moves in small steps and in jumps past the reissue time, the idle
//! timeout and the absolute lifetime. Responses reach their browser's
//! cookie jar in random order. With [`Options::cache`] a
//! [`ReadCache`](dynamodb_sessions_core::cache::ReadCache) sits between the
//! manager and the fault layer, timing its staleness bound on that clock.
//! With [`Options::users`] ([`Users::On`], through [`run_with_users`]) the
//! sessions belong to users: requests also log in as their browser's user,
//! end the user's other sessions or one by its handle, an admin ends all of
//! a user's sessions, and the calls about users get the same faults.
//!
//! Only one thread runs at a time (the [scheduler](self) hands a baton
//! around), and every choice (who runs next, which fault, which action,
//! how far the clock moves) comes from one seeded random source, so a seed
//! replays its schedule: exactly on an in-memory store, and as far as
//! timing allows on DynamoDB Local. After every step the checker reads every
//! key ever written, directly, and checks the promises listed in
//! [`Invariant`]. A broken one is a [`Violation`] with the seed and the
//! trace of every step.
//!
//! ```no_run
//! use std::sync::Arc;
//! use dynamodb_sessions::MemoryBackend;
//! use dynamodb_sessions_conformance::interleavings::{self, Options, Schedules};
//!
//! // INTERLEAVINGS_SEED / INTERLEAVINGS_SCHEDULES override the range.
//! let summary = Schedules::from_env(100).run("memory", |seed| {
//!     let store = Arc::new(MemoryBackend::new());
//!     interleavings::run(seed, &Options::default(), Arc::clone(&store), store)
//! });
//! println!("{summary}");
//! summary.assert_no_violations();
//! ```
//!
//! [`SessionManager`]: dynamodb_sessions_core::SessionManager

mod browser;
mod cached;
mod faulty;
mod invariants;
mod oracle;
#[cfg(test)]
mod planted;
mod regions;
mod replicas;
mod request;
mod rng;
mod runner;
mod scheduler;
mod shared;
mod store;
mod users;
mod world;

pub use faulty::{FaultRates, WireFaults};
pub use invariants::Invariant;
pub use regions::{Outages, Regions, ReplicaModel, Routing, Setup, TtlDeletes};
pub use rng::SimRng;
pub use runner::{Schedules, Stats, Summary, Violation, SCHEDULES_ENV, SEED_ENV, TRACE_ENV};
pub use users::Users;
pub use world::{
    run, run_regions, run_with_users, session_config, Options, ABSOLUTE, CACHE_SETTINGS, REISSUE,
    START, TIMEOUT,
};

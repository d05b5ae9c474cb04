//! Sessions on a DynamoDB global table served from several regions: each
//! session has a *home* region, named by its session ID, and
//! [`HomeRouted`] sends every store call for the session there.
//!
//! # The promise
//!
//! On a global table in multi-region eventual consistency (MREC, the
//! default), every region's replica takes writes, replication is
//! asynchronous, a condition is checked against that region's copy of the
//! item only, and two regions' writes to one item are settled by last
//! writer wins: one of them is silently dropped. A session whose requests
//! are served by two regions can therefore lose acknowledged writes, and a
//! logout in one region can be undone by a write in another.
//!
//! With [`HomeRouted`], only one region ever writes a given item: the
//! home of its key. That region's replica sees every write to the item, so
//! its conditions and strong reads are exactly those of a single region,
//! and last writer wins never meets two writers. Every promise of the
//! library holds as with one region, however users are routed between
//! regions; with TTL on the table, give sessions an
//! [expiry margin](crate::SessionConfigBuilder::expiry_margin) too (each
//! region's TTL deletes by its own replica's `exp`). The cost: a request
//! served away from its session's home sends each store call across
//! regions (their number is unchanged); with sticky routing, none.
//!
//! # Where the home is named
//!
//! A storage key falls in one of 16 slots by its first 4 bits
//! ([`KeySlots::slot_of`]); each region holds a set of slots
//! ([`KeySlots`]), and a key's home is the region holding its slot. A
//! process draws new session IDs only in its local region's slots
//! ([`SessionConfigBuilder::key_slots`](crate::SessionConfigBuilder::key_slots)
//! set to [`HomeRouted::local_slots`], drawing by
//! [`Token::generate_in`](crate::store::Token::generate_in)), so a session
//! is homed where it was created, and a login, which draws a new ID, moves
//! it to the region serving the login.
//!
//! The home is a function of the storage key rather than a hint carried
//! in a second cookie, because:
//!
//! - a backend sees only the [`StorageKey`](crate::store::StorageKey),
//!   never the cookie;
//! - a hint is in the client's hands: someone holding an old cookie could
//!   name a region whose replica has not yet seen the logout, and a write
//!   there, stamped after the logout's tombstone, would bring the session
//!   back in every region. A key's slot cannot be changed without changing
//!   the session ID;
//! - the cookie stays `<token>/<version>`, the format
//!   pyramid-dynamodb-sessions parses.
//!
//! # When a home region is down
//!
//! A home region that does not answer fails its calls like any outage
//! ([`Failover::Wait`], the default: 503 with `Retry-After`, nothing lost).
//! After [`HomeRouted::mark_down`], never guessed from one failed call,
//! [`Failover::Abandon`] gives its sessions up instead: loading one finds
//! no session, and the manager starts a fresh one homed in the local
//! region. [`HomeRouted::mark_up`] brings the old sessions back as they
//! were: nothing was written for them anywhere else.
//!
//! **What a user can lose** on failover with `Abandon`: the whole session
//! (they log in again), never part of it, and never is an ended session
//! brought back. What stays exposed: an abandoned session cannot be
//! ended while its home is down, so it stays live in its home until it
//! expires (at most the idle timeout after its last use, and the absolute
//! lifetime) or until a logout once the region is back; whoever holds a
//! copy of its cookie can use it then. A logout meanwhile answers 503 when
//! it ends the session by its cookie without reading it (like any write to
//! it), and clears only the browser's cookie when the handler read the
//! session first (it was no session then).
//!
//! # Changing the slot table
//!
//! Give a new region slots no region holds. Moving a slot that has live
//! sessions to another region needs every process to switch at once:
//! otherwise the slot has two homes during the rollout, and two regions
//! write its sessions again. End those sessions first, or wait out the
//! absolute lifetime after the last process stopped drawing in that slot.
//!
//! # Not covered
//!
//! [`HomeRouted`] does not offer
//! [`UserSessions`](crate::users::UserSessions): a user's generation has no
//! session ID and so no home yet, and listing or ending a user's sessions
//! would have to visit every region. A pyramid-dynamodb-sessions process
//! writes in its own region whatever the slot: sessions shared with Python
//! stay exact only with the plain per-region backend and each user routed
//! to one region.
//!
//! # Moving to home routing
//!
//! Sessions whose IDs fall in slots no region holds are out of reach: they
//! load as no session (their users log in again). Until every process has
//! moved, the old processes write every session in their own region while
//! the new ones write it in its home, which is two writers again: during
//! the rollout, route each user to one region.
//!
//! ```
//! use std::sync::Arc;
//! use dynamodb_sessions_core::regions::{Failover, HomeRouted, KeySlots};
//! use dynamodb_sessions_core::store::Backend;
//! use dynamodb_sessions_core::{SessionConfig, SessionManager};
//!
//! /// For a process in eu-west-1; `eu` and `us` reach each region's
//! /// replica of one global table. The backend is kept to mark regions
//! /// down and up.
//! fn manager<B: Backend + 'static>(
//!     eu: B,
//!     us: B,
//! ) -> Result<(SessionManager, Arc<HomeRouted<B>>), Box<dyn std::error::Error>> {
//!     let backend = Arc::new(
//!         HomeRouted::builder()
//!             .region("eu-west-1", KeySlots::range(0..8)?, eu)
//!             .region("us-east-1", KeySlots::range(8..16)?, us)
//!             .local("eu-west-1")
//!             .failover(Failover::Wait)
//!             .build()?,
//!     );
//!     let config = SessionConfig::builder()
//!         .key_slots(backend.local_slots())
//!         .build()?;
//!     Ok((SessionManager::new(Arc::clone(&backend), config), backend))
//! }
//! # let memory = dynamodb_sessions::MemoryBackend::new;
//! # let (_manager, backend) = manager(memory(), memory()).unwrap();
//! # backend.mark_down("us-east-1").unwrap();
//! ```

mod builder;
mod error;
mod failover;
mod home_routed;
mod key_slots;

pub use builder::HomeRoutedBuilder;
pub use error::RegionsError;
pub use failover::Failover;
pub use home_routed::HomeRouted;
pub use key_slots::KeySlots;

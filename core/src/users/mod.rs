//! Users' sessions: attach a user to a session at login, list a user's
//! sessions, and end them all ("log out everywhere") or all but the
//! current one, exactly.
//!
//! ```
//! use dynamodb_sessions::users::{UserSecret, UserSettings};
//! use dynamodb_sessions::{MemoryBackend, Scheme, SessionConfig, SessionManager};
//!
//! let secret = UserSecret::from_bytes(&[7; 32])?; // 32+ random bytes, from your secrets store
//! let manager = SessionManager::with_users(
//!     MemoryBackend::new(),
//!     SessionConfig::default(),
//!     UserSettings::new(secret),
//! );
//!
//! // Login (after checking the password): a new session ID, the user attached.
//! let mut session = manager.load(None);
//! session.set_user("alice")?;
//! session.set_label("Firefox on Linux")?;
//! let cookie = manager.commit(session, Scheme::Https)?.expect("a new session");
//! let cookie = cookie.split(';').next().unwrap().to_owned();
//!
//! // A later request sees who is logged in, and where else.
//! let mut session = manager.load(Some(&cookie));
//! assert_eq!(session.user()?.as_deref(), Some("alice"));
//! assert_eq!(session.user_sessions()?.len(), 1);
//!
//! // After a password change: every session of alice ends, in every process.
//! manager.end_all_sessions("alice")?;
//! let mut session = manager.load(Some(&cookie));
//! assert_eq!(session.user()?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is exact
//!
//! Once [`SessionManager::end_all_sessions`](crate::SessionManager::end_all_sessions)
//! returns `Ok`, no session of that user that existed before the call, nor
//! one whose login ([`Session::set_user`](crate::Session::set_user))
//! returned before it, loads as that user again, in any process: not
//! through a stale tab's write, a lost or retried answer, or an eventually
//! consistent read. A read cache does not decide for users' sessions: a
//! cached record of one is always checked by strong reads. The same holds for
//! [`Session::end_other_sessions`](crate::Session::end_other_sessions)
//! (except the current session) and for a session ended by its handle
//! ([`Session::end_session`](crate::Session::end_session)). When a call
//! cannot know whether it finished, it says so
//! ([`UsersError::OutcomeUnknown`]), and calling it again finishes it.
//!
//! How: each user has a generation number in the store, and each of their
//! sessions carries the generation read when they logged in. A session is
//! alive only while its generation is not below the user's. Ending all
//! sessions is one conditional increment, whatever their number; loading a
//! session with a user reads the generation and then the record, both
//! strongly. See [`UserSessions`] for the backend's side.
//!
//! The list of a user's sessions ([`Session::user_sessions`](crate::Session::user_sessions))
//! is read from the store's index and may lag by its replication delay
//! (DynamoDB's global secondary indexes: typically under a second): a login
//! may show up late and an ended session linger for that long. What the
//! list shows never decides what is alive.
//!
//! # Cost
//!
//! A session without a user costs what it always did: no extra call, no
//! extra capacity unit. A request on a session with a user makes two more
//! strong reads (the generation and the record); a login one strong read of
//! the generation; ending all sessions one read and one conditional write.
//!
//! # At rest
//!
//! The store holds, per session with a user, the user's pseudonym (`usr`,
//! HMAC-SHA256 of the id under a key from the [`UserSecret`]), the
//! generation at login (`uep`) and the user id and label sealed under the
//! secret (`uin`), and per user one generation item (`gen`). A leaked
//! table therefore shows which sessions belong to the same (unnamed) user,
//! how many each has and when they were used, and how often each user
//! ended all sessions; no user id, no label, no token and no session data.
//! With the secret as well, guessed ids can be confirmed and ids and labels
//! read, still no token and no data.
//!
//! The store is trusted with the numbers, as with `ver`: whoever can write
//! the table can raise a session's `uep` or lower a user's `gen` and so keep
//! a session alive through an end. Sealing protects what the table reveals,
//! not what a writer of it can do.

mod error;
mod manage;
mod secret;
mod settings;
mod stamp;
mod summary;
mod user_ref;
mod user_sessions;

pub use error::{UserSecretError, UsersError};
pub use secret::UserSecret;
pub use settings::UserSettings;
pub use stamp::UserStamp;
pub use summary::{ParseHandleError, SessionHandle, SessionSummary};
pub use user_ref::UserRef;
pub use user_sessions::{AdvanceOutcome, Keep, Listed, UserSessions};

pub(crate) use manage::{Attached, Users};

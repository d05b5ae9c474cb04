//! One simulated request: what its handler does with the session, run on
//! its own thread under the scheduler.

use dynamodb_sessions_core::Scheme;
use dynamodb_sessions_core::{
    testing::Clock, testing::ManualClock, BackendError, CommitError, Session, SessionError,
    SessionManager,
};

use super::browser::{parse_set_cookie, Parsed};
use super::rng::SimRng;
use super::shared::{Env, Event, Outcome, RequestId};
use super::store::Tag;

/// What a request's handler does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Never touches the session.
    Untouched,
    /// Reads `tag` and `n`.
    Read,
    /// Reads, after the clock jumped past `reissue_time` (a touch is due).
    ReadLate,
    /// Increments `n` and sets a fresh `tag`.
    Write,
    /// `regenerate_id`, a fresh `tag`, and `user`.
    Login,
    /// `invalidate`.
    Logout,
}

impl Action {
    pub(crate) fn draw(rng: &mut SimRng) -> Action {
        const ACTIONS: [(Action, u32); 6] = [
            (Action::Untouched, 5),
            (Action::Read, 20),
            (Action::ReadLate, 10),
            (Action::Write, 43),
            (Action::Login, 12),
            (Action::Logout, 10),
        ];
        let weights = ACTIONS.map(|(_, weight)| weight);
        ACTIONS[rng.weighted(&weights).unwrap_or(0)].0
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Untouched => "untouched",
            Action::Read => "read",
            Action::ReadLate => "read-late",
            Action::Write => "write",
            Action::Login => "login",
            Action::Logout => "logout",
        }
    }
}

/// A request as started by the main thread.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) id: RequestId,
    pub(crate) action: Action,
    /// The `Cookie` header, as the browser's jar had it at the start.
    pub(crate) cookie: Option<String>,
    /// The tag this request writes, if it writes: unique in the schedule.
    pub(crate) tag: Tag,
}

/// Runs the handler and the commit, logging what the checker needs.
pub(crate) fn serve(request: &Request, manager: &SessionManager, clock: &ManualClock, env: &Env) {
    let id = request.id;
    let now = || clock.now();
    let mut session = manager.load(request.cookie.as_deref());
    let mut parent = None;
    let mut n = 0;
    match request.action {
        Action::Untouched => {}
        Action::Logout => session.invalidate(),
        _ => match read(&mut session) {
            Ok((tag, count)) => {
                parent = tag;
                n = count.unwrap_or(0);
                let saw = tag.map_or("no session".to_owned(), |t| format!("t{t} n={n}"));
                env.trace(Some(id), format!("saw {saw}"));
                env.push(Event::Saw {
                    request: id,
                    tag,
                    n: count,
                    now: now(),
                });
            }
            Err(error) => {
                env.trace(Some(id), format!("load failed ({error}); answers 500"));
                env.push(Event::LoadFailed { request: id });
                return;
            }
        },
    }
    let writes = match request.action {
        Action::Write => {
            n += 1;
            true
        }
        Action::Login => {
            session
                .regenerate_id()
                .expect("regenerate_id of a loaded session");
            session.insert("user", "someone").expect("insert user");
            true
        }
        _ => false,
    };
    if writes {
        session.insert("n", &n).expect("insert n");
        session.insert("tag", &request.tag).expect("insert tag");
    }
    env.scheduler.yield_now(|| "before commit".to_owned(), 0);
    if writes {
        // The commit reads the clock first thing, in this same turn: a new
        // lineage's creation time is this instant.
        env.push(Event::Intent {
            request: id,
            tag: request.tag,
            parent,
            n,
            now: now(),
        });
    }
    let result = manager.commit(session, Scheme::Https);
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(CommitError::Conflict) => Outcome::Conflict,
        Err(CommitError::Expired) => Outcome::Expired,
        Err(CommitError::Backend(error)) => Outcome::Backend(error_name(error)),
        Err(other) => Outcome::Other(other.to_string()),
    };
    let set_cookie = result.ok().flatten();
    let shown = match set_cookie
        .as_deref()
        .map(|h| parse_set_cookie(h, manager.config().cookie_name()))
    {
        None => "no Set-Cookie".to_owned(),
        Some(Ok(Parsed::Clear)) => "Set-Cookie clears".to_owned(),
        Some(Ok(Parsed::Value { value, key })) => format!(
            "Set-Cookie K{}/{}",
            env.key_id(&key),
            value.rsplit('/').next().unwrap_or("?")
        ),
        Some(Err(why)) => why,
    };
    env.trace(Some(id), format!("commit -> {outcome:?}, {shown}"));
    env.push(Event::Committed {
        request: id,
        outcome,
        set_cookie,
    });
}

/// A store error's kind, without its details (which hold no secrets, but
/// vary with timing on DynamoDB).
fn error_name(error: &BackendError) -> String {
    match error {
        BackendError::Timeout { operation, .. } => format!("{operation} timeout"),
        BackendError::Throttled { operation, .. } => format!("{operation} throttled"),
        BackendError::Unavailable { operation, .. } => format!("{operation} unavailable"),
        BackendError::OutcomeUnknown { operation } => format!("{operation} outcome unknown"),
        other => other.to_string(),
    }
}

/// The session's tag and counter; the first access loads the session.
fn read(session: &mut Session) -> Result<(Option<Tag>, Option<u64>), SessionError> {
    let tag = session.get::<Tag>("tag")?;
    Ok((tag, session.get::<u64>("n")?))
}

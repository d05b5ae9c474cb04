//! One simulated request: what its handler does with the session, run on
//! its own thread under the scheduler.

use dynamodb_sessions_core::Scheme;
use dynamodb_sessions_core::{
    testing::Clock, testing::ManualClock, users::UsersError, BackendError, CommitError, Session,
    SessionError, SessionManager,
};

use super::browser::{parse_set_cookie, Parsed};
use super::rng::SimRng;
use super::shared::{Env, Event, Outcome, RequestId};
use super::store::Tag;
use super::users::{user_index, EndKind, UserIndex, Users, USER_IDS};

/// How often an admin's `end_all_sessions` is retried after
/// `OutcomeUnknown` (each attempt is a call of its own).
const END_ALL_ATTEMPTS: u32 = 3;

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
    /// `set_user` as the browser's user (a new ID, the user attached), a
    /// fresh `tag`.
    LoginAs,
    /// `end_other_sessions`.
    EndOthers,
    /// `user_sessions`, then `end_session` of another session's handle.
    EndByHandle,
    /// An admin's `end_all_sessions` of a user, without a cookie.
    EndAll,
}

impl Action {
    /// A browser's request's action. With users, some log in as the
    /// browser's user or end its sessions; without, the draw is what it
    /// always was (same seeds, same schedules).
    pub(crate) fn draw(rng: &mut SimRng, users: Users) -> Action {
        const ACTIONS: [(Action, u32); 6] = [
            (Action::Untouched, 5),
            (Action::Read, 20),
            (Action::ReadLate, 10),
            (Action::Write, 43),
            (Action::Login, 12),
            (Action::Logout, 10),
        ];
        const WITH_USERS: [(Action, u32); 9] = [
            (Action::Untouched, 3),
            (Action::Read, 24),
            (Action::ReadLate, 8),
            (Action::Write, 28),
            (Action::Login, 5),
            (Action::Logout, 4),
            (Action::LoginAs, 18),
            (Action::EndOthers, 5),
            (Action::EndByHandle, 5),
        ];
        let table: &[(Action, u32)] = match users {
            Users::Off => &ACTIONS,
            Users::On => &WITH_USERS,
        };
        let weights: Vec<u32> = table.iter().map(|(_, weight)| *weight).collect();
        table[rng.weighted(&weights).unwrap_or(0)].0
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Untouched => "untouched",
            Action::Read => "read",
            Action::ReadLate => "read-late",
            Action::Write => "write",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::LoginAs => "login-as",
            Action::EndOthers => "end-others",
            Action::EndByHandle => "end-by-handle",
            Action::EndAll => "end-all",
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
    /// With users: the browser's user (for an admin's request, the user
    /// whose sessions it ends).
    pub(crate) user: Option<UserIndex>,
}

/// Runs the handler and the commit, logging what the checker needs.
pub(crate) fn serve(request: &Request, manager: &SessionManager, clock: &ManualClock, env: &Env) {
    let id = request.id;
    let now = || clock.now();
    if let (Action::EndAll, Some(user)) = (request.action, request.user) {
        end_all(id, user, manager, env);
        return;
    }
    let mut session = manager.load(request.cookie.as_deref());
    let mut parent = None;
    let mut n = 0;
    match request.action {
        Action::Untouched => {}
        Action::Logout => session.invalidate(),
        _ => match loading(request, &mut session, env) {
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
        Action::LoginAs => log_in_as(request, &mut session, env),
        Action::EndOthers => {
            env.push(Event::EndStarted { request: id });
            let result = session.end_other_sessions();
            ended(id, EndKind::Others, result, env);
            false
        }
        Action::EndByHandle => {
            end_by_handle(id, &mut session, env);
            false
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

/// Reads the session (see [`read`]); with users, tells the checker when
/// the load started and whom `Session::user()` names after it.
fn loading(
    request: &Request,
    session: &mut Session,
    env: &Env,
) -> Result<(Option<Tag>, Option<u64>), SessionError> {
    if request.user.is_none() {
        return read(session);
    }
    env.push(Event::Loading {
        request: request.id,
    });
    let found = read(session)?;
    let user = session.user()?;
    env.trace(
        Some(request.id),
        format!("user() -> {}", user.as_deref().unwrap_or("none")),
    );
    env.push(Event::UserSeen {
        request: request.id,
        user: user.as_deref().and_then(user_index),
    });
    Ok(found)
}

/// `set_user` as the browser's user; whether the request now writes.
fn log_in_as(request: &Request, session: &mut Session, env: &Env) -> bool {
    let Some(user) = request.user else {
        return false;
    };
    match session.set_user(USER_IDS[user]) {
        Ok(()) => {
            env.trace(
                Some(request.id),
                format!("set_user({}) returned", USER_IDS[user]),
            );
            env.push(Event::LoggedInAs {
                request: request.id,
                user,
            });
            true
        }
        Err(error) => {
            env.trace(
                Some(request.id),
                format!("set_user({}) failed ({error})", USER_IDS[user]),
            );
            false
        }
    }
}

/// Lists the user's sessions and ends another one by its handle, if
/// there is another.
fn end_by_handle(id: RequestId, session: &mut Session, env: &Env) {
    let listed = match session.user_sessions() {
        Ok(listed) => listed,
        Err(error) => {
            env.trace(Some(id), format!("user_sessions failed ({error})"));
            return;
        }
    };
    let others: Vec<_> = listed.iter().filter(|summary| !summary.current).collect();
    if others.is_empty() {
        env.trace(Some(id), "no other session to end".to_owned());
        return;
    }
    let pick = env.roll(|rng| rng.below(others.len() as u64) as usize);
    env.push(Event::EndStarted { request: id });
    let result = session.end_session(&others[pick].handle);
    ended(id, EndKind::One, result, env);
}

/// An admin ends all sessions of `user`, calling again after
/// `OutcomeUnknown`: each call's `Ok` is a promise of its own.
fn end_all(id: RequestId, user: UserIndex, manager: &SessionManager, env: &Env) {
    for _ in 0..END_ALL_ATTEMPTS {
        env.push(Event::EndStarted { request: id });
        let result = manager.end_all_sessions(USER_IDS[user]);
        let unknown = matches!(result, Err(UsersError::OutcomeUnknown));
        ended(id, EndKind::All(user), result, env);
        if !unknown {
            return;
        }
    }
}

/// Tells the checker how a call ending users' sessions returned.
fn ended(id: RequestId, kind: EndKind, result: Result<(), UsersError>, env: &Env) {
    let shown = match &result {
        Ok(()) => "Ok".to_owned(),
        Err(error) => format!("error ({error})"),
    };
    env.trace(Some(id), format!("{kind:?} returned {shown}"));
    env.push(Event::EndReturned {
        request: id,
        kind,
        result: result.map_err(|error| error.to_string()),
    });
}

/// The session's tag and counter; the first access loads the session.
fn read(session: &mut Session) -> Result<(Option<Tag>, Option<u64>), SessionError> {
    let tag = session.get::<Tag>("tag")?;
    Ok((tag, session.get::<u64>("n")?))
}

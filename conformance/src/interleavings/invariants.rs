//! The promises checked after every step, as pure functions of what the
//! application knows ([`Oracle`]), what the store holds ([`StoreView`]) and
//! the time, so that each can be fed a hand-made history in a unit test.

use std::fmt;
use std::time::Duration;

use super::oracle::{Ended, LogoutAck, Oracle};
use super::shared::{CallRecord, Done, RequestId, WriteSpec};
use super::store::{KeyId, RecordView, StoreView, Stored, Tag};
use super::users::{UserIndex, USER_IDS};
use dynamodb_sessions_core::store::{CreateOutcome, EndOutcome, ReplaceOutcome, TouchOutcome};
use dynamodb_sessions_core::users::AdvanceOutcome;

/// The promises a schedule is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Invariant {
    /// a. No acknowledged write is lost: after `Ok`, the write's tag stays in
    /// the ancestry of a live record (in place, or moved by a login) until a
    /// logout ends it or it expires. And a store answer is exact: no
    /// `Created`/`Replaced`/`Touched`/ended for a write that did not happen,
    /// no `Conflict`/`AlreadyExists` for one that did.
    AcknowledgedWrites,
    /// b. A logged-out session's data never reappears: after a logout is
    /// acknowledged, no browser's cookie reaches a live record carrying the
    /// data the logout ended.
    LoggedOutStaysOut,
    /// c. Nothing outlives its idle or absolute limit: data is loaded only
    /// from a record with `exp` ≥ now whose lineage is younger than the
    /// absolute lifetime; `crt` is the lineage's creation time and never
    /// moves; `exp` never exceeds `crt` + the absolute lifetime.
    Lifetimes,
    /// d. A login never loses data: whatever its outcome, the data it
    /// loaded is afterwards in the old record or the new one (or was logged
    /// out or expired by others).
    LoginKeepsData,
    /// e. Every store call returns within its bound.
    CallBound,
    /// f. A (non-logout) response never points the browser's cookie at a
    /// dead record (missing, ended, expired) that this request did not just
    /// write, nor clears it, while a key earlier delivered to the browser
    /// is live.
    CookiesPointAtLive,
    /// g. With the read cache on: a record it hands out, from memory or
    /// from another load's store call, was the key's state in the store
    /// less than the staleness bound before the load started (it is the
    /// state now, or stopped being it within the bound); and (with b) it
    /// never hands out data that a logout made through this process ended.
    CacheStaleness,
    /// h. With users: once a call ending a user's sessions returns `Ok`, a
    /// load that starts afterwards never names that user
    /// (`Session::user()`) from a lineage the call ended: for
    /// `end_all_sessions`, every login whose `set_user` returned before
    /// the call started; for `end_other_sessions` the same, except the
    /// lineage that asked; for `end_session` and a cap's eviction, the
    /// lineage of the session ended. A lineage is a login's write and
    /// every write based on it. And a load names only the user its
    /// lineage logged in as.
    UsersEndedStayEnded,
    /// Not a promise of the library: a request thread panicked, the
    /// checker could not read the store, or the schedule did not finish.
    Harness,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invariant::AcknowledgedWrites => "a (no acknowledged write lost, exact outcomes)",
            Invariant::LoggedOutStaysOut => "b (logged-out data never reappears)",
            Invariant::Lifetimes => "c (nothing outlives its idle or absolute limit)",
            Invariant::LoginKeepsData => "d (a login never loses data)",
            Invariant::CallBound => "e (every call returns within its bound)",
            Invariant::CookiesPointAtLive => "f (cookies never point at a dead record)",
            Invariant::CacheStaleness => "g (a cached record is never older than the bound)",
            Invariant::UsersEndedStayEnded => "h (ended users' sessions stay ended)",
            Invariant::Harness => "harness (panic, unreadable store or unfinished schedule)",
        })
    }
}

/// The world at one instant, as the checks see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scene<'a> {
    pub(crate) oracle: &'a Oracle,
    pub(crate) store: &'a StoreView,
    pub(crate) now: i64,
    /// The absolute lifetime, in seconds.
    pub(crate) absolute: i64,
    /// The clock's start, to print small times.
    pub(crate) start: i64,
}

/// Where a tag's data is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// In the ancestry of the live record under this key.
    Kept(KeyId),
    /// Only in records past their idle or absolute limit.
    Expired,
    /// Ended by a logout, or a user's session ended by its handle or the
    /// cap.
    LoggedOut,
    /// Only in records whose user's sessions were all ended since.
    EndedWithUser,
    /// Nowhere, for no good reason.
    Lost,
}

impl Scene<'_> {
    pub(crate) fn fate(&self, tag: Tag) -> Fate {
        let mut expired = false;
        let mut ended_with_user = false;
        for (key, stored) in &self.store.keys {
            let Stored::Record(record) = stored else {
                continue;
            };
            if !record.tag.is_some_and(|t| self.oracle.descends(t, tag)) {
                continue;
            }
            if !record.alive(self.now, self.absolute) {
                expired = true;
            } else if self.store.ended_by_user(record) {
                ended_with_user = true;
            } else {
                return Fate::Kept(*key);
            }
        }
        let deleted_expired = self.store.deleted_expired.values();
        expired |= deleted_expired
            .filter_map(|stored| match stored {
                Stored::Record(record) => record.tag,
                _ => None,
            })
            .any(|t| self.oracle.descends(t, tag));
        if expired {
            Fate::Expired
        } else if ended_with_user {
            Fate::EndedWithUser
        } else if self.oracle.logged_out(tag) {
            Fate::LoggedOut
        } else {
            Fate::Lost
        }
    }

    fn describe(&self, key: KeyId) -> String {
        self.store.get(key).describe(self.start)
    }

    fn live(&self, key: KeyId) -> Option<&RecordView> {
        self.store.live(key, self.now, self.absolute)
    }
}

/// a: every acknowledged write is still there, superseded by a write based
/// on it, logged out, or expired.
pub(crate) fn acknowledged_writes(scene: &Scene<'_>) -> Result<(), String> {
    for ack in &scene.oracle.acks {
        if scene.fate(ack.tag) == Fate::Lost {
            return Err(format!(
                "r{} was told its write t{} to K{} succeeded, but no record holds t{} or a \
                 write based on it (K{} is {}), and no logout or expiry explains it",
                ack.request,
                ack.tag,
                ack.key,
                ack.tag,
                ack.key,
                scene.describe(ack.key)
            ));
        }
    }
    Ok(())
}

/// a: a store's `Ok(outcome)` is exactly what happened, judged by the key's
/// state right after the call (nothing else ran in between).
pub(crate) fn exact_outcome(call: &CallRecord, scene: &Scene<'_>) -> Result<(), String> {
    let (Ok(done), Some(write), Some(key)) = (&call.answer, call.write, call.key) else {
        return Ok(());
    };
    let done = *done;
    // Across regions, a region's TTL may have deleted an expired record or
    // tombstone that the region this call went to still holds, and the
    // delete may win or lose against this call's write: judged by the
    // settled view before and after, the outcome can look inexact.
    let deleted = scene.store.deleted_expired.contains_key(&key);
    if deleted && matches!(call.before, Some(Stored::Missing | Stored::Ended(_))) {
        return Ok(());
    }
    let found = scene.store.get(key);
    let record = match found {
        Stored::Record(record) => Some(record),
        _ => None,
    };
    let holds = |tag: Option<Tag>| tag.is_some() && record.is_some_and(|r| r.tag == tag);
    let at = |version: u64| record.is_some_and(|r| r.version == version);
    let before = call.before.as_ref().unwrap_or(&Stored::Missing);
    let exact = match (write, done) {
        (WriteSpec::Create { tag }, Done::Created(CreateOutcome::Created)) => holds(tag) && at(1),
        (WriteSpec::Create { tag }, Done::Created(CreateOutcome::AlreadyExists)) => !holds(tag),
        (
            WriteSpec::Replace {
                tombstone: true,
                successor,
                ..
            },
            Done::Replaced(ReplaceOutcome::Replaced),
        ) => *found == Stored::Ended(successor),
        (
            WriteSpec::Replace {
                expected,
                tag,
                tombstone: false,
                ..
            },
            Done::Replaced(ReplaceOutcome::Replaced),
        ) => holds(tag) && at(expected + 1),
        (
            WriteSpec::Replace {
                expected,
                tag,
                tombstone,
                ..
            },
            Done::Replaced(ReplaceOutcome::Conflict),
        ) => {
            // A tombstone found may be this very one, applied by an earlier
            // copy of the call (a login retries it after a lost answer).
            !at(expected) && (tombstone || !holds(tag))
        }
        (
            WriteSpec::Touch {
                expected,
                expires_at,
                ..
            },
            Done::Touched(TouchOutcome::Touched),
        ) => at(expected) && record.is_some_and(|r| r.expires_at == expires_at),
        // Another version, or touched as late already: a touch only moves
        // `iss` forward.
        (
            WriteSpec::Touch {
                expected,
                issued_at,
                ..
            },
            Done::Touched(TouchOutcome::Conflict),
        ) => !at(expected) || record.is_some_and(|r| r.issued_at >= issued_at),
        // Ended: there was a record (live or expired), now our tombstone.
        (WriteSpec::End, Done::Ended(EndOutcome::Ended)) => {
            matches!(before, Stored::Record(_)) && *found == Stored::Ended(None)
        }
        // Already ended: the tombstone found, unchanged, named as found.
        (WriteSpec::End, Done::Ended(EndOutcome::AlreadyEnded { successor })) => {
            *before == Stored::Ended(successor) && found == before
        }
        (WriteSpec::End, Done::Ended(EndOutcome::Missing)) => {
            *before == Stored::Missing && *found == Stored::Missing
        }
        // The kept record written with the new generation, or left alone
        // because its version had moved.
        (
            WriteSpec::Advance {
                kept: Some((expected, tag)),
            },
            Done::Advanced(AdvanceOutcome::Advanced),
        ) => holds(tag) && at(expected + 1),
        (
            WriteSpec::Advance {
                kept: Some((expected, _)),
            },
            Done::Advanced(AdvanceOutcome::KeptChanged),
        ) => !at(expected),
        _ => true,
    };
    if exact {
        Ok(())
    } else {
        Err(format!(
            "r{}'s {} on K{} was answered {done:?}{}, but right {}it K{} is {}",
            call.request,
            write.name(),
            key,
            if call.told { "" } else { " (answer lost)" },
            match call.before.as_ref() {
                Some(before) => format!(
                    "before it K{} was {} and after ",
                    key,
                    before.describe(scene.start)
                ),
                None => "after ".to_owned(),
            },
            key,
            found.describe(scene.start)
        ))
    }
}

/// b: no browser's cookie reaches a live record carrying data that an
/// acknowledged logout ended.
pub(crate) fn logged_out_stays_out(
    scene: &Scene<'_>,
    cookies: &[(usize, KeyId)],
) -> Result<(), String> {
    for logout in &scene.oracle.logout_acks {
        for (browser, key) in cookies {
            let Some(tag) = scene.live(*key).and_then(|r| r.tag) else {
                continue;
            };
            if scene.oracle.descends(tag, logout.ended) {
                return Err(format!(
                    "r{} logged out K{} (ending t{}) and was told so, but browser b{}'s \
                     cookie reaches K{}, live with t{} which carries t{}'s data",
                    logout.request, logout.key, logout.ended, browser, key, tag, logout.ended
                ));
            }
        }
    }
    Ok(())
}

/// b: a logout told it succeeded has ended its key: nothing live (or
/// expired, which an `end` would have ended too) is left under it. A
/// tombstone is never replaced, so this holds from the moment the `end`
/// was applied.
pub(crate) fn logout_applied(
    scene: &Scene<'_>,
    request: RequestId,
    key: KeyId,
) -> Result<(), String> {
    match scene.store.get(key) {
        Stored::Ended(_) | Stored::Missing => Ok(()),
        other => Err(format!(
            "r{request} was told its logout of K{key} succeeded, but K{key} is {}",
            other.describe(scene.start)
        )),
    }
}

/// What a handler read from its session, and the record it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) request: RequestId,
    pub(crate) tag: Tag,
    pub(crate) n: Option<u64>,
    /// The clock when the handler had its data.
    pub(crate) now: i64,
    /// The last record with that tag a load handed this request.
    pub(crate) record: Option<RecordView>,
    /// The step at which that load returned.
    pub(crate) loaded_step: u64,
    /// The step at which the request last began loading its session (after
    /// `loaded_step` when a later load of the request, a rerun, has begun).
    pub(crate) load_started: u64,
    /// Whether that load was strongly consistent.
    pub(crate) strong: bool,
    /// Whether the read cache answered that load.
    pub(crate) cached: bool,
    /// The process that served the request.
    pub(crate) process: usize,
}

/// b: a load that returns after a logout was acknowledged never hands out
/// the data that logout ended (nor an older or newer version of it). With
/// `lagging_reads`, an eventually consistent load from the store may (a
/// replica that has not seen the logout yet); a strong one never. A read
/// cache may for a logout made through another process (within its bound,
/// which g checks), never for one made through its own. A load the cache
/// answered from another load's call is judged from when it started: that
/// call read the store while it waited, a state it may return (so a load
/// overlapping a logout may return the session from before it).
pub(crate) fn no_load_after_logout(
    scene: &Scene<'_>,
    seen: &Seen,
    lagging_reads: bool,
) -> Result<(), String> {
    let may_lag = |logout: &LogoutAck| match seen.cached {
        true => logout.process != seen.process,
        false => lagging_reads && !seen.strong,
    };
    for logout in scene.oracle.logout_acks.iter().filter(|l| !may_lag(l)) {
        let related = scene.oracle.descends(seen.tag, logout.ended)
            || scene.oracle.descends(logout.ended, seen.tag);
        // A start after the return is a later load of the same request
        // (a rerun): the one that returned is judged by its return.
        let judged_at = match seen.cached {
            true => seen.load_started.min(seen.loaded_step),
            false => seen.loaded_step,
        };
        if related && logout.step < judged_at {
            return Err(format!(
                "r{} loaded t{} at step {}, after r{}'s logout (ending t{} under K{}) was \
                 acknowledged at step {}",
                seen.request,
                seen.tag,
                seen.loaded_step,
                logout.request,
                logout.ended,
                logout.key,
                logout.step
            ));
        }
    }
    Ok(())
}

/// A load the read cache answered, from memory or from another load's
/// store call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachedLoad {
    pub(crate) request: RequestId,
    pub(crate) key: KeyId,
    pub(crate) record: RecordView,
    /// The clock when the load started (a load that waited for another's
    /// call returns later).
    pub(crate) started: i64,
}

/// g: a record the cache handed out to a load started at `load.started`
/// is `load.key`'s state in the store now, or one that stopped being its
/// state less than `bound` seconds before the load started (`past` lists
/// each replaced state with the time it was replaced). A change made
/// before a load started is seen by it at most `bound` late, however long
/// the load then waits for a call that was already under way.
pub(crate) fn cached_load_within_bound(
    scene: &Scene<'_>,
    past: &[(RecordView, i64)],
    load: &CachedLoad,
    bound: i64,
) -> Result<(), String> {
    if *scene.store.get(load.key) == Stored::Record(load.record) {
        return Ok(());
    }
    let replaced = past
        .iter()
        .filter(|(view, _)| *view == load.record)
        .map(|(_, until)| *until)
        .max();
    match replaced {
        Some(until) if until.saturating_add(bound) > load.started => Ok(()),
        _ => Err(format!(
            "r{} got K{} {} from the cache for a load started at {}, but the store {} (bound \
             {bound} s); K{} is {}",
            load.request,
            load.key,
            Stored::Record(load.record).describe(scene.start),
            load.started - scene.start,
            match replaced {
                Some(until) => format!("replaced it at {}", until - scene.start),
                None => "never held it".to_owned(),
            },
            load.key,
            scene.describe(load.key)
        )),
    }
}

/// c: data is loaded only from a record alive at that moment, in a lineage
/// younger than the absolute lifetime, with the lineage's `crt`; and it is
/// the data that write stored.
pub(crate) fn load_within_limits(scene: &Scene<'_>, seen: &Seen) -> Result<(), String> {
    let (request, tag, now) = (seen.request, seen.tag, seen.now);
    let Some(record) = seen.record else {
        return Err(format!(
            "r{request} read t{tag}, but no load handed it a record with t{tag}"
        ));
    };
    let Some(written) = scene.oracle.writes.get(&tag) else {
        return Err(format!("r{request} read t{tag}, which nobody wrote"));
    };
    let start = scene.start;
    if record.expires_at < now {
        return Err(format!(
            "r{request} got t{tag}'s data from a record idle past its exp {} at {}",
            record.expires_at - start,
            now - start
        ));
    }
    if written.root_created.saturating_add(scene.absolute) < now {
        return Err(format!(
            "r{request} got t{tag}'s data at {}, but its lineage was created at {}: past the \
             absolute lifetime of {} s",
            now - start,
            written.root_created - start,
            scene.absolute
        ));
    }
    if record.created_at != Some(written.root_created) {
        return Err(format!(
            "r{request} loaded t{tag} with crt {:?}, but its lineage was created at {}",
            record.created_at.map(|c| c - start),
            written.root_created - start
        ));
    }
    if seen.n.unwrap_or(0) != written.n {
        return Err(format!(
            "r{request} read n={} under t{tag}, which wrote n={}",
            seen.n.unwrap_or(0),
            written.n
        ));
    }
    Ok(())
}

/// c: every stored record carries a known write's data, the lineage's
/// `crt`, and an `exp` within the absolute lifetime.
pub(crate) fn stored_lifetimes(scene: &Scene<'_>) -> Result<(), String> {
    for (key, stored) in &scene.store.keys {
        let record = match stored {
            Stored::Record(record) => record,
            Stored::Undecodable(why) => {
                return Err(format!("K{key} holds a record that does not decode: {why}"))
            }
            _ => continue,
        };
        let Some((tag, written)) = record
            .tag
            .and_then(|tag| scene.oracle.writes.get(&tag).map(|w| (tag, w)))
        else {
            return Err(format!(
                "K{key} holds {}, which no request wrote",
                scene.describe(*key)
            ));
        };
        if record.created_at != Some(written.root_created) {
            return Err(format!(
                "K{key} holds t{tag} with crt {:?}, but its lineage was created at {}",
                record.created_at.map(|c| c - scene.start),
                written.root_created - scene.start
            ));
        }
        if record.expires_at > written.root_created.saturating_add(scene.absolute) {
            return Err(format!(
                "K{key} holds t{tag} with exp {}, past its lineage's creation {} plus the \
                 absolute lifetime",
                record.expires_at - scene.start,
                written.root_created - scene.start
            ));
        }
        if record.n.unwrap_or(0) != written.n {
            return Err(format!(
                "K{key} holds t{tag} with n={}, but t{tag} wrote n={}",
                record.n.unwrap_or(0),
                written.n
            ));
        }
    }
    Ok(())
}

/// d: after a login returns, whatever it returned, the data it loaded
/// (`parent`) is still somewhere live, or was logged out or expired.
pub(crate) fn login_keeps_data(
    scene: &Scene<'_>,
    request: RequestId,
    parent: Tag,
) -> Result<(), String> {
    match scene.fate(parent) {
        Fate::Lost => Err(format!(
            "r{request} logged in from t{parent}; now no record holds t{parent} or a write \
             based on it, and no logout or expiry explains it"
        )),
        _ => Ok(()),
    }
}

/// e: the call returned within `bound`.
pub(crate) fn call_bound(call: &CallRecord, bound: Duration) -> Result<(), String> {
    if call.elapsed > bound {
        Err(format!(
            "r{}'s call on {} took {:?}, over the bound of {bound:?}",
            call.request,
            call.key
                .map_or("a user".to_owned(), |key| format!("K{key}")),
            call.elapsed
        ))
    } else {
        Ok(())
    }
}

/// A load of a session that `Session::user()` said has a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserLoad {
    pub(crate) request: RequestId,
    pub(crate) user: UserIndex,
    /// The tag of the data it loaded, if any.
    pub(crate) tag: Option<Tag>,
    /// The key its cookie named.
    pub(crate) key: Option<KeyId>,
    /// The step at which the load started.
    pub(crate) started: u64,
}

/// h: see [`Invariant::UsersEndedStayEnded`].
pub(crate) fn users_ended_stay_ended(oracle: &Oracle, load: &UserLoad) -> Result<(), String> {
    let (request, user) = (load.request, load.user);
    let name = USER_IDS[user];
    let Some(tag) = load.tag else {
        return Err(format!(
            "r{request} loaded a session of {name} without data, but a login writes its tag"
        ));
    };
    let Some((lineage, login)) = oracle
        .lineage(tag)
        .and_then(|root| oracle.logins.get(&root).map(|login| (root, login)))
    else {
        return Err(format!(
            "r{request} loaded t{tag} as {name}, but no login as a user wrote t{tag} or an \
             ancestor of it"
        ));
    };
    if login.user != user {
        return Err(format!(
            "r{request} loaded t{tag} as {name}, but its lineage t{lineage} logged in as {}",
            USER_IDS[login.user]
        ));
    }
    let acked_before = oracle
        .user_acks
        .iter()
        .filter(|ack| ack.user == user && ack.acked < load.started);
    for ack in acked_before {
        let logged_in_before = login.returned < ack.started;
        let (ended, what) = match ack.ended {
            Ended::All => (logged_in_before, "all sessions".to_owned()),
            Ended::Others { kept } => (
                logged_in_before && lineage != kept,
                format!("the other sessions (keeping lineage t{kept})"),
            ),
            Ended::One { key } => (load.key == Some(key), format!("K{key} by its handle")),
            Ended::Evicted { key } => (load.key == Some(key), format!("K{key} past the cap")),
        };
        if ended {
            return Err(format!(
                "r{request}'s load of {} started at step {} found t{tag} as {name} (lineage t{lineage}, \
                 set_user returned at step {}), but r{} ended {what} of {name}: started at step \
                 {}, acknowledged at step {}",
                load.key.map_or("no key".to_owned(), |key| format!("K{key}")),
                load.started,
                login.returned,
                ack.request,
                ack.started,
                ack.acked
            ));
        }
    }
    Ok(())
}

/// What a response's `Set-Cookie` did to the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetCookie {
    None,
    Clear,
    Value(KeyId),
}

/// A response being delivered to its browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub(crate) request: RequestId,
    pub(crate) browser: usize,
    pub(crate) logout: bool,
    pub(crate) set: SetCookie,
    /// Whether this request's own write or touch of the cookie's key was
    /// answered as done (then the record was live when the response was
    /// made, and only a later event can have ended it).
    pub(crate) own_write: bool,
    /// Keys delivered to this browser before, its current cookie included.
    pub(crate) delivered_before: Vec<KeyId>,
}

/// f: see [`Invariant::CookiesPointAtLive`]. `Ok(true)` for a cookie that
/// points at a record this request wrote and that died since (a response
/// overtaken by events: counted, not a violation).
pub(crate) fn delivery(scene: &Scene<'_>, delivery: &Delivery) -> Result<bool, String> {
    if delivery.logout {
        return Ok(false);
    }
    let live_other = |except: Option<KeyId>| {
        delivery
            .delivered_before
            .iter()
            .copied()
            .find(|key| Some(*key) != except && scene.live(*key).is_some())
    };
    match delivery.set {
        SetCookie::None => Ok(false),
        SetCookie::Clear => match live_other(None) {
            Some(live) => Err(format!(
                "r{} (not a logout) cleared browser b{}'s cookie while K{live}, delivered to it \
                 before, is live",
                delivery.request, delivery.browser
            )),
            None => Ok(false),
        },
        SetCookie::Value(key) if scene.live(key).is_some() => Ok(false),
        SetCookie::Value(key) => match live_other(Some(key)) {
            Some(_) if delivery.own_write => Ok(true),
            Some(live) => Err(format!(
                "r{} pointed browser b{}'s cookie at K{key} ({}), which it did not write, while \
                 K{live}, delivered to it before, is live",
                delivery.request,
                delivery.browser,
                scene.describe(key)
            )),
            None => Ok(false),
        },
    }
}

#[cfg(test)]
mod tests {
    //! Each check, fed a hand-made history that breaks it (and one that
    //! keeps it, so that the check is not simply always failing).

    use super::*;
    use crate::interleavings::oracle::{Ack, Login, LogoutAck, UserAck, Written};
    use dynamodb_sessions_core::store::Operation;

    const ABSOLUTE: i64 = 150;

    fn record(version: u64, tag: Tag, n: u64, created: i64, expires: i64) -> Stored {
        Stored::Record(RecordView {
            version,
            issued_at: created,
            expires_at: expires,
            created_at: Some(created),
            tag: Some(tag),
            n: Some(n),
            user: None,
        })
    }

    /// t1 (n=1) created at 0 under K1; t2 (n=2) replaced it; t3 (n=2), a
    /// login from t2, moved it to K2.
    fn history() -> Oracle {
        let mut oracle = Oracle::default();
        for (tag, parent, n) in [(1, None, 1), (2, Some(1), 2), (3, Some(2), 2)] {
            oracle.writes.insert(
                tag,
                Written {
                    request: tag as usize,
                    parent,
                    root_created: 0,
                    n,
                },
            );
        }
        oracle
    }

    fn store(entries: &[(KeyId, Stored)]) -> StoreView {
        StoreView {
            keys: entries.iter().cloned().collect(),
            ..StoreView::default()
        }
    }

    fn scene<'a>(oracle: &'a Oracle, store: &'a StoreView, now: i64) -> Scene<'a> {
        Scene {
            oracle,
            store,
            now,
            absolute: ABSOLUTE,
            start: 0,
        }
    }

    #[test]
    fn a_catches_a_lost_acknowledged_write() {
        let mut oracle = history();
        oracle.acks.push(Ack {
            request: 2,
            tag: 2,
            key: 1,
        });
        // The write of t2 was acknowledged, but K1 still holds t1.
        let lost = store(&[(1, record(1, 1, 1, 0, 60))]);
        assert!(acknowledged_writes(&scene(&oracle, &lost, 10)).is_err());
        // Kept in place, moved by the login, expired, or logged out: fine.
        let kept = store(&[(1, record(2, 2, 2, 0, 60))]);
        assert!(acknowledged_writes(&scene(&oracle, &kept, 10)).is_ok());
        let moved = store(&[(1, Stored::Ended(None)), (2, record(1, 3, 2, 0, 60))]);
        assert!(acknowledged_writes(&scene(&oracle, &moved, 10)).is_ok());
        assert!(acknowledged_writes(&scene(&oracle, &kept, 61)).is_ok());
        let ended = store(&[(1, Stored::Ended(None))]);
        assert!(acknowledged_writes(&scene(&oracle, &ended, 10)).is_err());
        oracle.logged_out.push(2);
        assert!(acknowledged_writes(&scene(&oracle, &ended, 10)).is_ok());
    }

    #[test]
    fn a_catches_an_inexact_answer() {
        let oracle = history();
        let call = |write, answer| CallRecord {
            request: 2,
            operation: Operation::Replace,
            key: Some(1),
            write: Some(write),
            answer: Ok(answer),
            told: true,
            before: Some(Stored::Missing),
            elapsed: Duration::ZERO,
        };
        let replace = WriteSpec::Replace {
            expected: 1,
            tag: Some(2),
            tombstone: false,
            successor: None,
        };
        let before = store(&[(1, record(1, 1, 1, 0, 60))]);
        let after = store(&[(1, record(2, 2, 2, 0, 60))]);
        let replaced = call(replace, Done::Replaced(ReplaceOutcome::Replaced));
        let conflict = call(replace, Done::Replaced(ReplaceOutcome::Conflict));
        // Replaced, but not applied; Conflict, but applied.
        assert!(exact_outcome(&replaced, &scene(&oracle, &before, 0)).is_err());
        assert!(exact_outcome(&conflict, &scene(&oracle, &after, 0)).is_err());
        assert!(exact_outcome(&replaced, &scene(&oracle, &after, 0)).is_ok());
        let touch = WriteSpec::Touch {
            expected: 2,
            issued_at: i64::MAX,
            expires_at: 75,
        };
        let touched = call(touch, Done::Touched(TouchOutcome::Touched));
        assert!(exact_outcome(&touched, &scene(&oracle, &after, 0)).is_err());
        let touch_conflict = call(touch, Done::Touched(TouchOutcome::Conflict));
        assert!(exact_outcome(&touch_conflict, &scene(&oracle, &after, 0)).is_err());
        // Ended, but the record is still there; Missing, but there was one.
        let ended = call(WriteSpec::End, Done::Ended(EndOutcome::Ended));
        assert!(exact_outcome(&ended, &scene(&oracle, &after, 0)).is_err());
        let mut missing = call(WriteSpec::End, Done::Ended(EndOutcome::Missing));
        missing.before = Some(record(2, 2, 2, 0, 60));
        let now_ended = store(&[(1, Stored::Ended(None))]);
        assert!(exact_outcome(&missing, &scene(&oracle, &now_ended, 0)).is_err());
        let mut ended = call(WriteSpec::End, Done::Ended(EndOutcome::Ended));
        ended.before = Some(record(2, 2, 2, 0, 60));
        assert!(exact_outcome(&ended, &scene(&oracle, &now_ended, 0)).is_ok());
        let created = call(
            WriteSpec::Create { tag: Some(1) },
            Done::Created(CreateOutcome::AlreadyExists),
        );
        assert!(exact_outcome(&created, &scene(&oracle, &before, 0)).is_err());
    }

    #[test]
    fn b_catches_logged_out_data_reappearing() {
        let mut oracle = history();
        oracle.logout_acks.push(LogoutAck {
            request: 9,
            key: 1,
            ended: 2,
            step: 20,
            process: 0,
        });
        // The logout ended t2 under K1, but the login's new record K2
        // (carrying t2) is live, and browser 0 holds its cookie.
        let revived = store(&[(1, Stored::Ended(None)), (2, record(1, 3, 2, 0, 60))]);
        assert!(logged_out_stays_out(&scene(&oracle, &revived, 10), &[(0, 2)]).is_err());
        assert!(logged_out_stays_out(&scene(&oracle, &revived, 10), &[(0, 1)]).is_ok());
        let gone = store(&[(1, Stored::Ended(None)), (2, Stored::Ended(None))]);
        assert!(logged_out_stays_out(&scene(&oracle, &gone, 10), &[(0, 2)]).is_ok());
        // A logout acknowledged without its end applied.
        let still_there = store(&[(1, record(2, 2, 2, 0, 60))]);
        assert!(logout_applied(&scene(&oracle, &still_there, 10), 9, 1).is_err());
        assert!(logout_applied(&scene(&oracle, &gone, 10), 9, 1).is_ok());
        // A (stale) load after the logout hands out the ended data.
        let mut seen = Seen {
            request: 11,
            tag: 2,
            n: Some(2),
            now: 10,
            record: None,
            loaded_step: 21,
            load_started: 21,
            strong: false,
            cached: false,
            process: 0,
        };
        let gone = scene(&oracle, &gone, 10);
        assert!(no_load_after_logout(&gone, &seen, false).is_err());
        // Allowed of an eventual read where replicas lag; never of a strong one.
        assert!(no_load_after_logout(&gone, &seen, true).is_ok());
        seen.strong = true;
        assert!(no_load_after_logout(&gone, &seen, true).is_err());
        // Nor of the read cache of the process the logout went through;
        // another process's cache may lag (within its bound: g).
        seen.strong = false;
        seen.cached = true;
        assert!(no_load_after_logout(&gone, &seen, true).is_err());
        seen.process = 1;
        assert!(no_load_after_logout(&gone, &seen, false).is_ok());
        seen.process = 0;
        seen.tag = 1;
        assert!(no_load_after_logout(&gone, &seen, false).is_err());
        // A cached load that started before the logout and returned after
        // it (it waited for a call already under way) may hand it out.
        seen.load_started = 19;
        assert!(no_load_after_logout(&gone, &seen, false).is_ok());
        // A cached load that returned before the logout, whose request then
        // began loading again (a rerun), is judged by its return.
        (seen.loaded_step, seen.load_started) = (19, 25);
        assert!(no_load_after_logout(&gone, &seen, false).is_ok());
        (seen.loaded_step, seen.load_started) = (21, 19);
        seen.cached = false;
        assert!(no_load_after_logout(&gone, &seen, false).is_err());
        seen.loaded_step = 19;
        assert!(no_load_after_logout(&gone, &seen, false).is_ok());
    }

    #[test]
    fn c_catches_loads_past_the_limits_and_a_moving_crt() {
        let oracle = history();
        let view = |created, expires| RecordView {
            version: 2,
            issued_at: 0,
            expires_at: expires,
            created_at: Some(created),
            tag: Some(2),
            n: Some(2),
            user: None,
        };
        let seen = |now, record| Seen {
            request: 5,
            tag: 2,
            n: Some(2),
            now,
            record: Some(record),
            loaded_step: 1,
            load_started: 1,
            strong: true,
            cached: false,
            process: 0,
        };
        let empty = store(&[]);
        let s = scene(&oracle, &empty, 0);
        assert!(load_within_limits(&s, &seen(30, view(0, 60))).is_ok());
        // Idle past exp.
        assert!(load_within_limits(&s, &seen(61, view(0, 60))).is_err());
        // Past the absolute lifetime (an exp not capped, as a bug would write).
        assert!(load_within_limits(&s, &seen(151, view(0, 200))).is_err());
        // crt moved forward.
        assert!(load_within_limits(&s, &seen(30, view(20, 60))).is_err());
        // Wrong data under the tag.
        let mut wrong = seen(30, view(0, 60));
        wrong.n = Some(7);
        assert!(load_within_limits(&s, &wrong).is_err());

        let moved = store(&[(1, record(2, 2, 2, 20, 60))]);
        assert!(stored_lifetimes(&scene(&oracle, &moved, 0)).is_err());
        let uncapped = store(&[(1, record(2, 2, 2, 0, 151))]);
        assert!(stored_lifetimes(&scene(&oracle, &uncapped, 0)).is_err());
        let fine = store(&[(1, record(2, 2, 2, 0, 150))]);
        assert!(stored_lifetimes(&scene(&oracle, &fine, 0)).is_ok());
    }

    #[test]
    fn d_catches_a_login_that_loses_both_records() {
        let oracle = history();
        // Login r3 from t2: both the old record and the new one ended.
        let both_gone = store(&[(1, Stored::Ended(None)), (2, Stored::Ended(None))]);
        assert!(login_keeps_data(&scene(&oracle, &both_gone, 10), 3, 2).is_err());
        let old_kept = store(&[(1, record(2, 2, 2, 0, 60)), (2, Stored::Ended(None))]);
        assert!(login_keeps_data(&scene(&oracle, &old_kept, 10), 3, 2).is_ok());
        let new_kept = store(&[(1, Stored::Ended(None)), (2, record(1, 3, 2, 0, 60))]);
        assert!(login_keeps_data(&scene(&oracle, &new_kept, 10), 3, 2).is_ok());
    }

    #[test]
    fn e_catches_a_slow_call() {
        let mut call = CallRecord {
            request: 1,
            operation: Operation::Load,
            key: Some(1),
            write: None,
            answer: Ok(Done::Loaded),
            told: true,
            before: None,
            elapsed: Duration::from_millis(1500),
        };
        assert!(call_bound(&call, Duration::from_secs(1)).is_err());
        call.elapsed = Duration::from_millis(10);
        assert!(call_bound(&call, Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn h_catches_an_ended_user_session_loaded_again() {
        // t1 logs in as u0 (set_user returned at step 5); t2 writes on it;
        // t3 logs in as u0 from scratch at step 30.
        let mut oracle = history();
        oracle.logins.insert(
            1,
            Login {
                user: 0,
                returned: 5,
            },
        );
        oracle.writes.insert(
            4,
            Written {
                request: 4,
                parent: None,
                root_created: 0,
                n: 0,
            },
        );
        oracle.logins.insert(
            4,
            Login {
                user: 0,
                returned: 30,
            },
        );
        let load = |tag, started| UserLoad {
            request: 9,
            user: 0,
            tag: Some(tag),
            key: Some(tag as KeyId),
            started,
        };
        let ack = |ended, started, acked| UserAck {
            request: 7,
            user: 0,
            ended,
            started,
            acked,
        };
        assert!(users_ended_stay_ended(&oracle, &load(2, 40)).is_ok());
        // All sessions of u0 ended by a call from step 10 to 20.
        oracle.user_acks.push(ack(Ended::All, 10, 20));
        assert!(users_ended_stay_ended(&oracle, &load(2, 21)).is_err());
        // A load that started before the acknowledgement may still see it.
        assert!(users_ended_stay_ended(&oracle, &load(2, 20)).is_ok());
        // A login whose set_user returned after the call started lives.
        assert!(users_ended_stay_ended(&oracle, &load(4, 40)).is_ok());
        // The other sessions ended, keeping lineage t1: t1's lineage lives.
        oracle.user_acks[0] = ack(Ended::Others { kept: 1 }, 10, 20);
        assert!(users_ended_stay_ended(&oracle, &load(3, 40)).is_ok());
        oracle.user_acks[0] = ack(Ended::Others { kept: 4 }, 10, 20);
        assert!(users_ended_stay_ended(&oracle, &load(3, 40)).is_err());
        // One session ended by its handle, or past the cap: loads of its
        // key, whenever it logged in; not of another key.
        oracle.user_acks[0] = ack(Ended::One { key: 4 }, 35, 36);
        assert!(users_ended_stay_ended(&oracle, &load(4, 40)).is_err());
        assert!(users_ended_stay_ended(&oracle, &load(2, 40)).is_ok());
        oracle.user_acks[0] = ack(Ended::Evicted { key: 3 }, 35, 36);
        assert!(users_ended_stay_ended(&oracle, &load(3, 40)).is_err());
        assert!(users_ended_stay_ended(&oracle, &load(2, 40)).is_ok());
        // Another user's calls end nothing of u0's; a load as the wrong
        // user, or of data no login wrote, is caught too.
        oracle.user_acks[0].user = 1;
        assert!(users_ended_stay_ended(&oracle, &load(3, 40)).is_ok());
        let wrong_user = UserLoad {
            user: 1,
            ..load(3, 40)
        };
        assert!(users_ended_stay_ended(&oracle, &wrong_user).is_err());
        oracle.logins.clear();
        assert!(users_ended_stay_ended(&oracle, &load(3, 40)).is_err());
    }

    #[test]
    fn g_catches_a_cached_record_older_than_the_bound() {
        let oracle = history();
        let Stored::Record(v1) = record(1, 1, 1, 0, 60) else {
            unreachable!()
        };
        let now = store(&[(1, record(2, 2, 2, 0, 60))]);
        let load = |started| CachedLoad {
            request: 4,
            key: 1,
            record: v1,
            started,
        };
        let check = |started, now, past: &[(RecordView, i64)], store: &StoreView| {
            cached_load_within_bound(&scene(&oracle, store, now), past, &load(started), 3)
        };
        // v1 was replaced at 10; the bound is 3 s.
        let past = [(v1, 10)];
        assert!(check(12, 12, &past, &now).is_ok());
        assert!(check(13, 13, &past, &now).is_err());
        // A load that started at 12 and waited for another's call until 20.
        assert!(check(12, 20, &past, &now).is_ok());
        // One that started at 13 and got the answer of a call sent before
        // the write at 10.
        assert!(check(13, 20, &past, &now).is_err());
        // A record the store never held.
        assert!(check(11, 11, &[], &now).is_err());
        // The current state, however old.
        let still = store(&[(1, record(1, 1, 1, 0, 60))]);
        assert!(check(99, 99, &past, &still).is_ok());
    }

    #[test]
    fn f_catches_cookies_pointed_at_dead_records_or_cleared() {
        let oracle = history();
        // b0 was given K1 then K2; K2 is live, K1 is ended.
        let world = store(&[(1, Stored::Ended(None)), (2, record(1, 3, 2, 0, 60))]);
        let s = scene(&oracle, &world, 10);
        let delivery_of = |set, own_write, logout| Delivery {
            request: 4,
            browser: 0,
            logout,
            set,
            own_write,
            delivered_before: vec![1, 2],
        };
        // A read that found its session gone clears the cookie.
        assert!(delivery(&s, &delivery_of(SetCookie::Clear, false, false)).is_err());
        assert!(delivery(&s, &delivery_of(SetCookie::Clear, false, true)).is_ok());
        // A response points at the ended K1 without having written it.
        assert!(delivery(&s, &delivery_of(SetCookie::Value(1), false, false)).is_err());
        // It wrote K1 and a login ended it since: overtaken, not a violation.
        assert_eq!(
            delivery(&s, &delivery_of(SetCookie::Value(1), true, false)),
            Ok(true)
        );
        assert_eq!(
            delivery(&s, &delivery_of(SetCookie::Value(2), false, false)),
            Ok(false)
        );
    }
}

//! The manager's and the session's side of users: login, listing, and
//! ending a user's sessions.

use std::sync::Arc;

use super::{
    AdvanceOutcome, Keep, SessionHandle, SessionSummary, UserRef, UserSessions, UserSettings,
    UserStamp, UsersError,
};
use crate::session::{Session, State};
use crate::{
    BackendError, CommitError, LoadOutcome, Record, SessionError, SessionManager, StorageKey,
};

/// How often ending all sessions bumps the generation again when another
/// call moved it first (each retry reads the new value): contention
/// beyond this is reported, not waited out.
const ADVANCE_ATTEMPTS: u32 = 8;

/// The longest label kept, in bytes; a longer one is cut at a character
/// boundary.
pub const MAX_LABEL_LEN: usize = 200;

/// A manager's users: the store's capability and the settings.
pub(crate) struct Users {
    pub(crate) backend: Arc<dyn UserSessions>,
    pub(crate) settings: UserSettings,
}

/// The user attached to a session, as the session holds it.
#[derive(Debug, Clone)]
pub(crate) struct Attached {
    pub(crate) user: UserRef,
    pub(crate) generation: u64,
    pub(crate) id: String,
    pub(crate) label: Option<String>,
}

impl Users {
    /// The stamp a record under `key` carries for `attached`.
    pub(crate) fn stamp(
        &self,
        key: &StorageKey,
        attached: &Attached,
    ) -> Result<UserStamp, CommitError> {
        let sealed = self
            .settings
            .secret
            .seal(key, &attached.user, &attached.id, attached.label.as_deref())
            .map_err(CommitError::Random)?;
        Ok(UserStamp::new(attached.user, attached.generation, sealed))
    }

    /// The user a record under `key` is stamped with, if its user's
    /// generation `current` still lets it live and its sealed id opens.
    pub(crate) fn attached(
        &self,
        key: &StorageKey,
        stamp: &UserStamp,
        current: u64,
    ) -> Option<Attached> {
        if stamp.generation < current {
            log::debug!("session ended with all sessions of its user; starting a new one");
            return None;
        }
        let Some((id, label)) = self.settings.secret.open(key, &stamp.user, &stamp.sealed) else {
            log::warn!(
                "a session's user does not open under this user secret (changed secret, or a changed record); starting a new session"
            );
            return None;
        };
        Some(Attached {
            user: stamp.user,
            generation: stamp.generation,
            id,
            label,
        })
    }

    /// Moves `user`'s generation past every value it had when the call
    /// began: then no session stamped before it lives. Another call moving
    /// it first (which may have kept a session) or a lost answer makes it
    /// bump again from the value read back.
    fn end_all(&self, user: &UserRef) -> Result<(), UsersError> {
        let mut expected = self.backend.generation(user)?;
        for _ in 0..ADVANCE_ATTEMPTS {
            match self.backend.advance(user, expected, None) {
                Ok(AdvanceOutcome::Advanced) => return Ok(()),
                Ok(AdvanceOutcome::GenerationMoved { current }) => expected = current,
                Ok(AdvanceOutcome::KeptChanged) => {
                    return Err(UsersError::Backend(BackendError::Corrupt {
                        reason: "the store reported a kept record where none was given".into(),
                    }))
                }
                // Refused before anything was written: say so.
                Err(error) if !is_ambiguous(&error) => return Err(UsersError::Backend(error)),
                Err(error) => {
                    log::warn!("ending a user's sessions: {error}; reading the generation back");
                    expected = self
                        .backend
                        .generation(user)
                        .map_err(|_| UsersError::OutcomeUnknown)?;
                }
            }
        }
        Err(UsersError::OutcomeUnknown)
    }

    /// The user's live sessions: the listing, less what ended, expired or
    /// fell behind the user's generation (read strongly first, so that the
    /// listing's lag never shows a session that an acknowledged end left).
    fn live(
        &self,
        session: &Session,
        user: &UserRef,
    ) -> Result<Vec<(StorageKey, SessionSummary)>, UsersError> {
        let current = self.backend.generation(user)?;
        let listed = self.backend.list(user)?;
        let now = session.shared.now();
        let this = session.bound_key();
        let mut live: Vec<_> = listed
            .into_iter()
            .filter(|entry| {
                entry.version != Record::ENDED_VERSION
                    && entry.stamp.user == *user
                    && entry.stamp.generation >= current
                    && !session.expired_at(entry.expires_at, entry.created_at, now)
            })
            .filter_map(|entry| {
                let (_, label) =
                    self.settings
                        .secret
                        .open(&entry.key, user, &entry.stamp.sealed)?;
                let summary = SessionSummary {
                    handle: self.settings.secret.handle(&entry.key),
                    created_at: entry.created_at,
                    last_used: entry.issued_at,
                    expires_at: entry.expires_at,
                    label,
                    current: Some(entry.key) == this,
                };
                Some((entry.key, summary))
            })
            .collect();
        live.sort_by_key(|(_, summary)| std::cmp::Reverse(summary.last_used));
        Ok(live)
    }

    /// After a login's create under `new`: ends the user's least recently
    /// used sessions past the cap. A failure is logged and counted; the
    /// login stands.
    pub(crate) fn enforce_cap(&self, session: &Session, new: &StorageKey, now: i64) {
        let (Some(max), Some(attached)) = (self.settings.max_sessions(), &session.user) else {
            return;
        };
        let others = match self.live(session, &attached.user) {
            Ok(live) => live,
            Err(error) => {
                log::warn!("could not list a user's sessions for the cap ({error})");
                session.shared.counters.failed_cap_eviction();
                return;
            }
        };
        // Only sessions used before this login: two logins racing each
        // other never end each other (the later one ends the earlier).
        let others: Vec<_> = others
            .into_iter()
            .filter(|(key, summary)| key != new && summary.last_used < now)
            .collect();
        let allowed = usize::try_from(max.get() - 1).unwrap_or(usize::MAX);
        if others.len() <= allowed {
            return;
        }
        let excess = others.len() - allowed;
        let tombstone = Record::tombstone(now, session.shared.config.data_encoding());
        // `live` lists the most recently used first: the least recently
        // used are at the end.
        for (key, _) in others.into_iter().rev().take(excess) {
            if let Err(error) = session.shared.backend.end(&key, &tombstone) {
                log::warn!("could not end a session past the user's cap ({error})");
                session.shared.counters.failed_cap_eviction();
            }
        }
    }
}

impl SessionManager {
    /// A manager whose sessions can carry a user ([`Session::set_user`]),
    /// on a backend that offers [`UserSessions`]. Without users, build it
    /// with [`SessionManager::new`]: a session without a user costs the
    /// same either way.
    pub fn with_users(
        backend: impl UserSessions + 'static,
        config: crate::SessionConfig,
        users: UserSettings,
    ) -> SessionManager {
        Self::with_users_and_clock(backend, config, users, crate::SystemClock)
    }

    /// [`with_users`](Self::with_users) on another clock (for tests).
    pub fn with_users_and_clock(
        backend: impl UserSessions + 'static,
        config: crate::SessionConfig,
        users: UserSettings,
        clock: impl crate::Clock + 'static,
    ) -> SessionManager {
        let backend: Arc<dyn UserSessions> = Arc::new(backend);
        SessionManager::build(
            backend.clone(),
            config,
            Arc::new(clock),
            Some(Users {
                backend,
                settings: users,
            }),
        )
    }

    /// Ends every session of the user with this id, in every process ("log
    /// out everywhere", e.g. after a password change): once it returns
    /// `Ok`, none of them loads as that user again (see the
    /// [module docs](crate::users#what-is-exact)). It costs the same for
    /// one session as for a hundred: one read and one write.
    ///
    /// # Errors
    ///
    /// - [`UsersError::NotEnabled`] for a manager built without users.
    /// - [`UsersError::OutcomeUnknown`] when the store's answers were lost
    ///   and reading back did not settle it; calling again finishes it.
    /// - [`UsersError::Backend`] when the store failed before anything was
    ///   written.
    pub fn end_all_sessions(&self, user_id: &str) -> Result<(), UsersError> {
        let users = self.users().ok_or(UsersError::NotEnabled)?;
        users.end_all(&users.settings.secret.user_ref(user_id))
    }
}

impl Session {
    fn users(&self) -> Result<&Users, UsersError> {
        self.shared.users.as_ref().ok_or(UsersError::NotEnabled)
    }

    /// Logs `user_id` in to this session: a new session ID (as
    /// [`regenerate_id`](Self::regenerate_id), against session fixation)
    /// with the user attached, written at commit. It reads the user's
    /// generation from the store now, so a login that returns before
    /// [`SessionManager::end_all_sessions`] starts is ended by it, even if
    /// its commit lands later. Data and label carry over.
    ///
    /// # Errors
    ///
    /// - [`SessionError::Users`] with [`UsersError::NotEnabled`] for a
    ///   manager built without users.
    /// - [`SessionError::Load`] when the session or the generation cannot
    ///   be read.
    pub fn set_user(&mut self, user_id: &str) -> Result<(), SessionError> {
        let users = self.users().map_err(SessionError::Users)?;
        let user = users.settings.secret.user_ref(user_id);
        let generation = users
            .backend
            .generation(&user)
            .map_err(SessionError::Load)?;
        self.regenerate_id()?;
        let label = self.user.take().and_then(|old| old.label);
        self.user = Some(Attached {
            user,
            generation,
            id: user_id.to_owned(),
            label,
        });
        self.logged_in = true;
        Ok(())
    }

    /// The id of the user logged in to this session, if any.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] when the session cannot be loaded.
    pub fn user(&mut self) -> Result<Option<String>, SessionError> {
        self.load()?;
        Ok(self.user.as_ref().map(|attached| attached.id.clone()))
    }

    /// Names this session for the user's session list (e.g. "Firefox on
    /// Linux"), written with the session at commit. Labels are sealed in
    /// the store like user ids; one longer than 200 bytes is cut to that.
    ///
    /// # Errors
    ///
    /// - [`SessionError::Users`] with [`UsersError::NoUser`] when no user is
    ///   logged in to the session.
    /// - [`SessionError::Load`] when the session cannot be loaded.
    pub fn set_label(&mut self, label: &str) -> Result<(), SessionError> {
        self.load()?;
        let mut end = label.len().min(MAX_LABEL_LEN);
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        let label = &label[..end];
        let Some(attached) = &self.user else {
            return Err(SessionError::Users(UsersError::NoUser));
        };
        if attached.label.as_deref() == Some(label) {
            return Ok(());
        }
        self.will_change();
        if let Some(attached) = &mut self.user {
            attached.label = Some(label.to_owned());
        }
        self.changed = true;
        Ok(())
    }

    /// The live sessions of this session's user, most recently used first,
    /// this one marked [`current`](SessionSummary::current). The list comes
    /// from the store's index and may lag by its replication delay (see the
    /// [module docs](crate::users)).
    ///
    /// # Errors
    ///
    /// - [`UsersError::NoUser`] when no user is logged in to the session (a
    ///   login not yet committed included).
    /// - [`UsersError::NotEnabled`], [`UsersError::Backend`].
    pub fn user_sessions(&mut self) -> Result<Vec<SessionSummary>, UsersError> {
        let user = self.stored_user()?.user;
        let users = self.users()?;
        Ok(users
            .live(self, &user)?
            .into_iter()
            .map(|(_, summary)| summary)
            .collect())
    }

    /// Ends the session `handle` names, if it is one of this session's
    /// user's ("log out this one" on a session list). Ending this session
    /// itself is a logout, written at commit. The ended session is ended
    /// exactly: it never loads again.
    ///
    /// # Errors
    ///
    /// - [`UsersError::UnknownHandle`] when no live session of this user
    ///   has that handle (another user's handle included): nothing ended.
    /// - [`UsersError::NoUser`], [`UsersError::NotEnabled`],
    ///   [`UsersError::Backend`].
    pub fn end_session(&mut self, handle: &SessionHandle) -> Result<(), UsersError> {
        let user = self.stored_user()?.user;
        let users = self.users()?;
        let live = users.live(self, &user)?;
        let Some((key, summary)) = live.iter().find(|(_, summary)| summary.handle == *handle)
        else {
            return Err(UsersError::UnknownHandle);
        };
        if summary.current {
            self.invalidate();
            return Ok(());
        }
        let tombstone = Record::tombstone(self.shared.now(), self.shared.config.data_encoding());
        // Ended now, ended before, or gone: the session is over in each case.
        let _ = self.shared.backend.end(key, &tombstone)?;
        Ok(())
    }

    /// Ends every other session of this session's user ("log out
    /// everywhere else"), exactly as [`SessionManager::end_all_sessions`]
    /// does, while this one stays logged in: it is rewritten, at its next
    /// version, in the same atomic write that ends the others.
    ///
    /// # Errors
    ///
    /// - [`UsersError::NoUser`] when no user is logged in to the session (a
    ///   login not yet committed included).
    /// - [`UsersError::EndedElsewhere`] when the user's sessions were ended
    ///   by another call meanwhile, this one included.
    /// - [`UsersError::Conflict`] when another request wrote this session
    ///   meanwhile: nothing ended.
    /// - [`UsersError::OutcomeUnknown`] when the store's answer was lost
    ///   and reading back did not settle it; this session stays usable, and
    ///   calling again finishes it.
    /// - [`UsersError::NotEnabled`], [`UsersError::Backend`].
    pub fn end_other_sessions(&mut self) -> Result<(), UsersError> {
        let mut attached = self.stored_user()?;
        self.will_change();
        let shared = Arc::clone(&self.shared);
        let users = shared.users.as_ref().ok_or(UsersError::NotEnabled)?;
        let now = shared.now();
        let State::Stored(bound) = &self.state else {
            return Err(UsersError::NoUser);
        };
        let mut bound = bound.clone();
        // Past its idle or absolute limit, a session is never written again.
        if self.bound_expired(&bound, now) {
            return Err(UsersError::NoUser);
        }
        let current = users.backend.generation(&attached.user)?;
        if attached.generation < current {
            // Behind the user's generation: ended elsewhere, unless this
            // session was itself kept meanwhile (by an earlier call of its
            // own whose answer was lost, or by another tab).
            let (_, stored) = users.backend.load_checked(&bound.key, &attached.user)?;
            match stored {
                LoadOutcome::Live(stored) if self.unsettled_keep.as_ref() == Some(&stored) => {
                    attached.generation = stored.user.as_ref().map_or(0, |s| s.generation);
                    self.kept_as(&stored, attached.clone());
                    self.unsettled_keep = None;
                    bound.version = stored.version;
                    if attached.generation < current {
                        return Err(UsersError::EndedElsewhere);
                    }
                }
                LoadOutcome::Live(stored)
                    if stored
                        .user
                        .as_ref()
                        .is_some_and(|s| s.generation >= current) =>
                {
                    return Err(UsersError::Conflict)
                }
                _ => return Err(UsersError::EndedElsewhere),
            }
        }
        let version = bound
            .version
            .checked_add(1)
            .filter(|v| *v < Record::ENDED_VERSION)
            .ok_or(UsersError::Conflict)?;
        let Some(next) = current.checked_add(1) else {
            return Err(UsersError::Backend(BackendError::Corrupt {
                reason: "a user's generation is at its maximum".into(),
            }));
        };
        let kept = Attached {
            generation: next,
            ..attached.clone()
        };
        let created_at = bound.created_at.unwrap_or(now);
        let record = self
            .record_for(
                &bound.token,
                &bound.key,
                now,
                version,
                created_at,
                Some(&kept),
            )
            .map_err(UsersError::Write)?;
        self.check_size(&bound.key, &record)
            .map_err(UsersError::Write)?;
        let keep = Keep {
            key: &bound.key,
            expected_version: bound.version,
            record: &record,
        };
        let outcome = match users.backend.advance(&attached.user, current, Some(keep)) {
            Ok(outcome) => outcome,
            // Refused before anything was written.
            Err(error) if !is_ambiguous(&error) => return Err(UsersError::Backend(error)),
            Err(error) => {
                log::warn!("ending a user's other sessions: {error}; reading back");
                match settle_kept(users, &bound.key, &attached.user, &record) {
                    Ok(outcome) => outcome,
                    Err(unknown) => {
                        self.unsettled_keep = Some(record);
                        return Err(unknown);
                    }
                }
            }
        };
        match outcome {
            AdvanceOutcome::Advanced => {
                self.kept_as(&record, kept);
                Ok(())
            }
            // An earlier call of this session whose answer was lost may have
            // landed meanwhile and moved the generation itself: then this
            // session was kept, and a second pass finds its record.
            AdvanceOutcome::GenerationMoved { .. } if self.unsettled_keep.is_some() => {
                self.end_other_sessions()
            }
            AdvanceOutcome::GenerationMoved { .. } => Err(UsersError::EndedElsewhere),
            AdvanceOutcome::KeptChanged => Err(UsersError::Conflict),
        }
    }

    /// The user of this loaded, stored session.
    fn stored_user(&mut self) -> Result<Attached, UsersError> {
        self.load().map_err(|error| match error {
            SessionError::Load(error) => UsersError::Backend(error),
            _ => UsersError::NoUser,
        })?;
        match (&self.state, &self.user) {
            (State::Stored(_), Some(attached)) => Ok(attached.clone()),
            _ => Err(UsersError::NoUser),
        }
    }
}

/// Whether a failed call may have been applied: an answer lost (a
/// timeout, an unknown outcome) or a server error. Anything else was
/// refused before it was written.
fn is_ambiguous(error: &BackendError) -> bool {
    matches!(
        error,
        BackendError::Timeout { .. }
            | BackendError::OutcomeUnknown { .. }
            | BackendError::Unavailable { .. }
    )
}

/// Decides a lost answer of an advance that kept `record` under `key`: the
/// record read back is `record` itself (its sealed parts hold fresh random
/// nonces, so no other write equals it) means it was applied; anything else
/// is unknown (it may still land), and the session stays usable either way.
fn settle_kept(
    users: &Users,
    key: &StorageKey,
    user: &UserRef,
    record: &Record,
) -> Result<AdvanceOutcome, UsersError> {
    match users.backend.load_checked(key, user) {
        Ok((_, LoadOutcome::Live(stored))) if stored == *record => Ok(AdvanceOutcome::Advanced),
        _ => Err(UsersError::OutcomeUnknown),
    }
}

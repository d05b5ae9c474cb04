//! What commit writes: the code behind the state table in
//! [`SessionManager`](crate::SessionManager#what-commit-writes)'s docs, which
//! describes each of its rows; change both together.
//!
//! Every write is conditional on the version this request loaded, and a
//! backend reports a write's outcome exactly or not at all (an error means
//! "may or may not have happened"). Commit relies on both: it answers `Ok`
//! only for writes known to be applied, and when it cannot know, it leaves
//! the data in at least one record.

use crate::codec;
use crate::seal::Binding;
use crate::session::{Bound, Retired, Session, State};
use crate::session_cookie::{self, CookieValue};
use crate::users::Attached;
use crate::{
    ensure_item_fits_with_reissue_room, BackendError, CommitError, Consistency, CreateOutcome,
    EndOutcome, LoadOutcome, Operation, Record, ReplaceOutcome, Scheme, StorageKey, Token,
    TouchOutcome,
};

/// How many fresh IDs a create tries before giving up. With 256-bit IDs a
/// second attempt already means something other than bad luck is wrong.
const CREATE_ATTEMPTS: u32 = 3;

/// How many logins a logout follows from the ID it was given (a stale tab
/// logging out after one or more logins elsewhere).
const MAX_LOGOUT_HOPS: u32 = 8;

/// How many times a login whose last answer was lost reads the old record
/// (and, if it is still untouched, ends it again) to learn its outcome.
const LOGIN_CHECKS: u32 = 2;

/// The write a commit makes, decided and size-checked before anything is written.
enum Write {
    Nothing,
    /// Under a token drawn already, which sealed data is bound to.
    Create(Token, Record),
    Replace(Bound, Record),
    Touch(Bound),
}

impl Session {
    pub(crate) fn commit(self, scheme: Scheme) -> Result<Option<String>, CommitError> {
        if !self.is_loaded() {
            return Ok(None);
        }
        let now = self.shared.now();
        let backend = &self.shared.backend;
        let config = &self.shared.config;

        // A logout comes first, and what the request put in the session
        // after it (a "logged out" flash, say) can never undo it: data too
        // large, unencodable or unstorable is dropped, the logout stands.
        if let Some(Retired::Logout(key)) = &self.retired {
            self.end_following_logins(key, now)?;
        }
        let write = match self.plan(now) {
            Ok(write) => write,
            Err(error) if self.is_logout() => {
                return Ok(Some(self.drop_after_logout(&error, scheme)))
            }
            Err(error) => return Err(error),
        };
        let mut created = None;
        let cookie = match write {
            Write::Nothing if self.is_logout() => Some(session_cookie::expire(config, scheme)),
            Write::Nothing => None,
            Write::Create(token, record) => match self.create(token, record) {
                Ok(token) => {
                    let value = CookieValue::render(&token, 1);
                    created = Some(token.storage_key());
                    Some(session_cookie::issue(config, value, scheme))
                }
                Err(error) if self.is_logout() => Some(self.drop_after_logout(&error, scheme)),
                Err(error) => return Err(error),
            },
            Write::Replace(bound, record) => {
                match backend.replace(&bound.key, bound.version, &record)? {
                    ReplaceOutcome::Replaced => {}
                    ReplaceOutcome::Conflict => return Err(CommitError::Conflict),
                }
                let value = CookieValue::render(&bound.token, record.version);
                Some(session_cookie::issue(config, value, scheme))
            }
            Write::Touch(bound) => self.reissue(&bound, now, scheme),
        };
        if let Some(Retired::Login(from)) = &self.retired {
            self.finish_login(from, created, now)?;
        }
        if let (true, Some(new), Some(users)) = (self.logged_in, created, &self.shared.users) {
            users.enforce_cap(&self, &new, now);
        }
        Ok(cookie)
    }

    /// Whether this request logged the session out (and may have put new
    /// data in it since).
    fn is_logout(&self) -> bool {
        matches!(self.state, State::Invalidated)
    }

    /// The answer to a logout whose new data could not be stored: the
    /// expiring cookie. The data is dropped, logged and counted.
    fn drop_after_logout(&self, error: &CommitError, scheme: Scheme) -> String {
        log::warn!(
            "a logout's new data could not be stored ({error}); the logout stands, the data is dropped"
        );
        self.shared.counters.dropped_after_logout();
        session_cookie::expire(&self.shared.config, scheme)
    }

    /// A reissue (touch) of an unchanged session. Its outcome never changes
    /// what the request read, so nothing about it fails the request:
    ///
    /// - without `max_age` the cookie has no expiry to refresh, so none is
    ///   sent: a login racing this request can then never find its new
    ///   cookie overwritten by our old one;
    /// - changed, ended or logged in elsewhere meanwhile: no cookie, since
    ///   the browser may already hold that request's newer one;
    /// - a failed touch is logged, counted in
    ///   [`SessionManager::stats`](crate::SessionManager::stats) and
    ///   skipped; the next request tries again.
    fn reissue(&self, bound: &Bound, now: i64, scheme: Scheme) -> Option<String> {
        let config = &self.shared.config;
        let expires_at = self.expiry(now, bound.created_at);
        match self
            .shared
            .backend
            .touch(&bound.key, bound.version, now, expires_at)
        {
            Ok(TouchOutcome::Touched) if config.max_age().is_some() => {
                let value = CookieValue::render(&bound.token, bound.version);
                Some(session_cookie::issue(config, value, scheme))
            }
            Ok(_) => None,
            Err(error) => {
                log::warn!("could not reissue a session ({error}); it keeps its expiry");
                self.shared.counters.failed_reissue();
                None
            }
        }
    }

    /// Ends the record under `key` (logout) and, if a login had already
    /// moved the session on from it, the records it moved to: a stale tab's
    /// logout logs the user out of the session they are in now.
    fn end_following_logins(&self, key: &StorageKey, now: i64) -> Result<(), CommitError> {
        let tombstone = self.tombstone(now);
        let mut key = *key;
        for _ in 0..MAX_LOGOUT_HOPS {
            match self.shared.backend.end(&key, &tombstone)? {
                EndOutcome::AlreadyEnded {
                    successor: Some(next),
                } => key = next,
                EndOutcome::Ended
                | EndOutcome::AlreadyEnded { successor: None }
                | EndOutcome::Missing => return Ok(()),
            }
        }
        log::warn!("a logout followed {MAX_LOGOUT_HOPS} logins and stopped there");
        Ok(())
    }

    /// Ends the pre-login record, only if it is still the loaded version,
    /// with a tombstone that names the new record.
    ///
    /// - Ended: the login is done.
    /// - Conflict (changed, logged out or moved by another request): the new
    ///   record is ended again, so that a logged-out session does not live on
    ///   under the new ID and a concurrent change is not forked; the old
    ///   record stays as the other request left it.
    /// - Unknown (an error): the old record itself tells, since only our
    ///   tombstone names our new record; see [`Self::settle_login`].
    fn finish_login(
        &self,
        from: &Bound,
        created: Option<StorageKey>,
        now: i64,
    ) -> Result<(), CommitError> {
        let tombstone = Record {
            successor: created,
            ..self.tombstone(now)
        };
        match self
            .shared
            .backend
            .replace(&from.key, from.version, &tombstone)
        {
            Ok(ReplaceOutcome::Replaced) => Ok(()),
            Ok(ReplaceOutcome::Conflict) => Err(self.undo_login(created, now)),
            Err(error) => match created {
                Some(new) => self.settle_login(from, new, &tombstone, error),
                None => Err(error.into()),
            },
        }
    }

    /// After a lost answer: reads the old record. Our tombstone there (the
    /// one naming `new`) means the login is done; another tombstone or a
    /// newer version means it lost a race; the loaded version means ours has
    /// not been applied, so it is tried again. If the store cannot say, the
    /// new record stays, so the data is in at least one of the two.
    fn settle_login(
        &self,
        from: &Bound,
        new: StorageKey,
        tombstone: &Record,
        error: BackendError,
    ) -> Result<(), CommitError> {
        let backend = &self.shared.backend;
        for _ in 0..LOGIN_CHECKS {
            match backend.load(&from.key, Consistency::Strong) {
                Ok(LoadOutcome::Ended(old)) if old.successor == Some(new) => return Ok(()),
                Ok(LoadOutcome::Ended(_)) => {
                    return Err(self.undo_login(Some(new), tombstone.issued_at))
                }
                Ok(LoadOutcome::Live(old)) if old.version != from.version => {
                    return Err(self.undo_login(Some(new), tombstone.issued_at))
                }
                Ok(LoadOutcome::Live(_)) => {
                    if let Ok(ReplaceOutcome::Replaced) =
                        backend.replace(&from.key, from.version, tombstone)
                    {
                        return Ok(());
                    }
                    // A conflict may be our earlier attempt landing late:
                    // read again.
                }
                Ok(LoadOutcome::Missing) | Err(_) => break,
            }
        }
        log::warn!(
            "a login's outcome is unknown ({error}); its new record stays, unreachable until it expires"
        );
        Err(CommitError::Backend(error))
    }

    /// Ends the record a login that lost a race had created, and says so.
    fn undo_login(&self, created: Option<StorageKey>, now: i64) -> CommitError {
        if let Some(new) = created {
            if let Err(error) = self.shared.backend.end(&new, &self.tombstone(now)) {
                // Only this request knows the new ID, and it sends no cookie
                // for it: nobody can reach the record.
                log::warn!(
                    "could not end the new record of a conflicting login ({error}); nobody holds its ID and it expires by its TTL"
                );
            }
        }
        CommitError::Conflict
    }

    /// Decides the write and builds its record, refusing oversized items
    /// before anything touches the store.
    fn plan(&self, now: i64) -> Result<Write, CommitError> {
        // Data of a session past its idle or absolute limit is never written
        // again, neither in place nor under a new ID: carrying it over would
        // let a session outlive its limits one request at a time.
        let login_from = match &self.retired {
            Some(Retired::Login(from)) => Some(from),
            _ => None,
        };
        if login_from.is_some_and(|from| self.bound_expired(from, now)) {
            return Err(CommitError::Expired);
        }
        match &self.state {
            State::Stored(bound) if self.bound_expired(bound, now) => {
                if self.changed {
                    Err(CommitError::Expired)
                } else {
                    Ok(Write::Nothing)
                }
            }
            State::Stored(bound) if self.changed => {
                // Below the tombstone's version: a session that reached it
                // could not be ended any more.
                let version = bound
                    .version
                    .checked_add(1)
                    .filter(|v| *v < Record::ENDED_VERSION)
                    .ok_or(CommitError::Conflict)?;
                let created_at = bound.created_at.unwrap_or(now);
                let record = self.record(&bound.token, &bound.key, now, version, created_at)?;
                self.check_size(&bound.key, &record)?;
                Ok(Write::Replace(bound.clone(), record))
            }
            State::Stored(bound)
                if now.saturating_sub(bound.issued_at) > self.shared.config.reissue_secs() =>
            {
                Ok(Write::Touch(bound.clone()))
            }
            State::Stored(_) => Ok(Write::Nothing),
            // An empty new session is not worth a record or a cookie,
            // unless a user logged in to it.
            State::Fresh | State::Invalidated
                if self.changed && (!self.data.is_empty() || self.user.is_some()) =>
            {
                let created_at = login_from.and_then(|from| from.created_at).unwrap_or(now);
                let token = Token::generate_in(self.shared.config.key_slots())
                    .map_err(CommitError::Random)?;
                let key = token.storage_key();
                let record = self.record(&token, &key, now, 1, created_at)?;
                self.check_size(&key, &record)?;
                Ok(Write::Create(token, record))
            }
            State::Fresh | State::Invalidated | State::Unloaded(_) => Ok(Write::Nothing),
        }
    }

    pub(crate) fn bound_expired(&self, bound: &Bound, now: i64) -> bool {
        self.expired_at(bound.expires_at, bound.created_at, now)
    }

    /// The record to write under `key` (the storage key of `token`), its
    /// data sealed for it unless the settings say otherwise.
    fn record(
        &self,
        token: &Token,
        key: &StorageKey,
        now: i64,
        version: u64,
        created_at: i64,
    ) -> Result<Record, CommitError> {
        self.record_for(token, key, now, version, created_at, self.user.as_ref())
    }

    /// The record of this session's data under `key` at `version`, stamped
    /// with `user` if given.
    pub(crate) fn record_for(
        &self,
        token: &Token,
        key: &StorageKey,
        now: i64,
        version: u64,
        created_at: i64,
        user: Option<&Attached>,
    ) -> Result<Record, CommitError> {
        let config = &self.shared.config;
        let binding = Binding {
            token,
            key,
            version,
            created_at: Some(created_at),
        };
        let user = match (user, &self.shared.users) {
            (Some(attached), Some(users)) => Some(users.stamp(key, attached)?),
            _ => None,
        };
        Ok(Record {
            successor: None,
            version,
            issued_at: now,
            expires_at: self.expiry(now, Some(created_at)),
            created_at: Some(created_at),
            data: codec::encode_for(
                &self.data,
                config.data_encoding(),
                config.data_protection(),
                &binding,
            )?,
            user,
        })
    }

    fn tombstone(&self, now: i64) -> Record {
        Record::tombstone(now, self.shared.config.data_encoding())
    }

    /// `exp` for a write at `now`: the idle timeout, capped by the absolute
    /// lifetime so that the table's TTL removes the record on time too.
    fn expiry(&self, now: i64, created_at: Option<i64>) -> i64 {
        let config = &self.shared.config;
        let idle = now.saturating_add(config.timeout_secs());
        match (config.absolute_secs(), created_at) {
            (Some(lifetime), Some(created)) => idle.min(created.saturating_add(lifetime)),
            _ => idle,
        }
    }

    /// Refuses an item that is over the limit now or could be after any
    /// later reissue, which rewrites `iss` and `exp` with other numbers.
    pub(crate) fn check_size(&self, key: &StorageKey, record: &Record) -> Result<(), CommitError> {
        ensure_item_fits_with_reissue_room(Operation::Replace, key, record).map_err(|error| {
            match error {
                BackendError::ItemTooLarge {
                    size: Some(size),
                    limit,
                    ..
                } => CommitError::TooLarge { size, limit },
                other => CommitError::Backend(other),
            }
        })
    }

    /// Creates the record under the freshly drawn `token`, drawing again on
    /// a collision, and after a create whose outcome is unknown: a create is
    /// sent at most once per key (see [`crate::store::Backend::create`]), so
    /// a key whose create may still land later is abandoned. Nobody was
    /// given it, so a record that lands there later is reached by no one
    /// and goes by its TTL. Sealed data is bound to its key, so each new ID
    /// gets the data sealed anew (of the same size: the size check still
    /// holds).
    fn create(&self, mut token: Token, mut record: Record) -> Result<Token, CommitError> {
        for attempt in 1..=CREATE_ATTEMPTS {
            let key = token.storage_key();
            let more = attempt < CREATE_ATTEMPTS;
            match self.shared.backend.create(&key, &record) {
                Ok(CreateOutcome::Created) => return Ok(token),
                Ok(CreateOutcome::AlreadyExists) => {
                    log::warn!("a freshly drawn session ID already existed");
                }
                Err(error @ BackendError::OutcomeUnknown { .. }) if more => {
                    log::warn!("{error}; creating the session under a new ID");
                }
                Err(error) => return Err(error.into()),
            }
            if more {
                token = Token::generate_in(self.shared.config.key_slots())
                    .map_err(CommitError::Random)?;
                let created_at = record.created_at.unwrap_or(record.issued_at);
                record = self.record(
                    &token,
                    &token.storage_key(),
                    record.issued_at,
                    record.version,
                    created_at,
                )?;
            }
        }
        Err(CommitError::IdCollision {
            attempts: CREATE_ATTEMPTS,
        })
    }
}

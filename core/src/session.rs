//! One request's view of a session: lazily loaded data plus what to do at commit.

use std::sync::Arc;

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{self, DataMap};
use crate::manager::Shared;
use crate::seal::Binding;
use crate::sequencer::{Sequencing, Turn};
use crate::session_cookie::CookieValue;
use crate::users::Attached;
use crate::{
    BackendError, Consistency, DataEncoding, LoadOutcome, Record, SessionError, StorageKey, Token,
};

/// The stored record a loaded session continues.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) token: Token,
    pub(crate) key: StorageKey,
    pub(crate) version: u64,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) created_at: Option<i64>,
}

/// Where a session stands with the store; commit matches on it.
#[derive(Debug, Clone)]
pub(crate) enum State {
    /// Not loaded yet: the request's cookie, if it parsed. Commit writes
    /// nothing for a session nobody touched.
    Unloaded(Option<CookieValue>),
    /// Loaded from this stored record, which commit replaces or reissues.
    Stored(Bound),
    /// Loaded, with no record: no cookie, or its record was missing, ended,
    /// expired or corrupt, or `regenerate_id` moved away from it. Commit
    /// creates a record if there is data.
    Fresh,
    /// Ended by `invalidate`: as `Fresh`, except that commit expires the
    /// cookie when nothing new is written.
    Invalidated,
}

/// A record to end at commit: on logout before any new write, whatever its
/// version, so that a failed write cannot keep the old session alive; on
/// login after the new record is written, and only at the loaded version, so
/// that a session changed or ended meanwhile is neither lost nor brought
/// back.
#[derive(Debug, Clone)]
pub(crate) enum Retired {
    Logout(StorageKey),
    Login(Bound),
}

/// The session of one request.
///
/// Get one from [`SessionManager::load`](crate::SessionManager::load) and hand
/// it back to [`SessionManager::commit`](crate::SessionManager::commit).
///
/// Loading is lazy: the record is fetched on the first call that needs the
/// data, so a request that never touches its session costs no store call.
/// That is why every data accessor returns a `Result`: it may be the call that
/// loads.
///
/// Values are any serde type. They are kept as self-describing CBOR values, so
/// a value written as one type can be read back as any compatible one.
///
/// ```
/// use dynamodb_sessions_core::{SessionConfig, SessionManager};
/// use dynamodb_sessions::MemoryBackend;
///
/// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
/// let mut session = manager.load(None);
/// session.insert("user", "ada")?;
/// assert_eq!(session.get::<String>("user")?.as_deref(), Some("ada"));
/// # Ok::<(), dynamodb_sessions_core::SessionError>(())
/// ```
#[must_use = "a session's writes are lost unless it is passed to `SessionManager::commit`"]
pub struct Session {
    pub(crate) shared: Arc<Shared>,
    pub(crate) state: State,
    pub(crate) data: DataMap,
    /// Whether `data` differs from what was loaded.
    pub(crate) changed: bool,
    /// At most one per request: after `invalidate` or `regenerate_id` the
    /// session is bound to no record any more.
    pub(crate) retired: Option<Retired>,
    /// The user logged in to this session, if any.
    pub(crate) user: Option<Attached>,
    /// Whether this request logged a user in (`set_user`).
    pub(crate) logged_in: bool,
    /// The record an `end_other_sessions` of this session sent and could
    /// not settle: a later call recognises it as its own.
    pub(crate) unsettled_keep: Option<Record>,
    /// When this request still has to take the session's turn
    /// ([`Sequencing::Off`] once it has, or tried).
    sequencing: Sequencing,
    /// The session's turn in this process, held until the session is
    /// committed or dropped.
    turn: Option<Turn>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token or the values.
        let state = match &self.state {
            State::Unloaded(_) => "unloaded",
            State::Stored(_) => "stored",
            State::Fresh => "fresh",
            State::Invalidated => "invalidated",
        };
        f.debug_struct("Session")
            .field("state", &state)
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("changed", &self.changed)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        shared: Arc<Shared>,
        incoming: Option<CookieValue>,
        sequencing: Sequencing,
    ) -> Self {
        // Without a cookie there is no stored session to wait for: a new
        // one gets an ID nobody else has.
        let sequencing = match incoming {
            Some(_) => sequencing,
            None => Sequencing::Off,
        };
        Session {
            shared,
            state: State::Unloaded(incoming),
            data: DataMap::new(),
            changed: false,
            retired: None,
            user: None,
            logged_in: false,
            unsettled_keep: None,
            sequencing,
            turn: None,
        }
    }

    /// Loads the session now, if it has not been loaded yet. The data
    /// accessors do this on their own; call it to surface store errors early.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] when the store fails. The session stays
    /// unloaded, so a later call tries again.
    pub fn load(&mut self) -> Result<(), SessionError> {
        let State::Unloaded(cookie) = &self.state else {
            return Ok(());
        };
        let cookie = cookie.clone();
        if self.sequencing == Sequencing::FromLoad {
            self.take_turn();
        }
        self.state = match cookie {
            Some(cookie) => self.bind(cookie)?,
            None => State::Fresh,
        };
        Ok(())
    }

    /// Fetches the cookie's record and, if it is alive and decodable, binds
    /// to it (and takes its data).
    fn bind(&mut self, cookie: CookieValue) -> Result<State, SessionError> {
        let key = cookie.token.storage_key();
        let Some(record) = self
            .fetch(&key, cookie.version)
            .map_err(SessionError::Load)?
        else {
            return Ok(State::Fresh);
        };
        let (record, user) = match &record.user {
            None => (record, None),
            Some(stamp) => match self.check_user(&key, stamp)? {
                Some(checked) => checked,
                None => return Ok(State::Fresh),
            },
        };
        if record.is_ended() {
            log::debug!("session ended (logout or login elsewhere); starting a new one");
            return Ok(State::Fresh);
        }
        if record.version == 0 {
            // Version 0 cannot be put in a cookie; only a foreign writer makes it.
            log::warn!(
                "discarding a session record with an unusable version; starting a new session"
            );
            return Ok(State::Fresh);
        }
        if self.is_expired(&record) {
            log::debug!("session expired; starting a new one");
            return Ok(State::Fresh);
        }
        let binding = Binding {
            token: &cookie.token,
            key: &key,
            version: record.version,
            created_at: record.created_at,
        };
        let protection = self.shared.config.data_protection();
        match codec::open(&record.data, &binding, protection) {
            Ok(data) => {
                self.data = data;
                self.user = user;
                Ok(State::Stored(Bound {
                    token: cookie.token,
                    key,
                    version: record.version,
                    issued_at: record.issued_at,
                    expires_at: record.expires_at,
                    created_at: record.created_at,
                }))
            }
            Err(reason) => {
                log::warn!("discarding corrupt session record ({reason}); starting a new session");
                Ok(State::Fresh)
            }
        }
    }

    /// A record stamped with a user is read again with its user's
    /// generation, both strongly, whatever the first read was: the record
    /// as read then, and its user if the generation still lets it live.
    /// `None` for no session: the user's sessions were ended, or the
    /// manager has no users (a user's session never loads unchecked).
    fn check_user(
        &self,
        key: &StorageKey,
        stamp: &crate::users::UserStamp,
    ) -> Result<Option<(Record, Option<Attached>)>, SessionError> {
        let Some(users) = &self.shared.users else {
            log::warn!(
                "a session with a user reached a manager built without users; starting a new session"
            );
            return Ok(None);
        };
        // Corrupt now, though an earlier (eventual or cached) read found it
        // whole: no session, as for any corrupt record.
        let checked = users.backend.load_checked(key, &stamp.user);
        let Some((current, outcome)) =
            no_session_if_corrupt(checked).map_err(SessionError::Load)?
        else {
            return Ok(None);
        };
        let record = match outcome {
            LoadOutcome::Live(record) | LoadOutcome::Ended(record) => record,
            LoadOutcome::Missing => return Ok(None),
        };
        let user = match &record.user {
            // Rewritten without its user (by pyramid-dynamodb-sessions,
            // which keeps no attribute it does not know): a session
            // without a user, never one "as that user".
            None => None,
            Some(now) if now.user != stamp.user => return Ok(None),
            Some(now) => match users.attached(key, now, current) {
                Some(attached) => Some(attached),
                None => return Ok(None),
            },
        };
        Ok(Some((record, user)))
    }

    /// Eventually consistent read first; a strong read when the record is
    /// missing or older than the cookie, which gives read-your-writes.
    fn fetch(&self, key: &StorageKey, cookie_version: u64) -> Result<Option<Record>, BackendError> {
        let backend = &self.shared.backend;
        let first = match backend.load(key, Consistency::Eventual) {
            // An expired-looking eventual read may be a replica that has not
            // seen the latest touch yet: only a strong read may end a session.
            // A tombstone never changes again, whatever its `exp` says (in
            // JSON mode it is past at once).
            Ok(LoadOutcome::Ended(record)) => return Ok(Some(record)),
            Ok(LoadOutcome::Live(record))
                if record.version >= cookie_version && !self.is_expired(&record) =>
            {
                return Ok(Some(record))
            }
            Ok(_) => backend
                .load(key, Consistency::Strong)
                .map(LoadOutcome::into_record),
            Err(e) => Err(e),
        };
        no_session_if_corrupt(first).map(Option::flatten)
    }

    fn is_expired(&self, record: &Record) -> bool {
        self.expired_at(record.expires_at, record.created_at, self.shared.now())
    }

    /// Whether a record with these times is expired at `now`: idle past its
    /// `exp` (alive at exactly `exp`, as in the Python package) less the
    /// expiry margin, or older than the absolute lifetime.
    pub(crate) fn expired_at(&self, expires_at: i64, created_at: Option<i64>, now: i64) -> bool {
        let margin = self.shared.config.margin_secs();
        let idle = expires_at < now.saturating_add(margin);
        let too_old = match (self.shared.config.absolute_secs(), created_at) {
            (Some(lifetime), Some(created)) => created.saturating_add(lifetime) < now,
            _ => false,
        };
        idle || too_old
    }

    /// Reads the value under `key` as a `T`.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Decode`] if the
    /// stored value is not a `T`.
    pub fn get<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, SessionError> {
        self.load()?;
        self.data
            .get(key)
            .map(|value| decode_value(key, value))
            .transpose()
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Encode`] if the
    /// value cannot be serialized.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), SessionError> {
        let key = key.into();
        self.load()?;
        let value = self.encode_value(&key, value)?;
        self.will_change();
        self.data.insert(key, value);
        self.changed = true;
        Ok(())
    }

    /// Removes `key`; says whether it was there.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn remove(&mut self, key: &str) -> Result<bool, SessionError> {
        self.load()?;
        if self.data.contains_key(key) {
            self.will_change();
        }
        let removed = self.data.remove(key).is_some();
        self.changed |= removed;
        Ok(removed)
    }

    /// Whether `key` holds a value.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn contains_key(&mut self, key: &str) -> Result<bool, SessionError> {
        self.load()?;
        Ok(self.data.contains_key(key))
    }

    /// All keys, in sorted order, including the flash (`_f_…`) and CSRF
    /// (`_csrft_`) keys.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn keys(&mut self) -> Result<Vec<String>, SessionError> {
        self.load()?;
        Ok(self.data.keys().cloned().collect())
    }

    /// Number of keys.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn len(&mut self) -> Result<usize, SessionError> {
        self.load()?;
        Ok(self.data.len())
    }

    /// Whether the session holds no keys.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn is_empty(&mut self) -> Result<bool, SessionError> {
        Ok(self.len()? == 0)
    }

    /// Removes every key. The session stays (unlike [`invalidate`](Self::invalidate)).
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn clear(&mut self) -> Result<(), SessionError> {
        self.load()?;
        if !self.data.is_empty() {
            self.will_change();
            self.changed = true;
        }
        self.data.clear();
        Ok(())
    }

    /// Marks the session as changed so that commit writes it, for changes the
    /// session cannot see.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails: the data must be loaded, or
    /// the write would replace it with nothing.
    pub fn mark_changed(&mut self) -> Result<(), SessionError> {
        self.load()?;
        self.will_change();
        self.changed = true;
        Ok(())
    }

    /// Ends the session (logout): commit ends its record (a tombstone) and expires the
    /// cookie. Data set afterwards starts a new session under a new ID.
    ///
    /// Needs no store call of its own: an unloaded session is ended by the
    /// key its cookie names.
    pub fn invalidate(&mut self) {
        self.will_change();
        let ended = match std::mem::replace(&mut self.state, State::Invalidated) {
            State::Unloaded(Some(cookie)) => Some(cookie.token.storage_key()),
            State::Stored(bound) => Some(bound.key),
            // A login then a logout in one request: the old ID just ends.
            State::Unloaded(None) | State::Fresh | State::Invalidated => match &self.retired {
                Some(Retired::Login(from)) => Some(from.key),
                _ => None,
            },
        };
        if let Some(key) = ended {
            self.retired = Some(Retired::Logout(key));
        }
        self.data.clear();
        self.user = None;
        self.changed = false;
    }

    /// Moves the session to a new ID (call it on login, against session
    /// fixation): commit writes the data under a fresh ID and ends the old
    /// record, only if it is still the version this request loaded. The
    /// absolute lifetime keeps counting from the original creation.
    ///
    /// The CSRF token is dropped too (OWASP: rotate it when the privilege
    /// level changes), so a token handed out before the login no longer
    /// matches; [`csrf_token`](Self::csrf_token) draws a new one.
    /// Check the login form's token *before* calling this.
    ///
    /// ```
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// let mut session = manager.load(None);
    /// let before = session.csrf_token()?;
    /// session.regenerate_id()?;
    /// assert!(!session.check_csrf_token(&before)?);
    /// assert_ne!(session.csrf_token()?, before);
    /// # Ok::<(), dynamodb_sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails.
    pub fn regenerate_id(&mut self) -> Result<(), SessionError> {
        self.load()?;
        self.will_change();
        if let State::Stored(bound) = &self.state {
            self.retired = Some(Retired::Login(bound.clone()));
            self.state = State::Fresh;
        }
        self.drop_csrf_token();
        self.changed = true;
        Ok(())
    }

    /// Takes the session's turn before a change, if this request waits for
    /// it from its first change ([`Sequencing::FromFirstChange`]).
    pub(crate) fn will_change(&mut self) {
        if self.sequencing == Sequencing::FromFirstChange {
            self.take_turn();
        }
    }

    /// Takes the turn of the session this request's cookie names (waiting
    /// for it, within bounds), once.
    fn take_turn(&mut self) {
        self.sequencing = Sequencing::Off;
        let key = match &self.state {
            State::Unloaded(Some(cookie)) => cookie.token.storage_key(),
            State::Stored(bound) => bound.key,
            // Nothing stored to wait for: what this request writes goes
            // under a new ID.
            State::Unloaded(None) | State::Fresh | State::Invalidated => return,
        };
        self.turn = self.shared.sequencer.take(key);
    }

    /// Whether the session has been loaded (or needs no load any more).
    /// The storage key this session is stored under, once loaded.
    pub(crate) fn bound_key(&self) -> Option<StorageKey> {
        match &self.state {
            State::Stored(bound) => Some(bound.key),
            _ => None,
        }
    }

    /// After an advance that kept this session: it is stored as `record`
    /// now, with `kept` as its user.
    pub(crate) fn kept_as(&mut self, record: &Record, kept: Attached) {
        if let State::Stored(bound) = &mut self.state {
            bound.version = record.version;
            bound.issued_at = record.issued_at;
            bound.expires_at = record.expires_at;
        }
        self.user = Some(kept);
    }

    pub(crate) fn is_loaded(&self) -> bool {
        !matches!(self.state, State::Unloaded(_))
    }
}

impl Session {
    /// Converts a value for storage; in JSON mode, refuses at once what
    /// JSON cannot hold rather than failing at commit.
    pub(crate) fn encode_value<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<Value, SessionError> {
        let value = Value::serialized(value).map_err(|source| SessionError::encode(key, source))?;
        if self.shared.config.data_encoding() == DataEncoding::Json {
            codec::to_json(&value).map_err(|reason| SessionError::NotJson {
                key: key.to_owned(),
                reason,
            })?;
        }
        Ok(value)
    }
}

/// A read that found a corrupt record: no session (`None`), said at warn
/// level with the reason, which names no value.
fn no_session_if_corrupt<T>(read: Result<T, BackendError>) -> Result<Option<T>, BackendError> {
    match read {
        Ok(found) => Ok(Some(found)),
        Err(BackendError::Corrupt { reason }) => {
            log::warn!("discarding corrupt session record ({reason}); starting a new session");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

pub(crate) fn decode_value<T: DeserializeOwned>(
    key: &str,
    value: &Value,
) -> Result<T, SessionError> {
    value.deserialized().map_err(|_| SessionError::Decode {
        key: key.to_owned(),
        expected: std::any::type_name::<T>(),
    })
}

// A session may be handed to another thread (a worker pool, a blocking
// task), turn and all.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<Session>();
};

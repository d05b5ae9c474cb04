//! What commit writes: the state table of DESIGN.md, in one place.

use crate::codec;
use crate::session::{Bound, Retired, Session};
use crate::session_cookie::{self, CookieValue};
use crate::{
    ensure_item_fits, BackendError, CommitError, CreateOutcome, DeleteOutcome, Operation, Record,
    ReplaceOutcome, StorageKey, Token, TouchOutcome,
};

/// How many fresh IDs a create tries before giving up. With 256-bit IDs a
/// second attempt already means something other than bad luck is wrong.
const CREATE_ATTEMPTS: u32 = 3;

/// The write a commit makes, decided and size-checked before anything is written.
enum Write {
    Nothing,
    Create(Record),
    Replace(Bound, Record),
    Touch(Bound),
}

impl Session {
    pub(crate) fn commit(self, is_https: bool) -> Result<Option<String>, CommitError> {
        if !self.loaded {
            return Ok(None);
        }
        let now = self.shared.now();
        let write = self.plan(now)?;
        let backend = &self.shared.backend;
        let config = &self.shared.config;

        if let Some(Retired::Logout(key)) = self.retired {
            backend.delete(&key)?;
        }
        let mut created = None;
        let cookie = match write {
            Write::Nothing if self.invalidated => Some(session_cookie::expire(config, is_https)),
            Write::Nothing => None,
            Write::Create(record) => {
                let token = self.create(&record)?;
                let value = CookieValue::render(&token, 1);
                created = Some(token.storage_key());
                Some(session_cookie::issue(config, value, is_https))
            }
            Write::Replace(bound, record) => {
                match backend.replace(&bound.key, bound.version, &record)? {
                    ReplaceOutcome::Replaced => {}
                    ReplaceOutcome::Conflict => return Err(CommitError::Conflict),
                }
                let value = CookieValue::render(&bound.token, record.version);
                Some(session_cookie::issue(config, value, is_https))
            }
            Write::Touch(bound) => {
                let expires_at = self.expiry(now, bound.created_at);
                match backend.touch(&bound.key, now, expires_at)? {
                    TouchOutcome::Touched => {
                        let value = CookieValue::render(&bound.token, bound.version);
                        Some(session_cookie::issue(config, value, is_https))
                    }
                    // Deleted meanwhile (logout elsewhere, or TTL): the
                    // cookie points at nothing, so drop it.
                    TouchOutcome::Missing => Some(session_cookie::expire(config, is_https)),
                }
            }
        };
        if let Some(Retired::Login { key, version }) = self.retired {
            self.finish_login(&key, version, created.as_ref())?;
        }
        Ok(cookie)
    }

    /// Deletes the pre-login record if it is still the loaded version. If it
    /// changed or ended meanwhile, or the delete fails, the move is undone so
    /// that nothing is half-written: the new record goes, the old one stays
    /// as the other request left it.
    fn finish_login(
        &self,
        old: &StorageKey,
        version: u64,
        created: Option<&StorageKey>,
    ) -> Result<(), CommitError> {
        let backend = &self.shared.backend;
        let failure = match backend.delete_at_version(old, version) {
            Ok(DeleteOutcome::Deleted) => return Ok(()),
            Ok(DeleteOutcome::Conflict) => CommitError::Conflict,
            Err(error) => CommitError::Backend(error),
        };
        if let Some(new) = created {
            if let Err(error) = backend.delete(new) {
                log::warn!(
                    "could not undo an unfinished login ({error}); the new record expires by its TTL"
                );
            }
        }
        Err(failure)
    }

    /// Decides the write and builds its record, refusing oversized items
    /// before anything touches the store.
    fn plan(&self, now: i64) -> Result<Write, CommitError> {
        // A session that expired while the request ran is never written again.
        let alive = self
            .bound
            .as_ref()
            .filter(|b| !self.expired_at(b.expires_at, b.created_at, now));
        match alive {
            Some(bound) if self.changed => {
                let version = bound.version.checked_add(1).ok_or(CommitError::Conflict)?;
                let record = self.record(now, version, bound.created_at.unwrap_or(now))?;
                self.check_size(&bound.key, &record)?;
                Ok(Write::Replace(bound.clone(), record))
            }
            Some(bound)
                if now.saturating_sub(bound.issued_at) > self.shared.config.reissue_secs() =>
            {
                Ok(Write::Touch(bound.clone()))
            }
            Some(_) => Ok(Write::Nothing),
            // An empty new session is not worth a record or a cookie.
            None if self.changed && !self.data.is_empty() => {
                let record = self.record(now, 1, self.carried_created_at.unwrap_or(now))?;
                // Every key has the same length, so any key measures the item.
                self.check_size(&StorageKey::from_bytes([0; 32]), &record)?;
                Ok(Write::Create(record))
            }
            None => Ok(Write::Nothing),
        }
    }

    fn record(&self, now: i64, version: u64, created_at: i64) -> Result<Record, CommitError> {
        Ok(Record {
            version,
            issued_at: now,
            expires_at: self.expiry(now, Some(created_at)),
            created_at: Some(created_at),
            data: codec::encode(&self.data, self.shared.config.data_encoding())?,
        })
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

    fn check_size(&self, key: &StorageKey, record: &Record) -> Result<(), CommitError> {
        ensure_item_fits(Operation::Replace, key, record).map_err(|error| match error {
            BackendError::ItemTooLarge {
                size: Some(size),
                limit,
                ..
            } => CommitError::TooLarge { size, limit },
            other => CommitError::Backend(other),
        })
    }

    /// Creates the record under a fresh ID, drawing again on a collision.
    fn create(&self, record: &Record) -> Result<Token, CommitError> {
        for _ in 0..CREATE_ATTEMPTS {
            let token = Token::generate().map_err(CommitError::Random)?;
            match self.shared.backend.create(&token.storage_key(), record)? {
                CreateOutcome::Created => return Ok(token),
                CreateOutcome::AlreadyExists => {
                    log::warn!("a freshly drawn session ID already existed; drawing another");
                }
            }
        }
        Err(CommitError::IdCollision {
            attempts: CREATE_ATTEMPTS,
        })
    }
}

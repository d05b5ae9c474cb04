//! Flash messages: values queued for the next request, stored under
//! `_f_<queue>` as Pyramid stores them.

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::session::decode_value;
use crate::{Session, SessionError};

fn queue_key(queue: &str) -> String {
    format!("_f_{queue}")
}

impl Session {
    /// Adds `message` to the flash `queue` (`""` is the default queue). With
    /// `allow_duplicate` false, a message already queued is not added again.
    ///
    /// ```
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// let mut session = manager.load(None);
    /// session.flash("Saved.", "", false)?;
    /// session.flash("Saved.", "", false)?;
    /// assert_eq!(session.pop_flash::<String>("")?, vec!["Saved.".to_string()]);
    /// assert!(session.pop_flash::<String>("")?.is_empty());
    /// # Ok::<(), dynamodb_sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Encode`] if the
    /// message cannot be serialized.
    pub fn flash<T: Serialize + ?Sized>(
        &mut self,
        message: &T,
        queue: &str,
        allow_duplicate: bool,
    ) -> Result<(), SessionError> {
        self.load()?;
        let key = queue_key(queue);
        let message = self.encode_value(&key, message)?;
        self.will_change();
        let slot = self
            .data
            .entry(key)
            .or_insert_with(|| Value::Array(Vec::new()));
        if !matches!(slot, Value::Array(_)) {
            // Not a list (written by something else): start the queue afresh.
            *slot = Value::Array(Vec::new());
        }
        if let Value::Array(messages) = slot {
            if allow_duplicate || !messages.contains(&message) {
                messages.push(message);
                self.changed = true;
            }
        }
        Ok(())
    }

    /// Adds `message` to the default flash queue, duplicates included:
    /// shorthand for [`flash(message, "", true)`](Self::flash), Pyramid's
    /// `session.flash(message)`.
    ///
    /// ```
    /// use dynamodb_sessions_core::{SessionConfig, SessionManager};
    /// use dynamodb_sessions::MemoryBackend;
    ///
    /// let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    /// let mut session = manager.load(None);
    /// session.flash_message("Welcome back.")?;
    /// assert_eq!(session.peek_flash_messages::<String>()?, ["Welcome back."]);
    /// assert_eq!(session.pop_flash_messages::<String>()?, ["Welcome back."]);
    /// assert!(session.pop_flash_messages::<String>()?.is_empty());
    /// # Ok::<(), dynamodb_sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`flash`](Self::flash).
    pub fn flash_message<T: Serialize + ?Sized>(
        &mut self,
        message: &T,
    ) -> Result<(), SessionError> {
        self.flash(message, "", true)
    }

    /// Removes and returns the messages in the default flash queue:
    /// shorthand for [`pop_flash("")`](Self::pop_flash).
    ///
    /// # Errors
    ///
    /// As [`pop_flash`](Self::pop_flash).
    pub fn pop_flash_messages<T: DeserializeOwned>(&mut self) -> Result<Vec<T>, SessionError> {
        self.pop_flash("")
    }

    /// Returns the messages in the default flash queue without removing
    /// them: shorthand for [`peek_flash("")`](Self::peek_flash).
    ///
    /// # Errors
    ///
    /// As [`peek_flash`](Self::peek_flash).
    pub fn peek_flash_messages<T: DeserializeOwned>(&mut self) -> Result<Vec<T>, SessionError> {
        self.peek_flash("")
    }

    /// Removes and returns the messages in `queue`. Popping an empty queue
    /// changes nothing, so it costs no write.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Decode`] if a
    /// message is not a `T` (the queue is then left as it was).
    pub fn pop_flash<T: DeserializeOwned>(&mut self, queue: &str) -> Result<Vec<T>, SessionError> {
        let messages = self.peek_flash(queue)?;
        if !messages.is_empty() {
            self.will_change();
            self.data.remove(&queue_key(queue));
            self.changed = true;
        }
        Ok(messages)
    }

    /// Returns the messages in `queue` without removing them.
    ///
    /// # Errors
    ///
    /// [`SessionError::Load`] if loading fails, [`SessionError::Decode`] if a
    /// message is not a `T`.
    pub fn peek_flash<T: DeserializeOwned>(&mut self, queue: &str) -> Result<Vec<T>, SessionError> {
        self.load()?;
        let key = queue_key(queue);
        match self.data.get(&key) {
            Some(Value::Array(messages)) => messages
                .iter()
                .map(|message| decode_value(&key, message))
                .collect(),
            _ => Ok(Vec::new()),
        }
    }
}

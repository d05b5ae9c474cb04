//! The backend's logic on any client: one item per session, conditional
//! writes, retries under one deadline per call, and the exact decision of a
//! write whose answer was lost. Written once; each client only maps its
//! requests ([`Wire`]).

use std::time::Instant;

use dynamodb_sessions_core::{
    store::Operation,
    store::{
        ensure_item_fits, ensure_version_grows, Consistency, CreateOutcome, EndOutcome, Record,
        ReplaceOutcome, StorageKey, TouchOutcome,
    },
    BackendError,
};

use super::attribute::{Attribute, Item};
use super::condition::{self, Condition};
use super::item::{from_item, key_item, stored_identity, to_item, WID};
use super::outcome::{decide, decide_create, new_write_id, Decision, WriteId};
use super::replication::KnownMode;
use super::retry::{execute, execute_with, Resend, RetryConfig, Stop};
use super::wire::Wire;

/// A sessions table reached through the client `W`.
pub(crate) struct SessionTable<W> {
    pub(crate) wire: W,
    pub(crate) name: String,
    pub(crate) retry: RetryConfig,
    /// Whether writes over 400 KB are refused before they are sent.
    pub(crate) check_item_size: bool,
    /// Whether the table was found strongly consistent across regions
    /// (then no transaction is sent).
    pub(crate) mode: KnownMode,
}

type ItemOf<W> = Item<<W as Wire>::Value>;

impl<W: Wire> SessionTable<W> {
    pub(crate) async fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<Option<Record>, BackendError> {
        let operation = Operation::Load;
        let deadline = self.retry.deadline();
        let item = self.get_item(operation, key, consistency, deadline).await?;
        item.as_ref().map(from_item).transpose()
    }

    /// A create, sent at most once to `key`: an attempt refused for sure
    /// (throttled, never sent) is retried, but after one whose answer was
    /// lost no copy follows: one copy could make the session and the other
    /// land after it ended and its tombstone was gone, reviving it. The key
    /// is read instead (strongly, within the call's deadline): our identity
    /// there is Created, another record AlreadyExists, and nothing there
    /// [`BackendError::OutcomeUnknown`], on which the caller gives the key
    /// up (as it does on any error: a failed read reports its own).
    pub(crate) async fn create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        let operation = Operation::Create;
        let deadline = self.retry.deadline();
        self.check_size(operation, key, record)?;
        let (write_id, item) = identified_item::<W>(operation, key, record)?;
        let expression = Condition::Absent.expression();
        let sent = execute_with(
            &self.retry,
            operation,
            deadline,
            Resend::OnlyIfRefused,
            || self.wire.put_item(&self.name, item.clone(), &expression),
        )
        .await;
        let lost = match sent {
            Ok(()) => return Ok(CreateOutcome::Created),
            // Only ever after certain refusals: nothing was sent twice.
            Err(Stop::ConditionFailed { .. }) => return Ok(CreateOutcome::AlreadyExists),
            Err(Stop::Error(error)) => return Err(error),
            Err(Stop::MaybeApplied(error)) => error,
        };
        let item = self
            .get_item(operation, key, Consistency::Strong, deadline)
            .await?;
        let stored = item.as_ref().map(stored_identity).transpose()?;
        let decision = decide_create(&write_id, stored);
        log::debug!("session create: a lost answer ({lost}) decided as {decision:?}");
        match decision {
            Decision::Applied => Ok(CreateOutcome::Created),
            Decision::NotApplied => Ok(CreateOutcome::AlreadyExists),
            Decision::Unknown => Err(BackendError::OutcomeUnknown { operation }),
        }
    }

    pub(crate) async fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        ensure_version_grows(expected_version, record)?;
        let condition = Condition::AtVersion(expected_version);
        let replaced = self
            .write(Operation::Replace, key, record, condition)
            .await?;
        Ok(match replaced {
            true => ReplaceOutcome::Replaced,
            false => ReplaceOutcome::Conflict,
        })
    }

    pub(crate) async fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let operation = Operation::Touch;
        let deadline = self.retry.deadline();
        let (update, condition) = condition::touch(expected_version, issued_at, expires_at);
        let key_item = key_item(key);
        match execute(&self.retry, operation, deadline, || {
            self.wire
                .update_item(&self.name, key_item.clone(), &update, &condition)
        })
        .await
        {
            Ok(()) => Ok(TouchOutcome::Touched),
            Err(Stop::ConditionFailed { ambiguous: false }) => Ok(TouchOutcome::Conflict),
            // The record moved on after an attempt that may have touched it:
            // a touch leaves no identity to tell.
            Err(Stop::ConditionFailed { ambiguous: true }) => {
                Err(BackendError::OutcomeUnknown { operation })
            }
            Err(Stop::Error(error) | Stop::MaybeApplied(error)) => Err(error),
        }
    }

    pub(crate) async fn end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        let operation = Operation::End;
        let deadline = self.retry.deadline();
        self.check_size(operation, key, tombstone)?;
        let (decision, stored) = self
            .put_keeping_check(operation, key, tombstone, Condition::Live, deadline)
            .await?;
        if decision == Decision::Applied {
            return Ok(EndOutcome::Ended);
        }
        // The condition failed: the record was missing or had ended. A lost
        // answer may hide our own end, which the identity decides.
        let stored = match stored {
            Some(stored) => stored,
            None => {
                self.get_item(operation, key, Consistency::Strong, deadline)
                    .await?
            }
        };
        let Some(item) = stored else {
            return Ok(EndOutcome::Missing);
        };
        let record = from_item(&item)?;
        if !record.is_ended() {
            return Err(BackendError::OutcomeUnknown { operation });
        }
        Ok(EndOutcome::AlreadyEnded {
            successor: record.successor,
        })
    }

    pub(super) async fn get_item(
        &self,
        operation: Operation,
        key: &StorageKey,
        consistency: Consistency,
        deadline: Instant,
    ) -> Result<Option<ItemOf<W>>, BackendError> {
        let key_item = key_item(key);
        let consistent = consistency == Consistency::Strong;
        execute(&self.retry, operation, deadline, || {
            self.wire.get_item(&self.name, key_item.clone(), consistent)
        })
        .await
        .map_err(|stop| stop_error(operation, stop))
    }

    /// A whole call of a replace's conditional put: whether it was
    /// applied, or [`BackendError::OutcomeUnknown`] when nothing proves
    /// either.
    async fn write(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
        condition: Condition,
    ) -> Result<bool, BackendError> {
        let deadline = self.retry.deadline();
        self.check_size(operation, key, record)?;
        let (decision, _) = self
            .put_keeping_check(operation, key, record, condition, deadline)
            .await?;
        match decision {
            Decision::Applied => Ok(true),
            Decision::NotApplied => Ok(false),
            Decision::Unknown => Err(BackendError::OutcomeUnknown { operation }),
        }
    }

    /// A conditional PutItem of `record` under a fresh write identity, with
    /// the item the check read, if one was made (`Some(None)`: the key was
    /// empty). On a failed condition after an attempt that may have been
    /// applied, the item is read (strongly, within the same deadline) and
    /// the identity decides: never the content.
    async fn put_keeping_check(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
        condition: Condition,
        deadline: Instant,
    ) -> Result<(Decision, Option<Option<ItemOf<W>>>), BackendError> {
        let (write_id, item) = identified_item::<W>(operation, key, record)?;
        let expression = condition.expression();
        match execute(&self.retry, operation, deadline, || {
            self.wire.put_item(&self.name, item.clone(), &expression)
        })
        .await
        {
            Ok(()) => Ok((Decision::Applied, None)),
            Err(Stop::ConditionFailed { ambiguous: false }) => Ok((Decision::NotApplied, None)),
            Err(Stop::ConditionFailed { ambiguous: true }) => {
                let item = self
                    .get_item(operation, key, Consistency::Strong, deadline)
                    .await?;
                let stored = item.as_ref().map(stored_identity).transpose()?;
                let decision = decide(condition.expected(), record.version, &write_id, stored);
                log::debug!("session {operation}: a lost answer decided as {decision:?}");
                Ok((decision, Some(item)))
            }
            Err(Stop::Error(error) | Stop::MaybeApplied(error)) => Err(error),
        }
    }

    pub(super) fn check_size(
        &self,
        operation: Operation,
        key: &StorageKey,
        record: &Record,
    ) -> Result<(), BackendError> {
        if !self.check_item_size {
            return Ok(());
        }
        ensure_item_fits(operation, key, record)
    }
}

/// `record`'s item under `key` with a fresh write identity, and the identity.
pub(super) fn identified_item<W: Wire>(
    operation: Operation,
    key: &StorageKey,
    record: &Record,
) -> Result<(WriteId, ItemOf<W>), BackendError> {
    let write_id = new_write_id().ok_or(BackendError::Rejected {
        operation,
        source: "the operating system has no random bytes for a write identity".into(),
    })?;
    let mut item: ItemOf<W> = to_item(operation, key, record)?;
    item.insert(WID.to_owned(), W::Value::binary(&write_id));
    Ok((write_id, item))
}

/// The error for a stop that is not an expected condition failure.
pub(super) fn stop_error(operation: Operation, stop: Stop) -> BackendError {
    match stop {
        Stop::Error(error) | Stop::MaybeApplied(error) => error,
        // Only reachable for an operation without a condition.
        Stop::ConditionFailed { .. } => BackendError::Rejected {
            operation,
            source: "unexpected conditional check failure".into(),
        },
    }
}

//! The operations of users' sessions on any client: the strong reads of a
//! user's generation, its conditional increment (alone, or in one
//! transaction with the record of the session that stays), and the listing
//! through the user index. See `UserSessions` in the core crate for the
//! contract.

use std::time::Instant;

use dynamodb_sessions_core::{
    store::{ensure_version_grows, Consistency, Operation, Record, StorageKey},
    users::{AdvanceOutcome, Keep, Listed, UserRef},
    BackendError,
};

use super::condition::Condition;
use super::item::from_item;
use super::replication::TransactionsUnsupported;
use super::retry::{execute, execute_with, Resend, Stop};
use super::session_table::{identified_item, stop_error, SessionTable};
use super::transaction::{ConditionsFailed, TransactWrite};
use super::user_items::{self, generation_key, generation_of, listed, user_query, USER_INDEX};
use super::wire::Wire;

/// What `list` says on a table without the user index.
pub(crate) const NO_USER_INDEX: &str = "the table has no global secondary index `usr-index`, \
     which listing a user's sessions needs; add it with the backend's \
     `create_user_index_if_missing` (or the AWS CLI command in the crate's guide)";

/// The actions of an advance that keeps a record, in this order: the
/// cancellation reasons name them by position.
const GENERATION_ACTION: usize = 0;
const KEPT_ACTION: usize = 1;

impl<W: Wire> SessionTable<W> {
    /// `user`'s generation, read strongly.
    pub(crate) async fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        let deadline = self.retry.deadline();
        self.read_generation(Operation::Generation, user, deadline)
            .await
    }

    /// `user`'s generation, then the record under `key`, both strongly, in
    /// that order, under one deadline.
    pub(crate) async fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, Option<Record>), BackendError> {
        let operation = Operation::LoadChecked;
        let deadline = self.retry.deadline();
        // The generation first: an advance that keeps a record writes the
        // record with the new generation in one transaction, so a record
        // read after the generation is at least as new as it. Read the
        // other way round, the kept session could be seen at its old
        // version and stamp beside the new generation, and taken as ended.
        let generation = self.read_generation(operation, user, deadline).await?;
        let item = self
            .get_item(operation, key, Consistency::Strong, deadline)
            .await?;
        let record = item.as_ref().map(from_item).transpose()?;
        Ok((generation, record))
    }

    /// Moves `user`'s generation from `expected` to `expected + 1`; with
    /// `keep`, in one transaction with the kept record's conditional put.
    pub(crate) async fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let operation = Operation::Advance;
        let deadline = self.retry.deadline();
        let (update, condition) = user_items::advance(expected)?;
        let key = generation_key(user);
        let Some(keep) = keep else {
            let sent = execute(&self.retry, operation, deadline, || {
                self.wire
                    .update_item(&self.name, key.clone(), &update, &condition)
            })
            .await;
            return match sent {
                Ok(()) => Ok(AdvanceOutcome::Advanced),
                // After a lost answer the increment found may be ours: the
                // caller then moves it once more, which is as good.
                Err(Stop::ConditionFailed { .. }) => {
                    let current = self.read_generation(operation, user, deadline).await?;
                    Ok(AdvanceOutcome::GenerationMoved { current })
                }
                Err(Stop::Error(error) | Stop::MaybeApplied(error)) => Err(error),
            };
        };
        // A table in multi-Region strong consistency refuses every
        // transaction: say so without sending one.
        if self.mode.strong() {
            return Err(BackendError::Rejected {
                operation,
                source: Box::new(TransactionsUnsupported),
            });
        }
        ensure_version_grows(keep.expected_version, keep.record)?;
        self.check_size(operation, keep.key, keep.record)?;
        let (_, item) = identified_item::<W>(operation, keep.key, keep.record)?;
        // In the order of GENERATION_ACTION and KEPT_ACTION.
        let writes = vec![
            TransactWrite::Update {
                key,
                update,
                condition,
            },
            TransactWrite::Put {
                item,
                condition: Condition::AtVersion(keep.expected_version).expression(),
            },
        ];
        let token = request_token(operation)?;
        // Sent again only after a certain refusal, under the same token: a
        // lost answer is the caller's to settle by reading back.
        let sent = execute_with(
            &self.retry,
            operation,
            deadline,
            Resend::OnlyIfRefused,
            || self.wire.transact_write(&self.name, writes.clone(), &token),
        )
        .await;
        let failed = match sent {
            Ok(Ok(())) => return Ok(AdvanceOutcome::Advanced),
            Ok(Err(failed)) => failed,
            // Never sent again after a lost answer, so this is certain.
            Err(Stop::ConditionFailed { .. }) => ConditionsFailed { failed: None },
            Err(Stop::Error(error) | Stop::MaybeApplied(error)) => return Err(error),
        };
        self.decide_cancelled(user, expected, keep, &failed, deadline)
            .await
    }

    /// Which condition of a cancelled advance failed: nothing was written.
    /// A generation and a record version only ever grow, so a condition
    /// that fails now failed then, and one that holds now held then.
    async fn decide_cancelled(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Keep<'_>,
        failed: &ConditionsFailed,
        deadline: Instant,
    ) -> Result<AdvanceOutcome, BackendError> {
        let operation = Operation::Advance;
        if failed.failed(GENERATION_ACTION) == Some(false)
            && failed.failed(KEPT_ACTION) == Some(true)
        {
            return Ok(AdvanceOutcome::KeptChanged);
        }
        let current = self.read_generation(operation, user, deadline).await?;
        if current != expected {
            return Ok(AdvanceOutcome::GenerationMoved { current });
        }
        if failed.failed(KEPT_ACTION) == Some(true) {
            return Ok(AdvanceOutcome::KeptChanged);
        }
        // DynamoDB did not say which failed: the record tells.
        let stored = self
            .get_item(operation, keep.key, Consistency::Strong, deadline)
            .await?;
        let version = stored
            .as_ref()
            .map(from_item)
            .transpose()?
            .map(|r| r.version);
        if version != Some(keep.expected_version) {
            return Ok(AdvanceOutcome::KeptChanged);
        }
        Err(BackendError::Rejected {
            operation,
            source: "DynamoDB cancelled the transaction, and both its conditions hold".into(),
        })
    }

    /// The user's live records (and maybe some ended ones) from the user
    /// index, page by page under one deadline.
    pub(crate) async fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        let operation = Operation::List;
        let deadline = self.retry.deadline();
        let condition = user_query(user);
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let page = execute(&self.retry, operation, deadline, || {
                self.wire
                    .query(&self.name, USER_INDEX, &condition, start.clone())
            })
            .await
            .map_err(|stop| stop_error(operation, stop))?
            .ok_or(BackendError::Rejected {
                operation,
                source: NO_USER_INDEX.into(),
            })?;
            for item in &page.items {
                entries.extend(listed(item)?);
            }
            match page.next {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(entries),
            }
        }
    }

    async fn read_generation(
        &self,
        operation: Operation,
        user: &UserRef,
        deadline: Instant,
    ) -> Result<u64, BackendError> {
        let key = generation_key(user);
        let item = execute(&self.retry, operation, deadline, || {
            self.wire.get_item(&self.name, key.clone(), true)
        })
        .await
        .map_err(|stop| stop_error(operation, stop))?;
        generation_of(item.as_ref())
    }
}

/// A fresh `ClientRequestToken` for one transaction call: 32 hex digits.
fn request_token(operation: Operation) -> Result<String, BackendError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|_| BackendError::Rejected {
        operation,
        source: "the operating system has no random bytes for a request token".into(),
    })?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

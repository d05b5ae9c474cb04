//! A [`SessionTable`] behind a blocking API: the runtime it runs on, and
//! `Backend` for every client's backend type.

use std::future::Future;

use dynamodb_sessions_core::{store::Operation, BackendError};

use super::provision::{self, ProvisionError, ProvisionReport, ProvisionWire};
use super::runtime::OwnedRuntime;
use super::session_table::SessionTable;
use super::wire::Wire;

/// A session table and the runtime its requests run on. Each public backend
/// is an `Arc` of one, so clones share the runtime and the client's
/// connection pool.
pub(crate) struct BlockingTable<W> {
    pub(crate) table: SessionTable<W>,
    pub(crate) runtime: OwnedRuntime,
}

impl<W: Wire> BlockingTable<W> {
    /// Runs one backend operation on the runtime.
    pub(crate) fn run<T: Send>(
        &self,
        operation: Operation,
        future: impl Future<Output = Result<T, BackendError>> + Send,
    ) -> Result<T, BackendError> {
        self.runtime
            .block_on(future)
            .map_err(|error| BackendError::Unavailable {
                operation,
                attempts: 0,
                source: Box::new(error),
            })?
    }
}

impl<W: Wire + ProvisionWire> BlockingTable<W> {
    /// Creates the table unless it exists, and enables TTL; each request
    /// tried once, under the attempt timeout.
    pub(crate) fn create_table_if_missing(&self) -> Result<ProvisionReport, ProvisionError> {
        let table = &self.table;
        self.runtime
            .block_on(provision::provision(
                &table.wire,
                &table.name,
                table.retry.attempt_timeout,
            ))
            .map_err(ProvisionError::Thread)?
    }
}

/// Implements `Backend` for a public backend type whose field `inner`
/// derefs to a [`BlockingTable`]: each call runs the table's operation on
/// its runtime.
macro_rules! backend_via_table {
    ($backend:ty) => {
        impl dynamodb_sessions_core::store::Backend for $backend {
            fn load(
                &self,
                key: &dynamodb_sessions_core::store::StorageKey,
                consistency: dynamodb_sessions_core::store::Consistency,
            ) -> Result<
                dynamodb_sessions_core::store::LoadOutcome,
                dynamodb_sessions_core::BackendError,
            > {
                self.inner
                    .run(
                        dynamodb_sessions_core::store::Operation::Load,
                        self.inner.table.load(key, consistency),
                    )
                    .map(dynamodb_sessions_core::store::LoadOutcome::from_stored)
            }

            fn create(
                &self,
                key: &dynamodb_sessions_core::store::StorageKey,
                record: &dynamodb_sessions_core::store::Record,
            ) -> Result<
                dynamodb_sessions_core::store::CreateOutcome,
                dynamodb_sessions_core::BackendError,
            > {
                self.inner.run(
                    dynamodb_sessions_core::store::Operation::Create,
                    self.inner.table.create(key, record),
                )
            }

            fn replace(
                &self,
                key: &dynamodb_sessions_core::store::StorageKey,
                expected_version: u64,
                record: &dynamodb_sessions_core::store::Record,
            ) -> Result<
                dynamodb_sessions_core::store::ReplaceOutcome,
                dynamodb_sessions_core::BackendError,
            > {
                self.inner.run(
                    dynamodb_sessions_core::store::Operation::Replace,
                    self.inner.table.replace(key, expected_version, record),
                )
            }

            fn touch(
                &self,
                key: &dynamodb_sessions_core::store::StorageKey,
                expected_version: u64,
                issued_at: i64,
                expires_at: i64,
            ) -> Result<
                dynamodb_sessions_core::store::TouchOutcome,
                dynamodb_sessions_core::BackendError,
            > {
                self.inner.run(
                    dynamodb_sessions_core::store::Operation::Touch,
                    self.inner
                        .table
                        .touch(key, expected_version, issued_at, expires_at),
                )
            }

            fn end(
                &self,
                key: &dynamodb_sessions_core::store::StorageKey,
                tombstone: &dynamodb_sessions_core::store::Record,
            ) -> Result<
                dynamodb_sessions_core::store::EndOutcome,
                dynamodb_sessions_core::BackendError,
            > {
                self.inner.run(
                    dynamodb_sessions_core::store::Operation::End,
                    self.inner.table.end(key, tombstone),
                )
            }
        }
    };
}
pub(crate) use backend_via_table;

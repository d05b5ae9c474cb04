//! A [`SessionTable`] behind a blocking API: the runtime it runs on.

use std::future::Future;

use dynamodb_sessions_core::{store::Operation, BackendError};

use super::provision::{self, ProvisionError, ProvisionReport, ProvisionWire};
use super::replication::TableReplication;
use super::runtime::OwnedRuntime;
use super::session_table::SessionTable;
use super::sweep::{SweepOptions, SweepReport};
use super::wire::Wire;

/// A session table and the runtime its requests run on. Each public backend
/// holds an `Arc` of one, so clones share the runtime and the client's
/// connection pool.
pub(crate) struct BlockingTable<W> {
    pub(crate) table: SessionTable<W>,
    pub(crate) runtime: OwnedRuntime,
}

impl<W: Wire> BlockingTable<W> {
    /// Deletes expired items (see `sweep.rs`); `now` is unix seconds.
    pub(crate) fn sweep(
        &self,
        options: &SweepOptions,
        now: i64,
    ) -> Result<SweepReport, BackendError> {
        self.run(Operation::Sweep, self.table.sweep(options, now))
    }

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
    /// Creates the table unless it exists, and enables TTL where the table
    /// can have it; each request tried once, under the attempt timeout.
    /// Remembers the table's mode.
    pub(crate) fn create_table_if_missing(&self) -> Result<ProvisionReport, ProvisionError> {
        let table = &self.table;
        let (report, replication) = self
            .runtime
            .block_on(provision::provision(
                &table.wire,
                &table.name,
                table.retry.attempt_timeout,
            ))
            .map_err(ProvisionError::Thread)??;
        table.mode.learn(&replication);
        Ok(report)
    }

    /// Adds the user index unless the table has it, and waits until it is
    /// active; each request tried once, under the attempt timeout.
    pub(crate) fn create_user_index_if_missing(&self) -> Result<bool, ProvisionError> {
        let table = &self.table;
        self.runtime
            .block_on(provision::add_user_index(
                &table.wire,
                &table.name,
                table.retry.attempt_timeout,
            ))
            .map_err(ProvisionError::Thread)?
    }

    /// Whether the table is a global table, and in which mode; one
    /// DescribeTable under the attempt timeout.
    /// Remembers the table's mode.
    pub(crate) fn replication(&self) -> Result<TableReplication, ProvisionError> {
        let table = &self.table;
        let replication = self
            .runtime
            .block_on(provision::replication(
                &table.wire,
                &table.name,
                table.retry.attempt_timeout,
            ))
            .map_err(ProvisionError::Thread)??;
        table.mode.learn(&replication);
        Ok(replication)
    }
}

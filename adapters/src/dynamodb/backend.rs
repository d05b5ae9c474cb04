//! The backend on any client: its inherent methods, its `Debug`, and
//! [`Backend`], each call run on the backend's own runtime.

use std::fmt;
use std::sync::Arc;

use dynamodb_sessions_core::store::{
    Backend, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record, ReplaceOutcome,
    StorageKey, TouchOutcome,
};
use dynamodb_sessions_core::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};
use dynamodb_sessions_core::{store::Operation, BackendError};

use super::build_error::BuildError;
use super::builder::DynamoDbBackendBuilderOn;
use super::client::Client;
use super::environment::Placement;
use crate::table::{
    unix_now, BlockingTable, ProvisionError, ProvisionReport, RetryConfig, SweepOptions,
    SweepReport, TableReplication,
};

/// Session storage in a DynamoDB table through the client `C`, with a
/// blocking API: [`DynamoDbBackend`](super::DynamoDbBackend) on rusoto,
/// [`AwsSdkBackend`] on the official AWS SDK for Rust.
///
/// Every client behaves the same — the same items, conditions, retries,
/// deadlines, errors and decisions, from the same code — and differs only
/// in how it finds credentials and in its DynamoDB API model (see
/// [`Client`]). See the [module documentation](super) for the item layout,
/// the threading model and how failures are reported.
///
/// ```no_run
/// use dynamodb_sessions::store::{Backend, Consistency, LoadOutcome, StorageKey};
/// use dynamodb_sessions::dynamodb::DynamoDbBackend;
///
/// // Region, endpoint and credentials from the environment, as AWS tools
/// // find them.
/// let backend = DynamoDbBackend::new("sessions")?;
/// backend.create_table_if_missing()?;
/// let record = backend.load(&StorageKey::from_bytes([0; 32]), Consistency::Eventual)?;
/// assert_eq!(record, LoadOutcome::Missing);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
#[cfg_attr(feature = "aws-sdk", doc = "[`AwsSdkBackend`]: super::AwsSdkBackend")]
// Without the feature, the AWS SDK's name leads to the list of clients.
#[cfg_attr(not(feature = "aws-sdk"), doc = "[`AwsSdkBackend`]: super::Client")]
pub struct DynamoDbBackendOn<C: Client> {
    pub(crate) inner: Arc<BlockingTable<C::Wire>>,
    pub(crate) placement: Arc<Placement>,
}

/// Clones share the runtime and the client's connection pool.
impl<C: Client> Clone for DynamoDbBackendOn<C> {
    fn clone(&self) -> Self {
        DynamoDbBackendOn {
            inner: Arc::clone(&self.inner),
            placement: Arc::clone(&self.placement),
        }
    }
}

/// Names the table, what the backend resolved when it was built (region,
/// endpoint and where it came from, profile, credential source; never a
/// key) and its retry policy.
impl<C: Client> fmt::Debug for DynamoDbBackendOn<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = &self.inner.table;
        let placement = &self.placement;
        f.debug_struct(C::BACKEND_NAME)
            .field("table_name", &table.name)
            .field("region", &placement.region)
            .field("endpoint", &placement.endpoint)
            .field(
                "endpoint_from",
                &placement.endpoint_origin.unwrap_or("the region"),
            )
            .field("profile", &placement.profile)
            .field("credentials", &placement.credentials.to_string())
            .field("retry", &table.retry)
            .field("check_item_size", &table.check_item_size)
            .finish_non_exhaustive()
    }
}

impl<C: Client> DynamoDbBackendOn<C> {
    /// Starts building a backend for `table_name`; see
    /// [`DynamoDbBackendBuilderOn`] for the settings and their defaults.
    pub fn builder(table_name: impl Into<String>) -> DynamoDbBackendBuilderOn<C> {
        DynamoDbBackendBuilderOn::new(table_name)
    }

    /// A backend for `table_name` with region, endpoint and credentials
    /// from the environment (see the builder) and default retries.
    ///
    /// # Errors
    ///
    /// As [`DynamoDbBackendBuilderOn::build`].
    pub fn new(table_name: impl Into<String>) -> Result<Self, BuildError> {
        Self::builder(table_name).build()
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.inner.table.name
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.table.retry
    }

    /// Creates the table unless it exists, waits until it is `ACTIVE`, and
    /// enables TTL on `exp` unless it is enabled or the table cannot have
    /// it: on-demand billing
    /// (`PAY_PER_REQUEST`) with `sid` (binary) as the hash key, and the user
    /// index `usr-index` that listing a user's sessions needs (see
    /// [`create_user_index_if_missing`](Self::create_user_index_if_missing)
    /// for a table made without it). Safe to call
    /// every time the application starts. Each request is tried once, under
    /// the attempt timeout.
    ///
    /// A global table in multi-Region strong consistency (MRSC) cannot have
    /// TTL: there no TTL request is sent, the report's
    /// [`ttl`](ProvisionReport::ttl) is [`TtlStatus::Unavailable`], it is
    /// said once at warn level, and expired sessions' items stay until
    /// [`sweep_expired`](Self::sweep_expired) deletes them. On rusoto,
    /// which cannot read the mode, a global table's refused TTL request
    /// counts as that too. The mode found is remembered: see
    /// [`TransactionsUnsupported`].
    ///
    /// [`TtlStatus::Unavailable`]: crate::dynamodb::TtlStatus::Unavailable
    /// [`TransactionsUnsupported`]: crate::dynamodb::TransactionsUnsupported
    ///
    /// # Errors
    ///
    /// [`ProvisionError::WrongKeySchema`] when the table exists with another
    /// key, [`ProvisionError::TtlOnOtherAttribute`] when its TTL is on
    /// another attribute, [`ProvisionError::NotActive`] when it does not
    /// become active within five minutes, and [`ProvisionError::Request`] /
    /// [`ProvisionError::Timeout`] when a request fails.
    pub fn create_table_if_missing(&self) -> Result<ProvisionReport, ProvisionError> {
        self.inner.create_table_if_missing()
    }

    /// Adds the user index `usr-index` (a global secondary index on `usr`,
    /// binary) to the table unless it has one, and waits until the index is
    /// `ACTIVE`; says whether this call added it. Listing a user's sessions
    /// ([`UserSessions::list`]) needs it; everything else works without.
    /// Tables made by [`create_table_if_missing`](Self::create_table_if_missing)
    /// have it. On a provisioned table the index gets the table's capacity
    /// units. Safe to call every time the application starts. Each request
    /// is tried once, under the attempt timeout.
    ///
    /// # Errors
    ///
    /// [`ProvisionError::NoTable`] when the table does not exist,
    /// [`ProvisionError::NotActive`] when the index does not become active
    /// within five minutes (DynamoDB fills a new index from the whole
    /// table: on a large table that takes longer, and calling again waits
    /// again), and [`ProvisionError::Request`] / [`ProvisionError::Timeout`]
    /// when a request fails.
    pub fn create_user_index_if_missing(&self) -> Result<bool, ProvisionError> {
        self.inner.create_user_index_if_missing()
    }

    /// Whether the table is a DynamoDB global table, and in which
    /// consistency mode: which of this library's promises hold when
    /// requests are served by more than one region (see
    /// [`TableReplication`]). When they hold only while each session is
    /// served by one region at a time (multi-Region eventual consistency,
    /// or a mode this client cannot read), it also says so at warn level.
    /// One DescribeTable under the attempt timeout: call it at start.
    ///
    /// ```no_run
    /// use dynamodb_sessions::DynamoDbBackend;
    ///
    /// let backend = DynamoDbBackend::new("sessions")?;
    /// let replication = backend.check_replication()?;
    /// if !replication.holds_across_regions() {
    ///     eprintln!("route each user to one region: the table is {replication}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ProvisionError::NoTable`] when the table does not exist, and the
    /// other [`ProvisionError`]s of a DescribeTable that fails.
    pub fn check_replication(&self) -> Result<TableReplication, ProvisionError> {
        self.inner.replication()
    }

    /// Deletes the items of sessions that expired more than
    /// [`SweepOptions::grace`] ago (by this machine's clock): what
    /// DynamoDB's TTL does, for a table that cannot have TTL (a global
    /// table in multi-Region strong consistency, where
    /// [`create_table_if_missing`](Self::create_table_if_missing) reports
    /// [`TtlStatus::Unavailable`](crate::dynamodb::TtlStatus::Unavailable)).
    /// Expired sessions are never loaded, so this only frees storage; run
    /// it regularly (say hourly) from one process, or from one per
    /// [`segment`](SweepOptions::segment). Safe beside live traffic and on
    /// any table.
    ///
    /// It scans the table page by page, reading only each item's key and
    /// `exp` (eventually consistent) with the filter `exp < cutoff`, then
    /// deletes each item found with a DeleteItem on the same condition: a
    /// session used since the scan (its `exp` moved forward) stays, and
    /// counts as [`kept`](SweepReport::kept). Items without `exp` (users'
    /// generations) are never deleted. A deleted key can only be taken
    /// again by a create, which the library sends at most once per key, so
    /// nothing deleted comes back.
    ///
    /// Cost, by DynamoDB's rules: the scan reads every item of the table
    /// (the filter is applied after the read), half a read unit per 4 KB
    /// scanned per page; each delete is a write of the deleted item (one
    /// unit per KB, at least one, its index entry besides), also charged
    /// when its condition fails. On a global table each delete is
    /// replicated as a write too. See the [`SweepReport`]'s figures.
    ///
    /// Each request has its own deadline and retries ([`RetryConfig`]);
    /// needs `dynamodb:Scan` and `dynamodb:DeleteItem` on the table.
    ///
    /// ```no_run
    /// use dynamodb_sessions::dynamodb::{DynamoDbBackend, SweepOptions};
    ///
    /// let backend = DynamoDbBackend::new("sessions")?;
    /// let report = backend.sweep_expired(SweepOptions::default())?;
    /// println!("{} of {} items deleted", report.deleted, report.scanned);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first [`BackendError`] of a request that failed after its
    /// retries ends the sweep (with
    /// [`Operation::Sweep`](crate::store::Operation::Sweep)); what was
    /// deleted stays deleted, and sweeping again carries on.
    /// [`BackendError::Rejected`] for a segment outside DynamoDB's limits,
    /// before any request.
    pub fn sweep_expired(&self, options: SweepOptions) -> Result<SweepReport, BackendError> {
        self.inner.sweep(&options, unix_now())
    }
}

/// Each call runs the table's operation on the backend's runtime.
impl<C: Client> Backend for DynamoDbBackendOn<C> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner
            .run(Operation::Load, table.load(key, consistency))
            .map(LoadOutcome::from_stored)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner.run(Operation::Create, table.create(key, record))
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner.run(
            Operation::Replace,
            table.replace(key, expected_version, record),
        )
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner.run(
            Operation::Touch,
            table.touch(key, expected_version, issued_at, expires_at),
        )
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner.run(Operation::End, table.end(key, tombstone))
    }
}

/// Users' sessions in the same table: one generation item per user (key
/// `0x55` and the user's pseudonym, attribute `gen`), the user stamp on
/// each of their records (`usr`, `uep`, `uin`), and the user index
/// `usr-index` for [`list`](UserSessions::list), which only a table made
/// by [`create_table_if_missing`](DynamoDbBackendOn::create_table_if_missing)
/// or given [`create_user_index_if_missing`](DynamoDbBackendOn::create_user_index_if_missing)
/// has: without it `list` is [`BackendError::Rejected`], and the rest works.
impl<C: Client> UserSessions for DynamoDbBackendOn<C> {
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        let table = &self.inner.table;
        self.inner
            .run(Operation::LoadChecked, table.load_checked(key, user))
            .map(|(generation, record)| (generation, LoadOutcome::from_stored(record)))
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        let table = &self.inner.table;
        self.inner
            .run(Operation::Generation, table.generation(user))
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let table = &self.inner.table;
        self.inner
            .run(Operation::Advance, table.advance(user, expected, keep))
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        let table = &self.inner.table;
        self.inner.run(Operation::List, table.list(user))
    }
}

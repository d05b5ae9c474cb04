//! Creating the sessions table: `sid` (B) hash key, on-demand billing, TTL
//! on `exp` (where the table can have TTL), and the user index (`usr-index`, on `usr` (B)); adding the
//! user index to a table made without it. The steps and checks are here,
//! once; each client implements [`ProvisionWire`] with its control-plane
//! requests.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::store::BoxError;

use super::item::{EXP, SID};
use super::replication::TableReplication;
use super::user_items::USER_INDEX;

/// How long to wait for a new table to become `ACTIVE`.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
/// How often to look while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What `create_table_if_missing` did (on either backend).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProvisionReport {
    /// Whether this call created the table (false: it existed already).
    pub table_created: bool,
    /// Whether this call enabled TTL on `exp` (false: it was on already,
    /// or the table cannot have TTL: see [`ttl`](Self::ttl)).
    pub ttl_enabled: bool,
    /// Whether DynamoDB deletes expired sessions by itself.
    pub ttl: TtlStatus,
}

/// Whether a table's TTL deletes expired sessions
/// ([`ProvisionReport::ttl`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TtlStatus {
    /// TTL is on `exp` (enabled by this call or before): DynamoDB deletes
    /// expired items by itself, typically within days of their `exp`.
    On,
    /// The table cannot have TTL: a global table in multi-Region strong
    /// consistency (MRSC), which DynamoDB gives no TTL. Expired sessions
    /// are never loaded, but their items stay until
    /// `DynamoDbBackendOn::sweep_expired` deletes them: run it
    /// regularly (say hourly) from one process.
    Unavailable,
}

/// Why provisioning the table failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProvisionError {
    /// An AWS request failed; `source` is the client's error.
    Request {
        /// The DynamoDB action, e.g. `"CreateTable"`.
        action: &'static str,
        /// The error.
        source: BoxError,
    },
    /// An AWS request did not answer within the backend's attempt timeout.
    Timeout {
        /// The DynamoDB action.
        action: &'static str,
        /// The limit that ran out.
        after: Duration,
    },
    /// The table exists with another key schema than a single `sid` (B)
    /// hash key, so it cannot hold sessions.
    WrongKeySchema {
        /// The table.
        table: String,
        /// The schema found, e.g. `id HASH (S)`.
        found: String,
    },
    /// The table's TTL is enabled on another attribute than `exp`; a table
    /// has only one TTL attribute, so sessions would never expire by TTL.
    TtlOnOtherAttribute {
        /// The table.
        table: String,
        /// The attribute TTL is on.
        attribute: String,
    },
    /// The table, or its user index, did not become `ACTIVE` in time.
    NotActive {
        /// The table.
        table: String,
        /// Its last status.
        status: String,
        /// How long was waited.
        waited: Duration,
    },
    /// No thread could be started to run the requests (only when called
    /// from inside a tokio runtime).
    Thread(std::io::Error),
    /// The table does not exist (adding the user index to it).
    NoTable {
        /// The table.
        table: String,
    },
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProvisionError::Request { action, source } => {
                write!(f, "DynamoDB {action} failed: {source}")
            }
            ProvisionError::Timeout { action, after } => {
                write!(f, "DynamoDB {action} timed out after {after:?}")
            }
            ProvisionError::WrongKeySchema { table, found } => write!(
                f,
                "table {table} has key schema [{found}], not the single hash key `{SID}` of type B \
                 that sessions need"
            ),
            ProvisionError::TtlOnOtherAttribute { table, attribute } => write!(
                f,
                "table {table} has TTL enabled on `{attribute}`, not on `{EXP}`"
            ),
            ProvisionError::NotActive {
                table,
                status,
                waited,
            } => write!(
                f,
                "table {table} is still {status} after {waited:?}, not ACTIVE"
            ),
            ProvisionError::Thread(_) => f.write_str("cannot start a thread for provisioning"),
            ProvisionError::NoTable { table } => write!(f, "table {table} does not exist"),
        }
    }
}

impl Error for ProvisionError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ProvisionError::Request { source, .. } => Some(source.as_ref()),
            ProvisionError::Thread(e) => Some(e),
            _ => None,
        }
    }
}

/// A table as DescribeTable or CreateTable describes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableState {
    /// `ACTIVE`, `CREATING`, ...; `None` when not said.
    pub(crate) status: Option<String>,
    /// The key schema as (attribute, `HASH` or `RANGE`), when described.
    pub(crate) keys: Option<Vec<(String, String)>>,
    /// The attribute definitions as (attribute, `S`, `N` or `B`).
    pub(crate) types: Vec<(String, String)>,
    /// The global secondary indexes as (name, status), the status when said.
    pub(crate) indexes: Vec<(String, Option<String>)>,
    /// The table's read and write capacity units when it is provisioned
    /// (not on demand): a new index needs its own.
    pub(crate) provisioned: Option<(i64, i64)>,
    /// The regions of the table's replicas (a global table's); empty for a
    /// single-region table.
    pub(crate) replicas: Vec<String>,
    /// Whether the replicas are strongly consistent (MRSC): `None` when the
    /// client cannot read the mode.
    pub(crate) strong_consistency: Option<bool>,
}

impl TableState {
    /// The status of the index `name`: `None` when there is no such index,
    /// `Some("")` when its status was not said.
    fn index_status(&self, name: &str) -> Option<&str> {
        self.indexes
            .iter()
            .find(|(index, _)| index == name)
            .map(|(_, status)| status.as_deref().unwrap_or(""))
    }
}

/// A table's TTL setting as DescribeTimeToLive describes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TtlState {
    /// `ENABLED`, `ENABLING`, `DISABLED`, ...; `None` when not said.
    pub(crate) status: Option<String>,
    /// The TTL attribute, when one is set.
    pub(crate) attribute: Option<String>,
}

/// DynamoDB refused to turn TTL on as an invalid request (a
/// `ValidationException`), as it refuses tables in multi-Region strong
/// consistency; the refusal is the source. A wire returns it from
/// [`ProvisionWire::enable_ttl`] so that provisioning can tell this refusal
/// from a missing permission, throttling or a timeout.
#[derive(Debug)]
pub(crate) struct TtlRefused(pub(crate) BoxError);

impl fmt::Display for TtlRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TTL refused as an invalid request: {}", self.0)
    }
}

impl Error for TtlRefused {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.0)
    }
}

/// A client's control-plane requests, each one attempt. Errors are the
/// client's own, kept as the source of [`ProvisionError::Request`].
pub(crate) trait ProvisionWire: Send + Sync {
    /// DescribeTable; `Ok(None)` when the table does not exist.
    fn describe_table(
        &self,
        table: &str,
    ) -> impl Future<Output = Result<Option<TableState>, BoxError>> + Send;

    /// CreateTable with on-demand billing, `sid` (B) as the only key and
    /// the user index (`usr-index`: hash key `usr` (B), projecting
    /// `USER_INDEX_PROJECTION`);
    /// `Ok(None)` when the table exists already (`ResourceInUseException`).
    fn create_table(
        &self,
        table: &str,
    ) -> impl Future<Output = Result<Option<TableState>, BoxError>> + Send;

    /// DescribeTimeToLive.
    fn describe_ttl(&self, table: &str) -> impl Future<Output = Result<TtlState, BoxError>> + Send;

    /// UpdateTimeToLive, enabling TTL on `attribute`.
    fn enable_ttl(
        &self,
        table: &str,
        attribute: &str,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// UpdateTable adding the user index as `create_table` makes it, with
    /// `provisioned` (read, write) capacity units on a provisioned table.
    fn add_user_index(
        &self,
        table: &str,
        provisioned: Option<(i64, i64)>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// A provisioned table's capacity units: none when on demand (which
/// DescribeTable reports as 0 units).
pub(crate) fn provisioned(
    billing_mode: Option<&str>,
    units: Option<(i64, i64)>,
) -> Option<(i64, i64)> {
    if billing_mode == Some("PAY_PER_REQUEST") {
        return None;
    }
    units.filter(|(read, write)| *read > 0 && *write > 0)
}

/// Runs one request under the attempt timeout, naming it in its errors.
async fn request<T>(
    action: &'static str,
    timeout: Duration,
    future: impl Future<Output = Result<T, BoxError>>,
) -> Result<T, ProvisionError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(ProvisionError::Request { action, source }),
        Err(_) => Err(ProvisionError::Timeout {
            action,
            after: timeout,
        }),
    }
}

/// How many DescribeTable polls in a row may fail while waiting for a
/// table or an index to become `ACTIVE` before the wait gives up: the
/// change is made, and one failed poll (a 500 from a busy endpoint, a
/// throttled call) says nothing about it.
const POLL_ATTEMPTS: u32 = 4;

/// A DescribeTable poll while waiting: failures are tried again, up to
/// [`POLL_ATTEMPTS`] in a row, the last one returned.
async fn poll_table<P: ProvisionWire>(
    wire: &P,
    table: &str,
    timeout: Duration,
) -> Result<Option<TableState>, ProvisionError> {
    let mut failures = 0;
    loop {
        match request("DescribeTable", timeout, wire.describe_table(table)).await {
            Ok(state) => return Ok(state),
            Err(error) => {
                failures += 1;
                if failures >= POLL_ATTEMPTS {
                    return Err(error);
                }
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    }
}

/// Checks that `state` has exactly the `sid` (B) hash key.
fn check_key_schema(
    table: &str,
    keys: &[(String, String)],
    types: &[(String, String)],
) -> Result<(), ProvisionError> {
    let type_of = |name: &str| {
        types
            .iter()
            .find(|(attribute, _)| attribute == name)
            .map_or("?", |(_, kind)| kind.as_str())
    };
    let right =
        matches!(keys, [(name, kind)] if name == SID && kind == "HASH" && type_of(SID) == "B");
    if right {
        return Ok(());
    }
    let found = keys
        .iter()
        .map(|(name, kind)| format!("{name} {kind} ({})", type_of(name)))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ProvisionError::WrongKeySchema {
        table: table.to_owned(),
        found,
    })
}

/// Creates `table` unless it exists, waits for it to be `ACTIVE`, and turns
/// on TTL on `exp` unless it is on or the table cannot have it; with the
/// table's replication as the last DescribeTable said.
pub(crate) async fn provision<P: ProvisionWire>(
    wire: &P,
    table: &str,
    timeout: Duration,
) -> Result<(ProvisionReport, TableReplication), ProvisionError> {
    let mut table_created = false;
    let mut state = request("DescribeTable", timeout, wire.describe_table(table)).await?;
    if state.is_none() {
        state = request("CreateTable", timeout, wire.create_table(table)).await?;
        // `None`: someone else created it meanwhile, fine if its schema is
        // right.
        table_created = state.is_some();
    }
    let started = Instant::now();
    let replication = loop {
        let current = match state.take() {
            Some(current) => current,
            None => poll_table(wire, table, timeout).await?.unwrap_or_default(),
        };
        if let Some(keys) = &current.keys {
            check_key_schema(table, keys, &current.types)?;
        }
        let status = current.status.clone().unwrap_or_default();
        if status == "ACTIVE" {
            // A global table in eventual consistency is said loudly here too.
            break replication_of(table, current);
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(ProvisionError::NotActive {
                table: table.to_owned(),
                status: if status.is_empty() {
                    "missing".to_owned()
                } else {
                    status
                },
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    let (ttl_enabled, ttl) = ttl_for(wire, table, &replication, timeout).await?;
    let report = ProvisionReport {
        table_created,
        ttl_enabled,
        ttl,
    };
    Ok((report, replication))
}

/// Turns TTL on where the table can have it. A table in multi-Region
/// strong consistency cannot: no TTL request is sent. A global table whose
/// mode the client cannot read may be one, so there a refused TTL request
/// means no TTL rather than a failure. Either way it is said once, at warn
/// level, with what to do.
async fn ttl_for<P: ProvisionWire>(
    wire: &P,
    table: &str,
    replication: &TableReplication,
    timeout: Duration,
) -> Result<(bool, TtlStatus), ProvisionError> {
    if let TableReplication::StronglyConsistent { .. } = replication {
        log::warn!(
            "session table {table} is a global table in multi-Region strong consistency, \
             which DynamoDB gives no TTL: expired sessions are never loaded, but their items \
             stay until the backend's sweep_expired deletes them; run it regularly"
        );
        return Ok((false, TtlStatus::Unavailable));
    }
    match enable_ttl(wire, table, timeout).await {
        Ok(enabled) => Ok((enabled, TtlStatus::On)),
        // Only DynamoDB's refusal of the request itself: a missing
        // permission, throttling or a timeout is an error as anywhere.
        Err(ProvisionError::Request { action, source })
            if matches!(replication, TableReplication::ModeUnknown { .. })
                && source.is::<TtlRefused>() =>
        {
            log::warn!(
                "session table {table} is a global table whose consistency mode this client \
                 cannot read, and DynamoDB refused {action} ({source}): taken as multi-Region \
                 strong consistency, which has no TTL; expired sessions' items stay until the \
                 backend's sweep_expired deletes them; run it regularly"
            );
            Ok((false, TtlStatus::Unavailable))
        }
        Err(error) => Err(error),
    }
}

/// Whether `table` is a global table, and in which mode, from one
/// DescribeTable; says so at warn level when sessions stay exact only while
/// each is served by one region.
pub(crate) async fn replication<P: ProvisionWire>(
    wire: &P,
    table: &str,
    timeout: Duration,
) -> Result<TableReplication, ProvisionError> {
    let state = request("DescribeTable", timeout, wire.describe_table(table))
        .await?
        .ok_or_else(|| ProvisionError::NoTable {
            table: table.to_owned(),
        })?;
    Ok(replication_of(table, state))
}

/// The verdict on `table` as `state` describes it; said at warn level when
/// sessions stay exact only while each is served by one region.
fn replication_of(table: &str, state: TableState) -> TableReplication {
    let verdict = TableReplication::of(state.replicas, state.strong_consistency);
    if !verdict.holds_across_regions() {
        log::warn!("session table {table} is {verdict}");
    }
    verdict
}

/// Adds the user index to `table` unless it has one, and waits until the
/// index is `ACTIVE`; says whether this call added it.
pub(crate) async fn add_user_index<P: ProvisionWire>(
    wire: &P,
    table: &str,
    timeout: Duration,
) -> Result<bool, ProvisionError> {
    let missing = || ProvisionError::NoTable {
        table: table.to_owned(),
    };
    let state = request("DescribeTable", timeout, wire.describe_table(table))
        .await?
        .ok_or_else(missing)?;
    let added = state.index_status(USER_INDEX).is_none();
    if added {
        request(
            "UpdateTable",
            timeout,
            wire.add_user_index(table, state.provisioned),
        )
        .await?;
    }
    let started = Instant::now();
    loop {
        let state = poll_table(wire, table, timeout)
            .await?
            .ok_or_else(missing)?;
        let status = state.index_status(USER_INDEX).unwrap_or("missing");
        if status == "ACTIVE" {
            return Ok(added);
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(ProvisionError::NotActive {
                table: format!("{table} (index {USER_INDEX})"),
                status: status.to_owned(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Enables TTL on `exp` unless it is on; says whether it did.
async fn enable_ttl<P: ProvisionWire>(
    wire: &P,
    table: &str,
    timeout: Duration,
) -> Result<bool, ProvisionError> {
    let current = request("DescribeTimeToLive", timeout, wire.describe_ttl(table)).await?;
    let status = current.status.as_deref().unwrap_or("DISABLED");
    if matches!(status, "ENABLED" | "ENABLING") {
        return match current.attribute {
            Some(attribute) if attribute != EXP => Err(ProvisionError::TtlOnOtherAttribute {
                table: table.to_owned(),
                attribute,
            }),
            _ => Ok(false),
        };
    }
    match request("UpdateTimeToLive", timeout, wire.enable_ttl(table, EXP)).await {
        Ok(()) => Ok(true),
        // Refused as invalid: TTL may have been turned on meanwhile (by
        // another process, or replicated from another region), which
        // DynamoDB refuses the same way as a table that cannot have it.
        Err(ProvisionError::Request { action, source }) if source.is::<TtlRefused>() => {
            let current = request("DescribeTimeToLive", timeout, wire.describe_ttl(table)).await?;
            let on = matches!(current.status.as_deref(), Some("ENABLED" | "ENABLING"));
            match (on, current.attribute) {
                (true, Some(attribute)) if attribute != EXP => {
                    Err(ProvisionError::TtlOnOtherAttribute {
                        table: table.to_owned(),
                        attribute,
                    })
                }
                (true, _) => Ok(false),
                (false, _) => Err(ProvisionError::Request { action, source }),
            }
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A table whose user index becomes `ACTIVE` on the third DescribeTable,
    /// and whose DescribeTable fails `failing` times in a row after the
    /// first.
    struct FlakyTable {
        describes: AtomicU32,
        failing: u32,
    }

    impl ProvisionWire for FlakyTable {
        async fn describe_table(&self, _: &str) -> Result<Option<TableState>, BoxError> {
            let n = self.describes.fetch_add(1, Ordering::SeqCst);
            if (1..=self.failing).contains(&n) {
                return Err("500 InternalFailure".into());
            }
            let index = match n {
                0 => Vec::new(),
                _ => vec![(USER_INDEX.to_owned(), Some("ACTIVE".to_owned()))],
            };
            Ok(Some(TableState {
                status: Some("ACTIVE".to_owned()),
                indexes: index,
                ..TableState::default()
            }))
        }

        async fn create_table(&self, _: &str) -> Result<Option<TableState>, BoxError> {
            Err("not expected".into())
        }

        async fn describe_ttl(&self, _: &str) -> Result<TtlState, BoxError> {
            Err("not expected".into())
        }

        async fn enable_ttl(&self, _: &str, _: &str) -> Result<(), BoxError> {
            Err("not expected".into())
        }

        async fn add_user_index(&self, _: &str, _: Option<(i64, i64)>) -> Result<(), BoxError> {
            Ok(())
        }
    }

    fn add_index_with(failing: u32) -> Result<bool, ProvisionError> {
        let wire = FlakyTable {
            describes: AtomicU32::new(0),
            failing,
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(add_user_index(&wire, "t", Duration::from_secs(1)))
    }

    #[test]
    fn a_failed_poll_while_waiting_is_tried_again() {
        assert!(add_index_with(POLL_ATTEMPTS - 1).unwrap());
        assert!(matches!(
            add_index_with(POLL_ATTEMPTS),
            Err(ProvisionError::Request {
                action: "DescribeTable",
                ..
            })
        ));
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn only_a_single_binary_sid_hash_key_is_right() {
        assert!(check_key_schema("t", &pairs(&[("sid", "HASH")]), &pairs(&[("sid", "B")])).is_ok());
        for (keys, types) in [
            (vec![("sid", "HASH")], vec![("sid", "S")]),
            (vec![("id", "HASH")], vec![("id", "B")]),
            (
                vec![("sid", "HASH"), ("ver", "RANGE")],
                vec![("sid", "B"), ("ver", "N")],
            ),
            (vec![], vec![]),
        ] {
            let error = check_key_schema("t", &pairs(&keys), &pairs(&types)).unwrap_err();
            assert!(matches!(error, ProvisionError::WrongKeySchema { .. }));
            assert!(error.to_string().contains("sid"), "{error}");
        }
    }
}

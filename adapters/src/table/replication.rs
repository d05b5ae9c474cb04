//! Whether the table is a global table, and in which consistency mode:
//! what decides which of this library's promises hold across regions.

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where a table's items live, as DescribeTable says
/// ([`check_replication`](crate::dynamodb::DynamoDbBackendOn::check_replication)).
///
/// Every promise of this library (exact writes, a logout that stays, users'
/// sessions ended exactly) rests on conditional writes seeing the item's
/// latest state. A DynamoDB global table in its default mode checks a
/// condition against the replica of the region that receives the write
/// only, and resolves concurrent writes to one item in two regions by last
/// writer wins, about a second later. So with the requests of one session
/// served by more than one region, two of them can both pass one version
/// check, a logout made in one region can be overwritten by a write
/// replicated from another, and a login can revive what a logout ended.
/// Served by one region at a time (each user routed to one region), the
/// promises hold as on a single-region table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableReplication {
    /// Not a global table, or one with a single replica: every promise
    /// holds.
    SingleRegion,
    /// A global table with replicas in `regions`, in multi-Region eventual
    /// consistency (MREC, DynamoDB's default): the promises hold only while
    /// each session is served by one region at a time.
    EventuallyConsistent {
        /// The regions of the replicas.
        regions: Vec<String>,
    },
    /// A global table with replicas in `regions`, in multi-Region strong
    /// consistency (MRSC): reads and conditional writes see the latest
    /// state in every region, as on a single-region table.
    StronglyConsistent {
        /// The regions of the replicas.
        regions: Vec<String>,
    },
    /// A global table with replicas in `regions` whose mode this client
    /// cannot read (rusoto predates MRSC and drops the field): take it as
    /// eventually consistent, or check with the AWS SDK backend.
    ModeUnknown {
        /// The regions of the replicas.
        regions: Vec<String>,
    },
}

impl TableReplication {
    /// The verdict for replicas in `regions` and the mode DescribeTable
    /// gave: `Some(true)` for `STRONG`, `Some(false)` for `EVENTUAL` or no
    /// mode said (DynamoDB's default), `None` when the client cannot read it.
    pub(crate) fn of(regions: Vec<String>, strong: Option<bool>) -> TableReplication {
        if regions.len() <= 1 {
            return TableReplication::SingleRegion;
        }
        match strong {
            Some(true) => TableReplication::StronglyConsistent { regions },
            Some(false) => TableReplication::EventuallyConsistent { regions },
            None => TableReplication::ModeUnknown { regions },
        }
    }

    /// Whether every promise holds whichever region serves a request: a
    /// single region, or strong consistency across regions.
    pub fn holds_across_regions(&self) -> bool {
        matches!(
            self,
            TableReplication::SingleRegion | TableReplication::StronglyConsistent { .. }
        )
    }
}

impl fmt::Display for TableReplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableReplication::SingleRegion => f.write_str("a single-region table"),
            TableReplication::EventuallyConsistent { regions } => write!(
                f,
                "a global table in multi-Region eventual consistency, replicas in {}: \
                 sessions stay exact only while each is served by one region at a time",
                regions.join(", ")
            ),
            TableReplication::StronglyConsistent { regions } => write!(
                f,
                "a global table in multi-Region strong consistency, replicas in {}",
                regions.join(", ")
            ),
            TableReplication::ModeUnknown { regions } => write!(
                f,
                "a global table whose consistency mode this client cannot read, replicas in {}: \
                 take it as eventually consistent (sessions stay exact only while each is \
                 served by one region at a time)",
                regions.join(", ")
            ),
        }
    }
}

/// What a backend last learned of its table's mode, from
/// `create_table_if_missing` or `check_replication`: whether it is
/// strongly consistent across regions, so that a transaction, which such a
/// table refuses, is not sent. Nothing learned: not strong.
#[derive(Debug, Default)]
pub(crate) struct KnownMode(AtomicBool);

impl KnownMode {
    /// Remembers `replication` (a table can lose its replicas, and with
    /// them the mode).
    pub(crate) fn learn(&self, replication: &TableReplication) {
        let strong = matches!(replication, TableReplication::StronglyConsistent { .. });
        self.0.store(strong, Ordering::Relaxed);
    }

    /// Whether the table was last seen strongly consistent across regions.
    pub(crate) fn strong(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The cause of the [`BackendError::Rejected`](crate::BackendError::Rejected)
/// of ending a user's other sessions while one stays
/// ([`UserSessions::advance`](crate::users::UserSessions::advance) with a
/// kept record) on a global table in multi-Region strong consistency
/// (MRSC): that needs TransactWriteItems, which DynamoDB refuses on such a
/// table. Nothing was sent, so nothing was written: the session that asked
/// stays as it was, and so do the others. Ending all of a user's sessions
/// needs no transaction and works.
///
/// The backend refuses at once when `create_table_if_missing` or
/// `check_replication` found the table in MRSC (only the AWS SDK client can
/// read the mode); otherwise the transaction is sent and DynamoDB's
/// refusal is the `Rejected` error's cause instead, also with nothing
/// written.
///
/// ```
/// use std::error::Error;
/// use dynamodb_sessions::dynamodb::TransactionsUnsupported;
/// use dynamodb_sessions::BackendError;
///
/// fn needs_a_transaction(error: &BackendError) -> bool {
///     matches!(error, BackendError::Rejected { source, .. }
///         if source.downcast_ref::<TransactionsUnsupported>().is_some())
/// }
/// # let _ = needs_a_transaction;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionsUnsupported;

impl fmt::Display for TransactionsUnsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the table is a global table in multi-Region strong consistency, which supports \
             no transactions: ending a user's other sessions while one stays needs one \
             (nothing was written)",
        )
    }
}

impl Error for TransactionsUnsupported {}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn one_replica_is_a_single_region_whatever_the_mode() {
        for strong in [None, Some(false), Some(true)] {
            assert_eq!(
                TableReplication::of(regions(&["eu-west-1"]), strong),
                TableReplication::SingleRegion
            );
            assert_eq!(
                TableReplication::of(Vec::new(), strong),
                TableReplication::SingleRegion
            );
        }
    }

    #[test]
    fn several_replicas_are_judged_by_their_mode() {
        let two = regions(&["eu-west-1", "us-east-1"]);
        let eventual = TableReplication::of(two.clone(), Some(false));
        assert!(!eventual.holds_across_regions());
        assert!(eventual.to_string().contains("eu-west-1, us-east-1"));
        let strong = TableReplication::of(two.clone(), Some(true));
        assert!(strong.holds_across_regions());
        let unknown = TableReplication::of(two, None);
        assert!(!unknown.holds_across_regions());
        assert!(matches!(unknown, TableReplication::ModeUnknown { .. }));
    }
}

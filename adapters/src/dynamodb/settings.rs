//! What a backend's builder collects, for every client.

use std::fmt;

use super::environment::Given;
use crate::table::{BlockingTable, OwnedRuntime, RetryConfig, SessionTable, Wire};

/// A fixed access key, given by `static_credentials` or
/// `temporary_credentials`.
#[derive(Clone)]
pub(crate) struct StaticKey {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    /// For temporary credentials.
    pub(crate) session_token: Option<String>,
}

/// A backend's settings, as its builder collects them.
pub(crate) struct Settings {
    pub(crate) table_name: String,
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) credentials: Option<StaticKey>,
    pub(crate) retry: RetryConfig,
    pub(crate) worker_threads: usize,
    pub(crate) check_item_size: bool,
}

impl Settings {
    pub(crate) fn new(table_name: String) -> Self {
        Settings {
            table_name,
            region: None,
            endpoint: None,
            credentials: None,
            retry: RetryConfig::default(),
            worker_threads: 2,
            check_item_size: true,
        }
    }

    /// These settings for the region `region`, at `endpoint` if given.
    pub(crate) fn in_region(&self, region: &str, endpoint: Option<&str>) -> Settings {
        Settings {
            table_name: self.table_name.clone(),
            region: Some(region.to_owned()),
            endpoint: endpoint.map(str::to_owned),
            credentials: self.credentials.clone(),
            retry: self.retry,
            worker_threads: self.worker_threads,
            check_item_size: self.check_item_size,
        }
    }

    /// What resolution needs of the settings.
    pub(crate) fn given(&self) -> Given<'_> {
        Given {
            region: self.region.as_deref(),
            endpoint: self.endpoint.as_deref(),
            static_credentials: self.credentials.is_some(),
        }
    }

    /// The builder's `Debug`, under the builder's `name`: never the key.
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("table_name", &self.table_name)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map_or("default chain", |_| "static"),
            )
            .field("retry", &self.retry)
            .field("worker_threads", &self.worker_threads)
            .field("check_item_size", &self.check_item_size)
            .finish()
    }

    /// The blocking table on `wire`, which runs on `runtime`.
    pub(crate) fn into_table<W: Wire>(self, wire: W, runtime: OwnedRuntime) -> BlockingTable<W> {
        BlockingTable {
            table: SessionTable {
                wire,
                name: self.table_name,
                retry: self.retry,
                check_item_size: self.check_item_size,
            },
            runtime,
        }
    }
}

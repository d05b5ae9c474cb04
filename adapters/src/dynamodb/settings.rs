//! What both backends' builders hold, and what they share (through
//! [`builder_common!`]): one set of names, defaults and docs for both.

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

/// `Debug`, `new` and the setters both builders have, for a builder struct
/// `$builder` with one field, `settings`, that builds a `$backend`.
macro_rules! builder_common {
    ($builder:ident, $backend:ident) => {
        impl std::fmt::Debug for $builder {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.settings.debug(stringify!($builder), f)
            }
        }

        impl $builder {
            pub(crate) fn new(table_name: impl Into<String>) -> Self {
                $builder {
                    settings: $crate::dynamodb::settings::Settings::new(table_name.into()),
                }
            }

            /// Sends requests to this endpoint, e.g. `http://127.0.0.1:8000` for
            /// DynamoDB Local; both `http://` and `https://` work. Takes
            /// precedence over the region's endpoint and over the
            /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` variables; the
            /// region still names the signing region.
            pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
                self.settings.endpoint = Some(endpoint.into());
                self
            }

            /// Signs requests with this fixed access key instead of the default
            /// credential chain (see the builder's documentation); handy for
            /// DynamoDB Local, which accepts any.
            pub fn static_credentials(
                mut self,
                access_key_id: impl Into<String>,
                secret_access_key: impl Into<String>,
            ) -> Self {
                self.settings.credentials = Some($crate::dynamodb::settings::StaticKey {
                    access_key_id: access_key_id.into(),
                    secret_access_key: secret_access_key.into(),
                    session_token: None,
                });
                self
            }

            /// Signs requests with these temporary credentials (an access key
            /// with its session token, e.g. from STS) instead of the default
            /// chain. They are not refreshed: when they expire, requests fail
            /// with an authentication error.
            pub fn temporary_credentials(
                mut self,
                access_key_id: impl Into<String>,
                secret_access_key: impl Into<String>,
                session_token: impl Into<String>,
            ) -> Self {
                self.settings.credentials = Some($crate::dynamodb::settings::StaticKey {
                    access_key_id: access_key_id.into(),
                    secret_access_key: secret_access_key.into(),
                    session_token: Some(session_token.into()),
                });
                self
            }

            /// Replaces every retry setting at once with `retry`'s: what
            /// [`max_attempts`](Self::max_attempts),
            /// [`base_delay`](Self::base_delay), [`max_delay`](Self::max_delay),
            /// [`attempt_timeout`](Self::attempt_timeout) or
            /// [`call_timeout`](Self::call_timeout) set before is
            /// overwritten; those set after change their one field of it.
            /// Each setter changes only its own field, and the last one to
            /// touch a field wins. Kept beside the single setters for one
            /// policy shared by several backends (a `const RetryConfig`).
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use dynamodb_sessions::dynamodb::{", stringify!($backend), ", RetryConfig};")]
            ///
            #[doc = concat!("let backend = ", stringify!($backend), "::builder(\"sessions\")")]
            ///     .region("us-east-1")
            ///     .endpoint("http://127.0.0.1:8000")
            ///     .static_credentials("local", "local")
            ///     .retry(RetryConfig::DEFAULT.with_max_attempts(6))
            ///     .attempt_timeout(Duration::from_millis(500))
            ///     .build()?;
            /// assert_eq!(backend.retry_config().max_attempts, 6);
            /// assert_eq!(backend.retry_config().attempt_timeout, Duration::from_millis(500));
            /// # Ok::<(), dynamodb_sessions::dynamodb::BuildError>(())
            /// ```
            pub fn retry(mut self, retry: $crate::dynamodb::RetryConfig) -> Self {
                self.settings.retry = retry;
                self
            }

            /// Attempts per call, the first included (default 4; 0 is taken
            /// as 1). Attempts stop early when the call's deadline
            /// ([`call_timeout`](Self::call_timeout)) comes first: with the
            /// defaults, a store that never answers gets three 2 s attempts
            /// at most, not four.
            pub fn max_attempts(mut self, attempts: u32) -> Self {
                self.settings.retry.max_attempts = attempts;
                self
            }

            /// First backoff between attempts, doubled after each (default 25 ms).
            pub fn base_delay(mut self, delay: std::time::Duration) -> Self {
                self.settings.retry.base_delay = delay;
                self
            }

            /// Upper bound of any one backoff (default 1 s).
            pub fn max_delay(mut self, delay: std::time::Duration) -> Self {
                self.settings.retry.max_delay = delay;
                self
            }

            /// Time limit of each attempt (default 2 s), and of each request
            /// of `create_table_if_missing`.
            ///
            /// **No attempt outlasts the call's deadline**
            /// ([`call_timeout`](Self::call_timeout), default 5 s): an
            /// attempt timeout above it only matters to
            /// `create_table_if_missing`, and each call then makes one
            /// attempt, cut off at the deadline. Raise both together.
            pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.retry.attempt_timeout = timeout;
                self
            }

            /// Time limit of a whole backend call: every attempt, every
            /// backoff and the read that decides a write whose answer was
            /// lost (default 5 s). No call returns later; one that runs out
            /// of time is [`BackendError::Timeout`](crate::BackendError::Timeout),
            /// whose `after` is how long the caller waited.
            pub fn call_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.retry.call_timeout = timeout;
                self
            }

            /// Worker threads of the backend's own tokio runtime (default 2; 0
            /// is taken as 1). The calling threads drive their own requests;
            /// the workers run the connection pool's background tasks.
            pub fn worker_threads(mut self, threads: usize) -> Self {
                self.settings.worker_threads = threads.max(1);
                self
            }

            /// Whether `create` and `replace` refuse an item over 400 KB (as
            /// [`store::item_size`](crate::store::item_size) counts it) before
            /// sending it, with its size in the error (default true). When
            /// false, DynamoDB decides, and its refusal is still
            /// [`BackendError::ItemTooLarge`](crate::BackendError::ItemTooLarge).
            pub fn check_item_size(mut self, check: bool) -> Self {
                self.settings.check_item_size = check;
                self
            }
        }
    };
}
pub(crate) use builder_common;

//! The API both backends share beyond [`Backend`](crate::store::Backend):
//! one definition, so that their methods, docs and errors cannot drift.

/// The inherent methods, `Debug` and `Backend` of a public backend type
/// `$backend` (a struct with `inner: Arc<BlockingTable<_>>` and
/// `placement: Arc<Placement>`) built by `$builder`.
macro_rules! backend_api {
    ($backend:ident, $builder:ident) => {
        /// Names the table, what the backend resolved when it was built
        /// (region, endpoint and where it came from, profile, credential
        /// source; never a key) and its retry policy.
        impl std::fmt::Debug for $backend {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let table = &self.inner.table;
                let placement = &self.placement;
                f.debug_struct(stringify!($backend))
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

        impl $backend {
            #[doc = concat!("Starts building a backend for `table_name`; see [`", stringify!($builder), "`]")]
            /// for the settings and their defaults.
            pub fn builder(table_name: impl Into<String>) -> $builder {
                $builder::new(table_name)
            }

            /// A backend for `table_name` with region, endpoint and
            /// credentials from the environment (see the builder) and
            /// default retries.
            ///
            /// # Errors
            ///
            #[doc = concat!("As [`", stringify!($builder), "::build`].")]
            pub fn new(table_name: impl Into<String>) -> Result<Self, $crate::dynamodb::BuildError> {
                Self::builder(table_name).build()
            }

            /// The table's name.
            pub fn table_name(&self) -> &str {
                &self.inner.table.name
            }

            /// The retry policy.
            pub fn retry_config(&self) -> &$crate::dynamodb::RetryConfig {
                &self.inner.table.retry
            }

            /// Creates the table unless it exists, waits until it is
            /// `ACTIVE`, and enables TTL on `exp` unless it is enabled:
            /// on-demand billing (`PAY_PER_REQUEST`) with `sid` (binary) as
            /// the hash key. Safe to call every time the application
            /// starts. Each request is tried once, under the attempt
            /// timeout.
            ///
            /// # Errors
            ///
            /// [`ProvisionError::WrongKeySchema`] when the table exists
            /// with another key, [`ProvisionError::TtlOnOtherAttribute`]
            /// when its TTL is on another attribute,
            /// [`ProvisionError::NotActive`] when it does not become active
            /// within five minutes, and [`ProvisionError::Request`] /
            /// [`ProvisionError::Timeout`] when a request fails.
            ///
            /// [`ProvisionError::WrongKeySchema`]: crate::dynamodb::ProvisionError::WrongKeySchema
            /// [`ProvisionError::TtlOnOtherAttribute`]: crate::dynamodb::ProvisionError::TtlOnOtherAttribute
            /// [`ProvisionError::NotActive`]: crate::dynamodb::ProvisionError::NotActive
            /// [`ProvisionError::Request`]: crate::dynamodb::ProvisionError::Request
            /// [`ProvisionError::Timeout`]: crate::dynamodb::ProvisionError::Timeout
            pub fn create_table_if_missing(
                &self,
            ) -> Result<$crate::dynamodb::ProvisionReport, $crate::dynamodb::ProvisionError> {
                self.inner.create_table_if_missing()
            }
        }

        $crate::table::backend_via_table!($backend);
    };
}
pub(crate) use backend_api;

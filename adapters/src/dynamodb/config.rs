//! Building a [`DynamoDbBackend`]: table, region, endpoint, credentials,
//! retries and runtime.

use std::error::Error;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rusoto_core::credential::{
    CredentialsError, DefaultCredentialsProvider, ProvideAwsCredentials,
};
use rusoto_core::{DispatchSignedRequest, HttpClient, Region};
use rusoto_dynamodb::DynamoDbClient;

use super::retry::RetryConfig;
use super::{DynamoDbBackend, Inner};

/// Environment variable overriding the endpoint for DynamoDB only.
pub const ENDPOINT_ENV_DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
/// Environment variable overriding the endpoint for every AWS service.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

type ClientFactory = Box<dyn FnOnce(Region) -> DynamoDbClient + Send>;

/// Builds a [`DynamoDbBackend`]. Start from [`DynamoDbBackend::builder`].
///
/// Without further settings the backend finds its region, endpoint and
/// credentials the way AWS tools do:
///
/// * region: `AWS_DEFAULT_REGION`, `AWS_REGION`, then the profile's region,
///   then `us-east-1` ([`Region::default`]);
/// * endpoint: the region's, unless `AWS_ENDPOINT_URL_DYNAMODB` or
///   `AWS_ENDPOINT_URL` names another (e.g. DynamoDB Local);
/// * credentials: rusoto's [`DefaultCredentialsProvider`]: environment,
///   profile, container role, instance role.
///
/// Building contacts nothing; the first request does.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions_adapters::dynamodb::DynamoDbBackend;
///
/// // DynamoDB Local on this machine, any credentials.
/// let backend = DynamoDbBackend::builder("sessions")
///     .endpoint("http://127.0.0.1:8000")
///     .static_credentials("local", "local")
///     .max_attempts(3)
///     .attempt_timeout(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(backend.table_name(), "sessions");
/// assert_eq!(backend.retry_config().max_attempts, 3);
/// # Ok::<(), dynamodb_sessions_adapters::dynamodb::BuildError>(())
/// ```
pub struct DynamoDbBackendBuilder {
    table_name: String,
    region: Option<Region>,
    endpoint: Option<String>,
    client: Option<DynamoDbClient>,
    client_factory: Option<ClientFactory>,
    retry: RetryConfig,
    worker_threads: usize,
    check_item_size: bool,
}

impl fmt::Debug for DynamoDbBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbBackendBuilder")
            .field("table_name", &self.table_name)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("client", &self.client.as_ref().map(|_| ".."))
            .field("credentials", &self.client_factory.as_ref().map(|_| ".."))
            .field("retry", &self.retry)
            .field("worker_threads", &self.worker_threads)
            .field("check_item_size", &self.check_item_size)
            .finish()
    }
}

impl DynamoDbBackendBuilder {
    pub(crate) fn new(table_name: impl Into<String>) -> Self {
        DynamoDbBackendBuilder {
            table_name: table_name.into(),
            region: None,
            endpoint: None,
            client: None,
            client_factory: None,
            retry: RetryConfig::default(),
            worker_threads: 2,
            check_item_size: true,
        }
    }

    /// Uses this region instead of the one from the environment or profile.
    /// A [`Region::Custom`] also sets the endpoint.
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Sends requests to this endpoint, e.g. `http://127.0.0.1:8000` for
    /// DynamoDB Local; both `http://` and `https://` work. Takes precedence
    /// over [`region`](Self::region)'s endpoint and over the
    /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` variables; the region
    /// still names the signing region.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Signs requests with credentials from `provider` instead of rusoto's
    /// default chain.
    pub fn credentials<P>(mut self, provider: P) -> Self
    where
        P: ProvideAwsCredentials + Send + Sync + 'static,
    {
        self.client_factory = Some(Box::new(move |region| {
            DynamoDbClient::new_with(http_client(), provider, region)
        }));
        self
    }

    /// Signs requests with this fixed access key; handy for DynamoDB Local,
    /// which accepts any.
    pub fn static_credentials(
        self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials(rusoto_core::credential::StaticProvider::new_minimal(
            access_key_id.into(),
            secret_access_key.into(),
        ))
    }

    /// Uses this caller-configured client as it is; region, endpoint and
    /// credential settings are then ignored. Note that rusoto's default
    /// `HttpClient` refuses `http://` endpoints: build the client on
    /// [`http_client`] for those.
    pub fn client(mut self, client: DynamoDbClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Replaces the whole retry policy.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Attempts per call, the first included (default 4; 0 is taken as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts;
        self
    }

    /// First backoff between attempts, doubled after each (default 25 ms).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.retry.base_delay = delay;
        self
    }

    /// Upper bound of any one backoff (default 1 s).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.retry.max_delay = delay;
        self
    }

    /// Time limit of each attempt (default 2 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.retry.attempt_timeout = timeout;
        self
    }

    /// Worker threads of the backend's own tokio runtime (default 2; 0 is
    /// taken as 1). The calling threads drive their own requests; the
    /// workers run the connection pool's background tasks.
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = threads.max(1);
        self
    }

    /// Whether `create` and `replace` refuse an item over 400 KB (as
    /// [`dynamodb_sessions::item_size`] counts it) before sending it, with
    /// its size in the error (default true). When false, DynamoDB decides,
    /// and its refusal is still [`BackendError::ItemTooLarge`].
    ///
    /// [`BackendError::ItemTooLarge`]: dynamodb_sessions::BackendError::ItemTooLarge
    pub fn check_item_size(mut self, check: bool) -> Self {
        self.check_item_size = check;
        self
    }

    /// Builds the backend and its runtime.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidTableName`] for a name DynamoDB would refuse,
    /// [`BuildError::Credentials`] when rusoto's default credential chain
    /// cannot be set up, [`BuildError::Runtime`] when the runtime's threads
    /// cannot be started.
    pub fn build(self) -> Result<DynamoDbBackend, BuildError> {
        validate_table_name(&self.table_name)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name("dynamodb-sessions")
            .enable_all()
            .build()
            .map_err(BuildError::Runtime)?;
        let client = {
            // Anything the client sets up on creation belongs to our runtime.
            let _guard = runtime.enter();
            match (self.client, self.client_factory) {
                (Some(client), _) => client,
                (None, factory) => {
                    let region = resolve_region(self.region, self.endpoint, &|name| {
                        std::env::var(name).ok()
                    });
                    match factory {
                        Some(factory) => factory(region),
                        None => {
                            let provider = DefaultCredentialsProvider::new()
                                .map_err(BuildError::Credentials)?;
                            DynamoDbClient::new_with(http_client(), provider, region)
                        }
                    }
                }
            }
        };
        Ok(DynamoDbBackend {
            inner: Arc::new(Inner {
                client,
                table_name: self.table_name,
                retry: self.retry,
                check_item_size: self.check_item_size,
                runtime: super::OwnedRuntime::new(runtime),
            }),
        })
    }
}

/// An HTTP client for rusoto that speaks both `http://` (DynamoDB Local) and
/// `https://` (AWS, with the webpki root certificates).
///
/// rusoto's default `HttpClient` refuses plain HTTP; use this one when
/// building your own client for [`DynamoDbBackendBuilder::client`].
///
/// ```
/// use rusoto_core::credential::StaticProvider;
/// use rusoto_core::Region;
/// use rusoto_dynamodb::DynamoDbClient;
/// use dynamodb_sessions_adapters::dynamodb::{http_client, DynamoDbBackend};
///
/// let region = Region::Custom {
///     name: "us-east-1".into(),
///     endpoint: "http://127.0.0.1:8000".into(),
/// };
/// let credentials = StaticProvider::new_minimal("local".into(), "local".into());
/// let client = DynamoDbClient::new_with(http_client(), credentials, region);
/// let backend = DynamoDbBackend::with_client(client, "sessions")?;
/// # Ok::<(), dynamodb_sessions_adapters::dynamodb::BuildError>(())
/// ```
pub fn http_client() -> impl DispatchSignedRequest + Send + Sync + 'static {
    HttpClient::from_connector(
        hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build(),
    )
}

/// Where the region and endpoint come from, given the explicit settings and
/// a way to read environment variables.
pub(crate) fn resolve_region(
    region: Option<Region>,
    endpoint: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Region {
    let non_empty = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let (region, region_name) = match region {
        Some(region) => {
            let name = region.name().to_owned();
            (region, name)
        }
        None => match non_empty("AWS_DEFAULT_REGION").or_else(|| non_empty("AWS_REGION")) {
            // An unknown name is kept for signing against a custom endpoint.
            Some(name) => (
                Region::from_str(name.trim()).unwrap_or_default(),
                name.trim().to_owned(),
            ),
            None => {
                let region = Region::default();
                let name = region.name().to_owned();
                (region, name)
            }
        },
    };
    let endpoint = match (endpoint, &region) {
        (Some(endpoint), _) => Some(endpoint),
        (None, Region::Custom { .. }) => None,
        (None, _) => non_empty(ENDPOINT_ENV_DYNAMODB).or_else(|| non_empty(ENDPOINT_ENV)),
    };
    match endpoint {
        Some(endpoint) => Region::Custom {
            name: region_name,
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
        },
        None => region,
    }
}

/// Checks a table name against DynamoDB's rules: 3 to 255 characters from
/// `a-z A-Z 0-9 _ - .`.
fn validate_table_name(name: &str) -> Result<(), BuildError> {
    let valid = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(())
    } else {
        Err(BuildError::InvalidTableName {
            name: name.to_owned(),
        })
    }
}

/// Why a [`DynamoDbBackend`] could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The table name is not 3 to 255 characters of `a-z A-Z 0-9 _ - .`.
    InvalidTableName {
        /// The refused name.
        name: String,
    },
    /// rusoto's default credential chain could not be set up.
    Credentials(CredentialsError),
    /// The backend's tokio runtime could not be started.
    Runtime(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidTableName { name } => write!(
                f,
                "invalid DynamoDB table name {name:?}: use 3 to 255 characters of a-z, A-Z, 0-9, _, - and ."
            ),
            BuildError::Credentials(_) => f.write_str("cannot set up AWS credentials"),
            BuildError::Runtime(_) => f.write_str("cannot start the DynamoDB backend's runtime"),
        }
    }
}

impl Error for BuildError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BuildError::InvalidTableName { .. } => None,
            BuildError::Credentials(e) => Some(e),
            BuildError::Runtime(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn custom(name: &str, endpoint: &str) -> Region {
        Region::Custom {
            name: name.into(),
            endpoint: endpoint.into(),
        }
    }

    #[test]
    fn region_from_environment() {
        let region = resolve_region(None, None, &env(&[("AWS_REGION", "eu-west-1")]));
        assert_eq!(region, Region::EuWest1);
        let region = resolve_region(
            None,
            None,
            &env(&[
                ("AWS_DEFAULT_REGION", "eu-central-1"),
                ("AWS_REGION", "eu-west-1"),
            ]),
        );
        assert_eq!(region, Region::EuCentral1);
    }

    #[test]
    fn endpoint_from_environment_prefers_the_dynamodb_one() {
        let region = resolve_region(
            None,
            None,
            &env(&[
                ("AWS_REGION", "eu-west-1"),
                (ENDPOINT_ENV, "http://generic:1"),
                (ENDPOINT_ENV_DYNAMODB, "http://dynamo:2/"),
            ]),
        );
        assert_eq!(region, custom("eu-west-1", "http://dynamo:2"));
        let region = resolve_region(
            None,
            None,
            &env(&[("AWS_REGION", "local"), (ENDPOINT_ENV, "http://generic:1")]),
        );
        assert_eq!(region, custom("local", "http://generic:1"));
    }

    #[test]
    fn explicit_settings_win() {
        let vars = env(&[
            ("AWS_REGION", "eu-west-1"),
            (ENDPOINT_ENV_DYNAMODB, "http://dynamo:2"),
        ]);
        assert_eq!(
            resolve_region(Some(Region::UsWest2), Some("https://x.test".into()), &vars),
            custom("us-west-2", "https://x.test")
        );
        assert_eq!(
            resolve_region(None, Some("http://127.0.0.1:8000".into()), &vars),
            custom("eu-west-1", "http://127.0.0.1:8000")
        );
        assert_eq!(
            resolve_region(Some(custom("r", "http://c:3")), None, &vars),
            custom("r", "http://c:3")
        );
        assert_eq!(
            resolve_region(Some(Region::UsWest2), None, &vars),
            custom("us-west-2", "http://dynamo:2")
        );
        let no_env = env(&[("AWS_REGION", "ap-south-1"), (ENDPOINT_ENV, " ")]);
        assert_eq!(resolve_region(None, None, &no_env), Region::ApSouth1);
    }

    #[test]
    fn table_names_are_checked() {
        for good in ["abc", "my_table-1.x", &"a".repeat(255)] {
            assert!(validate_table_name(good).is_ok(), "{good}");
        }
        for bad in ["", "ab", "a b c", "tab/le", &"a".repeat(256), "täble"] {
            assert!(
                matches!(
                    validate_table_name(bad),
                    Err(BuildError::InvalidTableName { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn build_errors_keep_their_source() {
        let error = DynamoDbBackend::builder("x").build().err();
        assert!(matches!(error, Some(BuildError::InvalidTableName { .. })));
        let error = BuildError::Runtime(std::io::Error::other("no threads"));
        assert!(error.source().is_some());
        assert!(!error.to_string().is_empty());
    }
}

//! Building a backend on any client: table, region, endpoint,
//! credentials, retries and runtime.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::backend::DynamoDbBackendOn;
use super::build_error::BuildError;
use super::client::Client;
use super::environment::{resolve, BUILDER_ENDPOINT};
use super::home_regions::HomeRegions;
use super::names::validate_table_name;
use super::settings::{Settings, StaticKey};
use crate::regions::HomeRouted;
use crate::table::{OwnedRuntime, RetryConfig};

/// Builds a [`DynamoDbBackendOn<C>`] on the client `C`: a
/// [`DynamoDbBackendBuilder`](super::DynamoDbBackendBuilder) (rusoto) or
/// an [`AwsSdkBackendBuilder`] (the AWS SDK). Start from
/// [`DynamoDbBackendOn::builder`], e.g. `DynamoDbBackend::builder`.
///
/// Without further settings the backend finds its region, endpoint and
/// credentials the way the AWS CLI v2 and the AWS SDKs do, alike on every
/// client (one resolution serves all; blank variables count as unset):
///
/// * profile: `AWS_PROFILE`, else `default`, read from `AWS_CONFIG_FILE`
///   (else `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (else
///   `~/.aws/credentials`; its settings win), in the AWS file format
///   (`[profile name]` in the config file, `[name]` in the credentials
///   file). A file that does not parse is [`BuildError::InvalidProfileFile`];
/// * region: [`region`](Self::region), else `AWS_REGION`, else
///   `AWS_DEFAULT_REGION`, else the profile's `region` (never the EC2
///   instance metadata service); `us-east-1` only when none is set. Any
///   region name works, including regions newer than rusoto's list, which
///   ends in early 2022 (e.g. `eu-central-2`, `mx-central-1`): requests go
///   to that region's endpoint and are signed for it; see
///   [`region`](Self::region) for the rules. A name that is not a region
///   name, or whose endpoint is unknown, fails [`build`](Self::build) with
///   [`BuildError::InvalidRegion`] or [`BuildError::UnknownRegion`] instead
///   of falling back to another region;
/// * endpoint: [`endpoint`](Self::endpoint), else `AWS_ENDPOINT_URL_DYNAMODB`,
///   else `AWS_ENDPOINT_URL`, else the profile's `services` section
///   (`services = name` in the profile, `[services name]` with
///   `dynamodb =` and an indented `endpoint_url = ...`), else the profile's
///   `endpoint_url`; else the region's (`https://dynamodb.<region>.amazonaws.com`,
///   or the partition's domain, e.g. `amazonaws.com.cn` for `cn-*`).
///   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
///   `ignore_configured_endpoint_urls = true`) leaves only the builder's.
///   Every one is checked: one that is not `http(s)://` and a host is
///   [`BuildError::InvalidEndpoint`], never skipped;
/// * credentials: a fixed key from [`static_credentials`](Self::static_credentials),
///   else the client's chain, given the same profile and the very files
///   read above:
///   * rusoto's ([`Rusoto`](super::Rusoto)): `AWS_ACCESS_KEY_ID` and
///     `AWS_SECRET_ACCESS_KEY`, the profile's `credential_process` (config
///     file) or keys (credentials file), a container's role
///     (`AWS_CONTAINER_CREDENTIALS_*`), the instance's role. rusoto 0.48
///     knows no web identity (EKS IRSA), IAM Identity Center (SSO) or
///     `role_arn` profiles, and no keys in the config file: where those are
///     what the AWS SDK would use, [`build`](Self::build) fails with
///     [`BuildError::UnsupportedCredentials`] rather than sign with another
///     identity; use [`AwsSdkBackend`] (feature `aws-sdk`) there, or a
///     `credential_process` that prints credentials;
///   * the AWS SDKs' default chain ([`AwsSdk`]): environment variables,
///     the profile (static keys, `credential_process`, IAM Identity Center
///     / SSO, `role_arn` with a source profile), web identity (EKS IRSA),
///     the ECS container role, the EC2 instance role.
///
/// The backend's `Debug` shows what was resolved: region, endpoint and
/// where it came from, profile and credential source (never a key).
///
/// Building reads the environment and the profile files (unless region,
/// endpoint and credentials are all given) and contacts nothing; the first
/// request does (and fetches the AWS SDK's credentials). The AWS SDK's own
/// retries, timeouts and stalled-stream checks are switched off: the
/// backend's [`RetryConfig`] is the only policy, with one deadline per
/// call. Both clients send through the same hyper 0.14 + rustls connector.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions::dynamodb::DynamoDbBackend;
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
/// # Ok::<(), dynamodb_sessions::dynamodb::BuildError>(())
/// ```
///
#[cfg_attr(
    feature = "aws-sdk",
    doc = "[`AwsSdkBackend`]: super::AwsSdkBackend",
    doc = "[`AwsSdkBackendBuilder`]: super::AwsSdkBackendBuilder",
    doc = "[`AwsSdk`]: super::AwsSdk"
)]
// Without the feature, the AWS SDK's names lead to the list of clients.
#[cfg_attr(
    not(feature = "aws-sdk"),
    doc = "[`AwsSdkBackend`]: super::Client",
    doc = "[`AwsSdkBackendBuilder`]: super::Client",
    doc = "[`AwsSdk`]: super::Client"
)]
pub struct DynamoDbBackendBuilderOn<C: Client> {
    settings: Settings,
    client: PhantomData<fn() -> C>,
}

/// Never shows a key.
impl<C: Client> fmt::Debug for DynamoDbBackendBuilderOn<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settings.debug(C::BUILDER_NAME, f)
    }
}

impl<C: Client> DynamoDbBackendBuilderOn<C> {
    pub(crate) fn new(table_name: impl Into<String>) -> Self {
        DynamoDbBackendBuilderOn {
            settings: Settings::new(table_name.into()),
            client: PhantomData,
        }
    }

    /// Uses the region of this name (e.g. `"eu-central-2"`) instead of the
    /// one from the environment or profile.
    ///
    /// Region names are checked when the backend is built, and these rules
    /// also apply to `AWS_REGION`, `AWS_DEFAULT_REGION` and the profile's
    /// region, on every client:
    ///
    /// * Surrounding whitespace is ignored and case does not matter
    ///   (`EU-WEST-1` is `eu-west-1`), as rusoto always parsed them; the
    ///   name is signed and sent in lowercase. rusoto's compact spellings of
    ///   its own regions (`euwest1`) still work.
    /// * Anything that is not a DNS label (1 to 63 ASCII letters, digits and
    ///   hyphens, not starting or ending with a hyphen), e.g. `""`,
    ///   `"eu west 1"` or `"http://x"`, is [`BuildError::InvalidRegion`].
    /// * Without an explicit endpoint, requests go to
    ///   `https://dynamodb.<region>.<domain>`, with the domain of the AWS
    ///   partition the name belongs to, as the AWS SDKs derive it:
    ///   `amazonaws.com` for `<area>-<place>-<n>` with an area of `us`,
    ///   `eu`, `ap`, `sa`, `ca`, `me`, `af`, `il` or `mx`, and for
    ///   `us-gov-<place>-<n>`; `amazonaws.com.cn` for `cn-<place>-<n>`;
    ///   `c2s.ic.gov` for `us-iso-…`, `sc2s.sgov.gov` for `us-isob-…`,
    ///   `csp.hci.ic.gov` for `us-isof-…`, `cloud.adc-e.uk` for `eu-isoe-…`
    ///   and `amazonaws.eu` for `eusc-de-…` (`<place>` is letters and
    ///   digits, `<n>` digits). A name of no known partition (`local`, or an
    ///   area AWS added later) is [`BuildError::UnknownRegion`]: give its
    ///   endpoint with [`endpoint`](Self::endpoint) or
    ///   `AWS_ENDPOINT_URL_DYNAMODB`.
    /// * With an explicit endpoint, the name only signs the requests, so any
    ///   valid label works (e.g. `local` for DynamoDB Local).
    ///
    /// ```
    /// use dynamodb_sessions::dynamodb::{BuildError, DynamoDbBackend};
    ///
    /// // Zurich, which rusoto 0.48 does not list: dynamodb.eu-central-2.amazonaws.com.
    /// let backend = DynamoDbBackend::builder("sessions")
    ///     .region("eu-central-2")
    ///     .build()?;
    ///
    /// let error = DynamoDbBackend::builder("sessions")
    ///     .region("eu west 1")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(error, BuildError::InvalidRegion { .. }));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn region(mut self, name: impl Into<String>) -> Self {
        self.settings.region = Some(name.into());
        self
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
        self.settings.credentials = Some(StaticKey {
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
        self.settings.credentials = Some(StaticKey {
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
    /// use dynamodb_sessions::dynamodb::{DynamoDbBackend, RetryConfig};
    ///
    /// let backend = DynamoDbBackend::builder("sessions")
    ///     .region("us-east-1")
    ///     .endpoint("http://127.0.0.1:8000")
    ///     .static_credentials("local", "local")
    ///     .retry(RetryConfig::DEFAULT.max_attempts(6))
    ///     .attempt_timeout(Duration::from_millis(500))
    ///     .build()?;
    /// assert_eq!(backend.retry_config().max_attempts, 6);
    /// assert_eq!(backend.retry_config().attempt_timeout, Duration::from_millis(500));
    /// # Ok::<(), dynamodb_sessions::dynamodb::BuildError>(())
    /// ```
    pub fn retry(mut self, retry: RetryConfig) -> Self {
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
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.settings.retry.base_delay = delay;
        self
    }

    /// Upper bound of any one backoff (default 1 s).
    pub fn max_delay(mut self, delay: Duration) -> Self {
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
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.settings.retry.attempt_timeout = timeout;
        self
    }

    /// Time limit of a whole backend call: every attempt, every
    /// backoff and the read that decides a write whose answer was
    /// lost (default 5 s). No call returns later; one that runs out
    /// of time is [`BackendError::Timeout`](crate::BackendError::Timeout),
    /// whose `after` is how long the caller waited.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
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

    /// Builds the backend and its runtime, and sets its client up: rusoto's
    /// credential chain, or `aws-config`'s loaded.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidTableName`] for a name DynamoDB would refuse,
    /// [`BuildError::InvalidRegion`] for a region name that is not one,
    /// [`BuildError::UnknownRegion`] for a region whose endpoint is unknown
    /// when no endpoint is given, [`BuildError::InvalidEndpoint`] for an
    /// endpoint (given, or from the environment or profile) that is not
    /// `http(s)://` and a host, [`BuildError::InvalidProfileFile`] for a
    /// profile file that does not parse, [`BuildError::Runtime`] when the
    /// runtime's threads cannot be started. On rusoto besides:
    /// [`BuildError::UnsupportedCredentials`] for credentials rusoto cannot
    /// use, [`BuildError::Credentials`] when rusoto's credential chain
    /// cannot be set up.
    pub fn build(self) -> Result<DynamoDbBackendOn<C>, BuildError> {
        let settings = self.settings;
        validate_table_name(&settings.table_name)?;
        // Everything is settled, or refused, before anything is started.
        let resolution = resolve(C::KIND, &settings.given(), &|name| std::env::var(name).ok())?;
        let runtime = OwnedRuntime::start(settings.worker_threads).map_err(BuildError::Runtime)?;
        let wire = C::connect(&settings, &resolution, &runtime)?;
        Ok(DynamoDbBackendOn {
            inner: Arc::new(settings.into_table(wire, runtime)),
            placement: Arc::new(resolution.placement),
        })
    }

    /// Builds a backend over the global table's replica in each of
    /// `regions`, which sends every call for a session to its home region
    /// (see [`regions`](crate::regions)): a [`HomeRouted`] over one
    /// [`DynamoDbBackendOn<C>`] per region. Pass its
    /// [`local_slots`](HomeRouted::local_slots) to
    /// [`SessionConfigBuilder::key_slots`](crate::SessionConfigBuilder::key_slots).
    ///
    /// Every region's backend has this builder's table name, credentials,
    /// retries and settings; its region and endpoint come from `regions`
    /// (each region is resolved as [`region`](Self::region) says, the
    /// profile and the environment as for [`build`](Self::build)). Each
    /// region's backend has its own runtime and connection pool, with
    /// [`worker_threads`](Self::worker_threads) workers. The slot table is
    /// checked before anything is set up.
    ///
    /// ```
    /// use dynamodb_sessions::dynamodb::{DynamoDbBackend, HomeRegions};
    /// use dynamodb_sessions::regions::{Failover, KeySlots};
    /// use dynamodb_sessions::SessionConfig;
    ///
    /// let backend = DynamoDbBackend::builder("sessions")
    ///     .build_home_routed(
    ///         HomeRegions::new()
    ///             .region("eu-west-1", KeySlots::range(0..8)?)
    ///             .region_at("us-east-1", KeySlots::range(8..16)?, "http://127.0.0.1:8001")
    ///             .local("eu-west-1")
    ///             .failover(Failover::Wait),
    ///     )?;
    /// let config = SessionConfig::builder()
    ///     .key_slots(backend.local_slots())
    ///     .build()?;
    /// assert_eq!(backend.region("us-east-1").unwrap().table_name(), "sessions");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError::Regions`] when the slot table or the local region is
    /// wrong ([`RegionsError`](crate::regions::RegionsError) says how),
    /// [`BuildError::SharedEndpoint`] when two regions resolve to one
    /// endpoint not both given with `region_at` (an endpoint set in the
    /// environment or the profile applies to every region given with
    /// `region`),
    /// [`BuildError::SingleRegionSetting`] when this builder was given a
    /// [`region`](Self::region) or an [`endpoint`](Self::endpoint) (each
    /// region's are in `regions`), and otherwise as [`build`](Self::build)
    /// for each region.
    pub fn build_home_routed(
        self,
        regions: HomeRegions,
    ) -> Result<HomeRouted<DynamoDbBackendOn<C>>, BuildError> {
        let settings = self.settings;
        if settings.region.is_some() {
            return Err(BuildError::SingleRegionSetting { setting: "region" });
        }
        if settings.endpoint.is_some() {
            return Err(BuildError::SingleRegionSetting {
                setting: "endpoint",
            });
        }
        regions.check().map_err(BuildError::Regions)?;
        // Each region's name, endpoint, and whether `region_at` gave it.
        let mut endpoints: Vec<(String, String, bool)> = Vec::new();
        regions.route(|region| {
            let backend = DynamoDbBackendBuilderOn::<C> {
                settings: settings.in_region(&region.name, region.endpoint.as_deref()),
                client: PhantomData,
            }
            .build()?;
            // Two regions sent to one endpoint by the environment or the
            // profile would be one replica: home routing would quietly stop
            // being regional. Given with `region_at`, one endpoint for
            // several regions is deliberate (an emulator serving every
            // region at one URL).
            let endpoint = backend.placement.endpoint.clone();
            let given = backend.placement.endpoint_origin == Some(BUILDER_ENDPOINT);
            let shared = endpoints
                .iter()
                .find(|(_, e, by)| *e == endpoint && !(given && *by));
            if let Some((first, _, _)) = shared {
                return Err(BuildError::SharedEndpoint {
                    first: first.clone(),
                    second: region.name.clone(),
                });
            }
            endpoints.push((region.name.clone(), endpoint, given));
            Ok(backend)
        })
    }
}

/// For each client's tests: `builder` with temporary credentials shows
/// none of them in its `Debug`, builds, and neither does the backend's;
/// returns the backend's `Debug` for the client's own checks.
#[cfg(test)]
pub(crate) fn debug_hiding_temporary_credentials<C: Client>(
    builder: DynamoDbBackendBuilderOn<C>,
) -> String {
    let builder = builder.temporary_credentials("AKIDSECRETID", "s3cr3t-key", "tok3n-value");
    let shown = format!("{builder:?}");
    for secret in ["AKIDSECRETID", "s3cr3t-key", "tok3n-value"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let backend = builder.build().expect("builds with temporary credentials");
    let shown = format!("{backend:?}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("AKID"),
        "{shown}"
    );
    shown
}

// The rules are the same on every client; these run on rusoto.
#[cfg(all(test, feature = "dynamodb"))]
mod tests {
    use super::*;
    use crate::dynamodb::{DynamoDbBackend, DynamoDbBackendBuilder};
    use std::error::Error;

    #[test]
    fn credentials_never_show_in_debug_and_temporary_ones_build() {
        let shown = debug_hiding_temporary_credentials(
            DynamoDbBackend::builder("sessions").region("eu-west-1"),
        );
        assert!(shown.contains(r#"region: "eu-west-1""#), "{shown}");
        assert!(shown.contains(r#"credentials: "static"#), "{shown}");
    }

    /// Each setter changes its own field; `retry` replaces all five, so
    /// what was set before it is overwritten and what is set after it
    /// stays: the last to touch a field wins.
    #[test]
    fn retry_settings_compose_in_order() {
        let ms = Duration::from_millis;
        let policy = RetryConfig::DEFAULT
            .max_attempts(7)
            .attempt_timeout(ms(700));
        let retry = |builder: DynamoDbBackendBuilder| builder.settings.retry;
        let builder = || DynamoDbBackend::builder("sessions");

        let after = retry(
            builder()
                .retry(policy)
                .attempt_timeout(ms(300))
                .call_timeout(ms(900)),
        );
        assert_eq!(after.max_attempts, 7);
        assert_eq!(after.attempt_timeout, ms(300));
        assert_eq!(after.call_timeout, ms(900));
        assert_eq!(after.base_delay, RetryConfig::DEFAULT.base_delay);

        let before = retry(
            builder()
                .attempt_timeout(ms(300))
                .call_timeout(ms(900))
                .retry(policy),
        );
        assert_eq!(before, policy);

        let alone = retry(builder().call_timeout(ms(1500)).max_delay(ms(40)));
        assert_eq!(
            alone,
            RetryConfig::DEFAULT
                .call_timeout(ms(1500))
                .max_delay(ms(40))
        );
    }

    #[test]
    fn the_later_region_setting_wins() {
        let builder = DynamoDbBackend::builder("sessions")
            .region("us-east-1")
            .region("eu-central-2");
        assert_eq!(builder.settings.region.as_deref(), Some("eu-central-2"));
    }

    #[test]
    fn build_refuses_bad_region_names() {
        let build = |name: &str| {
            DynamoDbBackend::builder("sessions")
                .region(name)
                .static_credentials("a", "b")
                .build()
        };
        assert!(matches!(
            build("eu west 1").err(),
            Some(BuildError::InvalidRegion { .. })
        ));
        assert!(matches!(
            build("").err(),
            Some(BuildError::InvalidRegion { .. })
        ));
        assert!(build("eu-central-2").is_ok());
        // Without static credentials, too: the region is checked first.
        let error = DynamoDbBackend::builder("sessions")
            .region("http://x")
            .build()
            .err();
        assert!(matches!(error, Some(BuildError::InvalidRegion { .. })));
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
    fn home_routed_backends_get_each_region_and_the_shared_settings() {
        use crate::dynamodb::HomeRegions;
        use crate::regions::{Failover, KeySlots, RegionsError};

        let slots = |range| KeySlots::range(range).unwrap();
        let builder = || {
            DynamoDbBackend::builder("sessions")
                .static_credentials("a", "b")
                .max_attempts(2)
        };
        let regions = HomeRegions::new()
            .region("eu-west-1", slots(0..8))
            .region_at("us-east-1", slots(8..16), "http://127.0.0.1:8001")
            .local("us-east-1")
            .failover(Failover::Abandon);
        let backend = builder().build_home_routed(regions.clone()).unwrap();
        assert_eq!(backend.local_slots(), slots(8..16));
        assert_eq!(backend.failover(), Failover::Abandon);
        let eu = format!("{:?}", backend.region("eu-west-1").unwrap());
        assert!(eu.contains(r#"region: "eu-west-1""#), "{eu}");
        assert!(eu.contains("dynamodb.eu-west-1.amazonaws.com"), "{eu}");
        let us = backend.region("us-east-1").unwrap();
        assert!(format!("{us:?}").contains("127.0.0.1:8001"), "{us:?}");
        assert_eq!(us.retry_config().max_attempts, 2);
        assert_eq!(us.table_name(), "sessions");

        let refused = |builder: DynamoDbBackendBuilder, regions: HomeRegions| {
            builder.build_home_routed(regions).expect_err("refused")
        };
        assert!(matches!(
            refused(builder().region("eu-west-1"), regions.clone()),
            BuildError::SingleRegionSetting { setting: "region" }
        ));
        assert!(matches!(
            refused(builder().endpoint("http://127.0.0.1:1"), regions.clone()),
            BuildError::SingleRegionSetting {
                setting: "endpoint"
            }
        ));
        let overlapping = regions.clone().region("ap-south-1", slots(7..9));
        let error = refused(builder(), overlapping);
        assert!(matches!(
            error,
            BuildError::Regions(RegionsError::OverlappingSlots { slot: 7 })
        ));
        assert!(error.source().is_some());
        assert!(matches!(
            refused(builder(), regions.clone().local("ap-south-1")),
            BuildError::Regions(RegionsError::UnknownRegion)
        ));
        assert!(matches!(
            refused(builder(), HomeRegions::new()),
            BuildError::Regions(RegionsError::NoRegions)
        ));
        let bad_name = HomeRegions::new()
            .region("eu west 1", slots(0..16))
            .local("eu west 1");
        assert!(matches!(
            refused(builder(), bad_name),
            BuildError::InvalidRegion { .. }
        ));
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

//! Building a [`DynamoDbBackend`]: table, region, endpoint, credentials,
//! retries and runtime.

use std::sync::Arc;

use rusoto_core::credential::{
    AutoRefreshingProvider, ChainProvider, ProfileProvider, StaticProvider,
};
use rusoto_core::{DispatchSignedRequest, HttpClient, Region};
use rusoto_dynamodb::DynamoDbClient;

use super::build_error::BuildError;
use super::environment::{resolve, Client};
use super::names::validate_table_name;
use super::rusoto_wire::RusotoWire;
use super::settings::{builder_common, Settings};
use super::DynamoDbBackend;
use crate::table::OwnedRuntime;

/// Builds a [`DynamoDbBackend`]. Start from [`DynamoDbBackend::builder`].
///
/// Without further settings the backend finds its region, endpoint and
/// credentials the way the AWS CLI v2 and the AWS SDKs do, and exactly as
/// [`AwsSdkBackendBuilder`](super::AwsSdkBackendBuilder) finds them (one
/// resolution serves both; blank variables count as unset):
///
/// * profile: `AWS_PROFILE`, else `default`, read from `AWS_CONFIG_FILE`
///   (else `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (else
///   `~/.aws/credentials`; its settings win), in the AWS file format
///   (`[profile name]` in the config file, `[name]` in the credentials
///   file). A file that does not parse is [`BuildError::InvalidProfileFile`];
/// * region: [`region`](Self::region), else `AWS_REGION`, else
///   `AWS_DEFAULT_REGION`, else the profile's `region`; `us-east-1` only when
///   none is set. Any region name works, including regions newer than
///   rusoto's list, which ends in early 2022 (e.g. `eu-central-2`,
///   `mx-central-1`): requests go to that region's endpoint and are signed
///   for it; see [`region`](Self::region) for the rules. A name that is not
///   a region name, or whose endpoint is unknown, fails
///   [`build`](Self::build) with [`BuildError::InvalidRegion`] or
///   [`BuildError::UnknownRegion`] instead of falling back to another region;
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
///   else rusoto's chain on the same profile: `AWS_ACCESS_KEY_ID` and
///   `AWS_SECRET_ACCESS_KEY`, the profile's `credential_process` (config
///   file) or keys (credentials file), a container's role
///   (`AWS_CONTAINER_CREDENTIALS_*`), the instance's role. rusoto 0.48
///   knows no web identity (EKS IRSA), IAM Identity Center (SSO) or
///   `role_arn` profiles, and no keys in the config file: where those are
///   what the AWS SDK would use, [`build`](Self::build) fails with
///   [`BuildError::UnsupportedCredentials`] rather than sign with another
///   identity; use [`AwsSdkBackend`](super::AwsSdkBackend) (feature
///   `aws-sdk`) there, or a `credential_process` that prints credentials.
///
/// The backend's `Debug` shows what was resolved: region, endpoint and
/// where it came from, profile and credential source (never a key).
///
/// Building reads the environment and the profile files (unless region,
/// endpoint and credentials are all given) and contacts nothing; the first
/// request does.
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
pub struct DynamoDbBackendBuilder {
    settings: Settings,
}

builder_common!(DynamoDbBackendBuilder, DynamoDbBackend);

impl DynamoDbBackendBuilder {
    /// Uses the region of this name (e.g. `"eu-central-2"`) instead of the
    /// one from the environment or profile.
    ///
    /// Region names are checked when the backend is built, and these rules
    /// also apply to `AWS_REGION`, `AWS_DEFAULT_REGION` and the profile's
    /// region, on both backends:
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

    /// Builds the backend and its runtime.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidTableName`] for a name DynamoDB would refuse,
    /// [`BuildError::InvalidRegion`] for a region name that is not one,
    /// [`BuildError::UnknownRegion`] for a region whose endpoint is unknown
    /// when no endpoint is given, [`BuildError::InvalidEndpoint`] for an
    /// endpoint (given, or from the environment or profile) that is not
    /// `http(s)://` and a host, [`BuildError::InvalidProfileFile`] for a
    /// profile file that does not parse,
    /// [`BuildError::UnsupportedCredentials`] for credentials rusoto cannot
    /// use, [`BuildError::Credentials`] when rusoto's credential chain
    /// cannot be set up, [`BuildError::Runtime`] when the runtime's threads
    /// cannot be started.
    pub fn build(self) -> Result<DynamoDbBackend, BuildError> {
        let settings = self.settings;
        validate_table_name(&settings.table_name)?;
        // Everything is settled, or refused, before anything is started.
        let resolution = resolve(Client::Rusoto, &settings.given(), &|name| {
            std::env::var(name).ok()
        })?;
        let placement = resolution.placement;
        let region = Region::Custom {
            name: placement.region.clone(),
            endpoint: placement.endpoint.clone(),
        };
        let runtime = OwnedRuntime::start(settings.worker_threads).map_err(BuildError::Runtime)?;
        let client = {
            // Anything the client sets up on creation belongs to our runtime.
            let _guard = runtime.enter();
            match &settings.credentials {
                Some(key) => DynamoDbClient::new_with(
                    http_client(),
                    StaticProvider::new(
                        key.access_key_id.clone(),
                        key.secret_access_key.clone(),
                        key.session_token.clone(),
                        None,
                    ),
                    region,
                ),
                None => {
                    // rusoto's default chain, on the profile resolved above.
                    let profile = ProfileProvider::with_configuration(
                        resolution.credentials_file,
                        placement.profile.clone(),
                    );
                    let provider =
                        AutoRefreshingProvider::new(ChainProvider::with_profile_provider(profile))
                            .map_err(|error| BuildError::Credentials(Box::new(error)))?;
                    DynamoDbClient::new_with(http_client(), provider, region)
                }
            }
        };
        Ok(DynamoDbBackend {
            inner: Arc::new(settings.into_table(RusotoWire(client), runtime)),
            placement: Arc::new(placement),
        })
    }
}

/// An HTTP client for rusoto that speaks both `http://` (DynamoDB Local) and
/// `https://` (AWS, with the webpki root certificates); rusoto's default
/// `HttpClient` refuses plain HTTP.
pub(crate) fn http_client() -> impl DispatchSignedRequest + Send + Sync + 'static {
    HttpClient::from_connector(
        hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn credentials_never_show_in_debug_and_temporary_ones_build() {
        let builder = DynamoDbBackend::builder("sessions")
            .region("eu-west-1")
            .temporary_credentials("AKIDSECRETID", "s3cr3t-key", "tok3n-value");
        let shown = format!("{builder:?}");
        for secret in ["AKIDSECRETID", "s3cr3t-key", "tok3n-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let backend = builder.build().unwrap();
        let shown = format!("{backend:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("AKID"),
            "{shown}"
        );
        assert!(shown.contains(r#"region: "eu-west-1""#), "{shown}");
        assert!(shown.contains(r#"credentials: "static"#), "{shown}");
    }

    /// Each setter changes its own field; `retry` replaces all five, so
    /// what was set before it is overwritten and what is set after it
    /// stays: the last to touch a field wins.
    #[test]
    fn retry_settings_compose_in_order() {
        use crate::dynamodb::RetryConfig;
        use std::time::Duration;
        let ms = Duration::from_millis;
        let policy = RetryConfig::DEFAULT
            .with_max_attempts(7)
            .with_attempt_timeout(ms(700));
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
                .with_call_timeout(ms(1500))
                .with_max_delay(ms(40))
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
    fn build_errors_keep_their_source() {
        let error = DynamoDbBackend::builder("x").build().err();
        assert!(matches!(error, Some(BuildError::InvalidTableName { .. })));
        let error = BuildError::Runtime(std::io::Error::other("no threads"));
        assert!(error.source().is_some());
        assert!(!error.to_string().is_empty());
    }
}

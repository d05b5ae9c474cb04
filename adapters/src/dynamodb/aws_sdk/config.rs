//! Building an [`AwsSdkBackend`]: `aws-config`'s default chain, the
//! builder's overrides, and the SDK's own retries and timeouts switched off.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::retry::RetryConfig as SdkRetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::hyper_014::HyperClientBuilder;

use super::super::build_error::BuildError;
use super::super::names::{
    checked_endpoint, configured_endpoint, dynamodb_endpoint, is_dns_label, validate_table_name,
};
use super::super::settings::{builder_common, Settings};
use super::wire::SdkWire;
use super::AwsSdkBackend;
use crate::table::OwnedRuntime;

/// Where a region named by the builder comes from, in errors.
const BUILDER_ORIGIN: &str = "AwsSdkBackendBuilder::region";
/// Where a region found by `aws-config` comes from, in errors.
const CHAIN_ORIGIN: &str = "the AWS SDK's region chain";

/// The SDK defaults this backend was written and tested against, pinned: a
/// newer behavior version may change defaults (retries, timeouts) without
/// a compile error, so moving it is a change of its own, tested with the
/// whole suite. Retries and timeouts are set off explicitly either way.
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_11_17()
}

/// Builds an [`AwsSdkBackend`]. Start from [`AwsSdkBackend::builder`].
///
/// Without further settings the backend is configured as every AWS SDK is,
/// by `aws-config`'s default chain:
///
/// * region: the builder's [`region`](Self::region), else `AWS_REGION`,
///   else the profile's `region` (`AWS_PROFILE` or `default`, in
///   `AWS_CONFIG_FILE` or `~/.aws/config`), else the EC2 instance metadata
///   service (which, off EC2, takes a moment to fail; set
///   `AWS_EC2_METADATA_DISABLED=true` there); `us-east-1` only when none
///   names one. Any region name works, including regions added after this
///   crate: the SDK's endpoint rules place it. A name that is not a region
///   name is [`BuildError::InvalidRegion`], and — without an endpoint — a
///   name of no AWS partition is [`BuildError::UnknownRegion`], as for
///   [`DynamoDbBackend`](crate::dynamodb::DynamoDbBackend);
/// * endpoint: the region's, unless [`endpoint`](Self::endpoint),
///   `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL` or the profile's
///   `endpoint_url` names another (e.g. DynamoDB Local);
/// * credentials: the SDKs' default chain: environment variables, the
///   profile (static keys, `credential_process`, IAM Identity Center / SSO,
///   `role_arn` with a source profile), web identity (EKS IRSA), the ECS
///   container role, the EC2 instance role; or a fixed key from
///   [`static_credentials`](Self::static_credentials).
///
/// Building reads the environment and profile files; credentials are
/// fetched by the first request. The SDK's own retries, timeouts and
/// stalled-stream checks are switched off: the backend's
/// [`RetryConfig`](crate::dynamodb::RetryConfig) is the only policy, with
/// one deadline per call. Requests go through the same hyper 0.14 + rustls
/// connector as the rusoto backend's.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions::dynamodb::AwsSdkBackend;
///
/// // DynamoDB Local on this machine, any credentials.
/// let backend = AwsSdkBackend::builder("sessions")
///     .region("us-east-1")
///     .endpoint("http://127.0.0.1:8000")
///     .static_credentials("local", "local")
///     .max_attempts(3)
///     .attempt_timeout(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(backend.table_name(), "sessions");
/// assert_eq!(backend.retry_config().max_attempts, 3);
/// # Ok::<(), dynamodb_sessions::dynamodb::BuildError>(())
/// ```
pub struct AwsSdkBackendBuilder {
    settings: Settings,
}

builder_common!(AwsSdkBackendBuilder);

impl AwsSdkBackendBuilder {
    /// Uses the region of this name (e.g. `"eu-central-2"`) instead of the
    /// one `aws-config`'s chain finds. Surrounding whitespace is ignored and
    /// case does not matter; anything that is not a DNS label is
    /// [`BuildError::InvalidRegion`] when the backend is built, and a name
    /// of no AWS partition without an endpoint is
    /// [`BuildError::UnknownRegion`] (the rules of
    /// [`DynamoDbBackendBuilder::region`](crate::dynamodb::DynamoDbBackendBuilder::region)).
    pub fn region(mut self, name: impl Into<String>) -> Self {
        self.settings.region = Some(name.into());
        self
    }

    /// Builds the backend and its runtime, loading `aws-config`'s chain.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidTableName`] for a name DynamoDB would refuse,
    /// [`BuildError::InvalidRegion`] for a region name that is not one,
    /// [`BuildError::UnknownRegion`] for a region whose endpoint is unknown
    /// when no endpoint is configured, [`BuildError::InvalidEndpoint`] for
    /// an endpoint (given or from the environment) that is not `http(s)://`
    /// and a host, [`BuildError::Runtime`] when the
    /// runtime's threads cannot be started.
    pub fn build(self) -> Result<AwsSdkBackend, BuildError> {
        let settings = self.settings;
        validate_table_name(&settings.table_name)?;
        // A bad name is refused before anything is started.
        let named = settings
            .region
            .as_deref()
            .map(|name| region_name(name, BUILDER_ORIGIN))
            .transpose()?;
        let env = |name: &str| std::env::var(name).ok();
        // The endpoint, checked here and given to the SDK as checked: the
        // builder's, else the variables' (which outrank a profile's, as in
        // the SDK). The SDK reading a variable itself would take it raw, and
        // drop one its own parser refuses, sending to the region's real
        // endpoint instead. With AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, only
        // the builder's counts, as in the SDK.
        let given = settings
            .endpoint
            .as_deref()
            .map(|endpoint| checked_endpoint(endpoint, "the builder's endpoint"))
            .transpose()?;
        let endpoint = match given {
            Some(given) => Some(given),
            None if ignores_configured_endpoints(&env) => None,
            None => configured_endpoint(None, &env)?,
        };
        let runtime = OwnedRuntime::start(settings.worker_threads).map_err(BuildError::Runtime)?;
        // One HTTP client for the SDK and for what aws-config asks (SSO,
        // STS, instance metadata): hyper 0.14 with the connector rusoto uses.
        let http_client = HyperClientBuilder::new().build(
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_webpki_roots()
                .https_or_http()
                .enable_http1()
                .build(),
        );
        let mut loader = aws_config::defaults(behavior_version()).http_client(http_client.clone());
        if let Some(name) = &named {
            loader = loader.region(Region::new(name.clone()));
        }
        if let Some(key) = &settings.credentials {
            loader = loader.credentials_provider(Credentials::new(
                key.access_key_id.clone(),
                key.secret_access_key.clone(),
                key.session_token.clone(),
                None,
                "dynamodb-sessions",
            ));
        }
        let shared = runtime
            .block_on(loader.load())
            .map_err(BuildError::Runtime)?;
        let region = match (named, shared.region()) {
            (Some(name), _) => name,
            (None, Some(found)) => region_name(found.as_ref(), CHAIN_ORIGIN)?,
            // Only when no region is configured anywhere, as rusoto does.
            (None, None) => "us-east-1".to_owned(),
        };
        let endpoint_configured = endpoint.is_some() || shared.endpoint_url().is_some();
        if !endpoint_configured && dynamodb_endpoint(&region).is_none() {
            let origin = match &settings.region {
                Some(_) => BUILDER_ORIGIN,
                None => CHAIN_ORIGIN,
            };
            return Err(BuildError::UnknownRegion {
                name: region,
                origin,
            });
        }
        let mut config = aws_sdk_dynamodb::config::Builder::from(&shared)
            .region(Region::new(region))
            .http_client(http_client)
            // Ours are the only retries and timeouts: one deadline per call.
            .retry_config(SdkRetryConfig::disabled())
            .timeout_config(TimeoutConfig::disabled())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = {
            // Anything the client sets up on creation belongs to our runtime.
            let _guard = runtime.enter();
            Client::from_conf(config.build())
        };
        Ok(AwsSdkBackend {
            inner: Arc::new(settings.into_table(SdkWire(client), runtime)),
        })
    }
}

/// Whether `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` tells the SDK to ignore
/// the endpoint variables (and the profile's `endpoint_url`).
fn ignores_configured_endpoints(env: &dyn Fn(&str) -> Option<String>) -> bool {
    // Untrimmed, as the SDK reads it.
    env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// A region name as signed and sent: trimmed, lowercase, a DNS label.
fn region_name(name: &str, origin: &'static str) -> Result<String, BuildError> {
    let lower = name.trim().to_ascii_lowercase();
    if is_dns_label(&lower) {
        Ok(lower)
    } else {
        Err(BuildError::InvalidRegion {
            name: name.to_owned(),
            origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::names::{ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB};

    #[test]
    fn the_ignore_flag_is_read_as_the_sdk_reads_it() {
        let flag = |value: &'static str| {
            move |name: &str| {
                (name == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").then(|| value.to_owned())
            }
        };
        assert!(ignores_configured_endpoints(&flag("true")));
        assert!(ignores_configured_endpoints(&flag("TRUE")));
        assert!(!ignores_configured_endpoints(&flag(" true")));
        assert!(!ignores_configured_endpoints(&flag("false")));
        assert!(!ignores_configured_endpoints(&|_| None));
    }

    #[test]
    fn an_endpoint_without_scheme_is_refused_not_ignored() {
        let error = AwsSdkBackend::builder("sessions")
            .region("eu-central-2")
            .endpoint("127.0.0.1:8000")
            .build()
            .expect_err("no scheme");
        assert!(
            matches!(error, BuildError::InvalidEndpoint { .. }),
            "{error}"
        );
    }

    fn build(region: &str, endpoint: Option<&str>) -> Result<AwsSdkBackend, BuildError> {
        let mut builder = AwsSdkBackend::builder("sessions")
            .region(region)
            .static_credentials("a", "b");
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint(endpoint);
        }
        builder.build()
    }

    #[test]
    fn region_names_follow_the_rusoto_backends_rules() {
        for name in ["eu-central-2", "mx-central-1", " EU-West-1 ", "cn-north-1"] {
            assert!(build(name, None).is_ok(), "{name}");
        }
        for name in ["", "eu west 1", "http://x", "-eu-west-1"] {
            assert!(
                matches!(
                    build(name, None),
                    Err(BuildError::InvalidRegion {
                        origin: BUILDER_ORIGIN,
                        ..
                    })
                ),
                "{name:?}"
            );
        }
        // A name of no partition needs an endpoint, unless the environment
        // names one (CI may).
        if std::env::var_os(ENDPOINT_ENV).is_none()
            && std::env::var_os(ENDPOINT_ENV_DYNAMODB).is_none()
        {
            assert!(matches!(
                build("local", None),
                Err(BuildError::UnknownRegion { .. })
            ));
        }
        assert!(build("local", Some("http://127.0.0.1:8000")).is_ok());
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let builder = AwsSdkBackend::builder("sessions")
            .region("eu-west-1")
            .temporary_credentials("AKIDSECRETID", "s3cr3t-key", "tok3n-value");
        let shown = format!("{builder:?}");
        for secret in ["AKIDSECRETID", "s3cr3t-key", "tok3n-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let backend = builder.build().unwrap();
        assert!(!format!("{backend:?}").contains("s3cr3t"));
    }

    #[test]
    fn table_names_are_checked() {
        assert!(matches!(
            AwsSdkBackend::builder("x").build(),
            Err(BuildError::InvalidTableName { .. })
        ));
    }
}

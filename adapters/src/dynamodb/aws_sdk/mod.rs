//! The AWS SDK for Rust (feature `aws-sdk`): its requests (`wire.rs`) and
//! its setup from the resolved settings: `aws-config`'s credential chain,
//! and the SDK's own retries and timeouts switched off.

mod wire;

#[allow(deprecated)] // the type moved to aws-runtime, not our dependency
use aws_config::profile::profile_file::ProfileFileKind;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::retry::RetryConfig as SdkRetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region, StalledStreamProtectionConfig};
use aws_smithy_http_client::hyper_014::HyperClientBuilder;

use super::build_error::BuildError;
use super::client::{Client, Sealed};
use super::environment::{ClientKind, Resolution};
use super::settings::Settings;
use crate::table::OwnedRuntime;
use wire::SdkWire;

/// The SDK defaults this backend was written and tested against, pinned: a
/// newer behavior version may change defaults (retries, timeouts) without
/// a compile error, so moving it is a change of its own, tested with the
/// whole suite. Retries and timeouts are set off explicitly either way.
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_11_17()
}

/// The official AWS SDK for Rust (`aws-sdk-dynamodb`, configured by
/// `aws-config`): the client of [`AwsSdkBackend`](super::AwsSdkBackend).
///
/// Its credential chain is the AWS SDKs' (SSO, web identity, `role_arn`
/// profiles, ...). The SDK's own retries, timeouts and stalled-stream
/// checks are switched off: the backend's [`RetryConfig`](super::RetryConfig)
/// is the only policy, with one deadline per call. Requests go through the
/// same hyper 0.14 + rustls connector as the rusoto client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsSdk {}

impl Client for AwsSdk {}

impl Sealed for AwsSdk {
    type Wire = SdkWire;

    const KIND: ClientKind = ClientKind::AwsSdk;
    const BACKEND_NAME: &'static str = "AwsSdkBackend";
    const BUILDER_NAME: &'static str = "AwsSdkBackendBuilder";

    /// Loads `aws-config`'s credential chain (credentials themselves are
    /// fetched by the first request).
    fn connect(
        settings: &Settings,
        resolution: &Resolution,
        runtime: &OwnedRuntime,
    ) -> Result<SdkWire, BuildError> {
        let placement = &resolution.placement;
        // One HTTP client for the SDK and for what aws-config asks (SSO,
        // STS, instance metadata): hyper 0.14 with the connector rusoto uses.
        let http_client = HyperClientBuilder::new().build(
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_webpki_roots()
                .https_or_http()
                .enable_http1()
                .build(),
        );
        // The credential chain reads the profile and the very texts read
        // by resolution; region and endpoint are ours, so it asks no
        // instance metadata service for a region.
        #[allow(deprecated)] // the type moved to aws-runtime, not our dependency
        let profile_files = aws_config::profile::profile_file::ProfileFiles::builder()
            .with_contents(ProfileFileKind::Config, resolution.config_text.clone())
            .with_contents(
                ProfileFileKind::Credentials,
                resolution.credentials_text.clone(),
            )
            .build();
        let mut loader = aws_config::defaults(behavior_version())
            .http_client(http_client.clone())
            .region(Region::new(placement.region.clone()))
            .profile_name(placement.profile.clone())
            .profile_files(profile_files);
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
        let mut config = aws_sdk_dynamodb::config::Builder::from(&shared)
            .region(Region::new(placement.region.clone()))
            .http_client(http_client)
            // Ours are the only retries and timeouts: one deadline per call.
            .retry_config(SdkRetryConfig::disabled())
            .timeout_config(TimeoutConfig::disabled())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
        // The endpoint checked by resolution, or none (the region's, by the
        // SDK's rules): the SDK itself would take a variable or profile
        // setting raw, and one it cannot use fails every request, with the
        // request in its error.
        config.set_endpoint_url(
            placement
                .endpoint_origin
                .map(|_| placement.endpoint.clone()),
        );
        // Anything the client sets up on creation belongs to our runtime.
        let _guard = runtime.enter();
        Ok(SdkWire(aws_sdk_dynamodb::Client::from_conf(config.build())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::builder::debug_hiding_temporary_credentials;
    use crate::dynamodb::profile::{FileKind, ProfileFiles};
    use crate::dynamodb::AwsSdkBackend;

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
            assert!(build(name, Some("http://127.0.0.1:8000")).is_ok(), "{name}");
        }
        for name in ["", "eu west 1", "http://x", "-eu-west-1"] {
            assert!(
                matches!(
                    build(name, None),
                    Err(BuildError::InvalidRegion {
                        origin: "AwsSdkBackendBuilder::region",
                        ..
                    })
                ),
                "{name:?}"
            );
        }
        assert!(build("local", Some("http://127.0.0.1:8000")).is_ok());
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let shown = debug_hiding_temporary_credentials(
            AwsSdkBackend::builder("sessions")
                .region("eu-west-1")
                .endpoint("http://127.0.0.1:8000"),
        );
        assert!(
            shown.contains(r#"endpoint: "http://127.0.0.1:8000""#),
            "{shown}"
        );
    }

    #[test]
    fn table_names_are_checked() {
        assert!(matches!(
            AwsSdkBackend::builder("x").build(),
            Err(BuildError::InvalidTableName { .. })
        ));
    }

    /// The reader both backends share agrees with `aws-config`'s own parser
    /// on what it reads: a profile's settings (from either file, the
    /// credentials file winning, `[profile default]` over `[default]`,
    /// comments, continuations) and its `services` section's.
    #[test]
    fn the_shared_profile_reader_agrees_with_aws_config() {
        let cases: [(&str, &str); 8] = [
            (
                "[default]\nregion = eu-west-1 # comment\nendpoint_url = http://a:1;x\n\
                 [profile dev] ; comment\nREGION=eu-central-2\nservices = mine\n\
                 ignore_configured_endpoint_urls = true\n\
                 [services mine]\ns3 =\n  endpoint_url = http://s3:1\n\
                 dynamodb =\n  endpoint_url = http://ddb:2 # kept\n  other = x\n",
                "[dev]\naws_access_key_id = AKID\naws_secret_access_key = s\n",
            ),
            (
                "[default]\nregion = a-1\n[profile default]\nregion = b-1\n",
                "[default]\nendpoint_url = http://c:3\n",
            ),
            (
                "[dev]\nregion = unprefixed-is-ignored\n[profile dev]\nrole_arn = arn\n",
                "[profile dev]\nregion = prefixed-is-ignored\n",
            ),
            (
                "[profile dev]\nregion = x-1\n\tcontinued\n[profile bad name]\nregion = y-1\n",
                "[dev]\nregion = z-1\n",
            ),
            (
                "[ profile dev ]\nregion=eu-west-3\nsso_session = corp\n[sso-session corp]\nsso_region = x\n",
                "",
            ),
            (
                "[default]\nservices = s\n[services s]\ndynamodb = first\n  endpoint_url = http://d:4\n",
                "",
            ),
            ("[default]\nregion = a\n[default]\nendpoint_url = http://again:5\n", ""),
            ("# only comments\n; here\n", "\n"),
        ];
        let keys = [
            "region",
            "endpoint_url",
            "services",
            "ignore_configured_endpoint_urls",
            "aws_access_key_id",
            "role_arn",
            "sso_session",
        ];
        let runtime = OwnedRuntime::start(1).unwrap();
        for (config, credentials) in cases {
            let mut ours = ProfileFiles::default();
            ours.merge(config, FileKind::Config).unwrap();
            ours.merge(credentials, FileKind::Credentials).unwrap();
            for name in ["default", "dev"] {
                #[allow(deprecated)]
                let files = aws_config::profile::profile_file::ProfileFiles::builder()
                    .with_contents(ProfileFileKind::Config, config)
                    .with_contents(ProfileFileKind::Credentials, credentials)
                    .build();
                let theirs = runtime
                    .block_on(aws_config::profile::load(
                        &Default::default(),
                        &Default::default(),
                        &files,
                        Some(name.into()),
                    ))
                    .unwrap()
                    .expect("aws-config parses it");
                let profile = ours.profile(name);
                for key in keys {
                    assert_eq!(
                        profile.get(key),
                        theirs.get(key),
                        "{name}.{key} in {config:?}"
                    );
                }
                assert_eq!(
                    profile.exists(),
                    theirs.get_profile(name).is_some(),
                    "{name}"
                );
                // Sub-properties are reachable in aws-config only through
                // aws-runtime's key type; its Debug names them all.
                let sections = format!("{:?}", theirs.other_sections());
                if let Some(endpoint) = profile.service("dynamodb", "endpoint_url") {
                    assert!(sections.contains(&format!("{endpoint:?}")), "{sections}");
                    assert!(
                        sections.contains(r#"property_name: "dynamodb""#),
                        "{sections}"
                    );
                }
            }
        }
    }
}

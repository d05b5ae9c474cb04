//! Building a [`DynamoDbBackend`]: table, region, endpoint, credentials,
//! retries and runtime.

use std::str::FromStr;
use std::sync::Arc;

use rusoto_core::credential::{DefaultCredentialsProvider, ProfileProvider, StaticProvider};
use rusoto_core::{DispatchSignedRequest, HttpClient, Region};
use rusoto_dynamodb::DynamoDbClient;

use super::build_error::BuildError;
use super::names::{configured_endpoint, dynamodb_endpoint, is_dns_label, validate_table_name};
use super::rusoto_wire::RusotoWire;
use super::settings::{builder_common, Settings};
use super::DynamoDbBackend;
use crate::table::OwnedRuntime;

/// Builds a [`DynamoDbBackend`]. Start from [`DynamoDbBackend::builder`].
///
/// Without further settings the backend finds its region, endpoint and
/// credentials the way AWS tools do:
///
/// * region: the first of `AWS_DEFAULT_REGION`, `AWS_REGION` and the
///   profile's `region` (`AWS_PROFILE` or `default`, in `AWS_CONFIG_FILE` or
///   `~/.aws/config`) that is set and not blank; `us-east-1` only when none
///   is. Any region name works, including regions newer than rusoto's list,
///   which ends in early 2022 (e.g. `eu-central-2`, `mx-central-1`):
///   requests go to that region's endpoint and are signed for it; see
///   [`region`](Self::region) for the rules. A name that is not a
///   region name, or whose endpoint is unknown, fails [`build`](Self::build)
///   with [`BuildError::InvalidRegion`] or [`BuildError::UnknownRegion`]
///   instead of falling back to another region;
/// * endpoint: the region's (`https://dynamodb.<region>.amazonaws.com`, or
///   the partition's domain, e.g. `amazonaws.com.cn` for `cn-*`), unless
///   [`endpoint`](Self::endpoint), `AWS_ENDPOINT_URL_DYNAMODB` or
///   `AWS_ENDPOINT_URL` names another (e.g. DynamoDB Local);
/// * credentials: rusoto's default chain: environment (`AWS_ACCESS_KEY_ID`,
///   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), profile
///   (`AWS_PROFILE`, `~/.aws/credentials`, including `credential_process`),
///   container role, instance role; or a fixed key from
///   [`static_credentials`](Self::static_credentials). rusoto 0.48 does not
///   know web identity (EKS IRSA), IAM Identity Center (SSO) or `role_arn`
///   profiles: there, run a `credential_process` that prints credentials,
///   or use [`AwsSdkBackend`](super::AwsSdkBackend) (feature `aws-sdk`),
///   which takes the full chain of the AWS SDKs.
///
/// Building contacts nothing; the first request does.
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

builder_common!(DynamoDbBackendBuilder);

impl DynamoDbBackendBuilder {
    /// Uses the region of this name (e.g. `"eu-central-2"`) instead of the
    /// one from the environment or profile.
    ///
    /// Region names are checked when the backend is built, and these rules
    /// also apply to `AWS_DEFAULT_REGION`, `AWS_REGION` and the profile's
    /// region:
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
    /// endpoint (given or from the environment) that is not `http(s)://`
    /// and a host, [`BuildError::Credentials`] when rusoto's
    /// default credential chain cannot be set up, [`BuildError::Runtime`]
    /// when the runtime's threads cannot be started.
    pub fn build(self) -> Result<DynamoDbBackend, BuildError> {
        let settings = self.settings;
        validate_table_name(&settings.table_name)?;
        // The region is settled, or refused, before anything is started.
        let region = resolve_region(
            settings.region.clone(),
            settings.endpoint.clone(),
            &|name| std::env::var(name).ok(),
            &|| ProfileProvider::region().ok().flatten(),
        )?;
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
                    let provider = DefaultCredentialsProvider::new()
                        .map_err(|error| BuildError::Credentials(Box::new(error)))?;
                    DynamoDbClient::new_with(http_client(), provider, region)
                }
            }
        };
        Ok(DynamoDbBackend {
            inner: Arc::new(settings.into_table(RusotoWire(client), runtime)),
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

/// Where the region and endpoint come from, given the explicit settings, a
/// way to read environment variables and a way to read the profile's region.
///
/// Never another region than the one named: a name that is not a region
/// name, or whose endpoint cannot be derived when no endpoint is given, is an
/// error, and `us-east-1` is taken only when no region is set anywhere.
fn resolve_region(
    region: Option<String>,
    endpoint: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
    profile_region: &dyn Fn() -> Option<String>,
) -> Result<Region, BuildError> {
    let non_empty = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
    let resolved = match region {
        Some(name) => Resolved::named(&name, "DynamoDbBackendBuilder::region")?,
        None => {
            let found = non_empty(env("AWS_DEFAULT_REGION"))
                .map(|name| (name, "AWS_DEFAULT_REGION"))
                .or_else(|| non_empty(env("AWS_REGION")).map(|name| (name, "AWS_REGION")))
                .or_else(|| non_empty(profile_region()).map(|name| (name, "the AWS profile")));
            match found {
                Some((name, origin)) => Resolved::named(&name, origin)?,
                // Only when no region is configured anywhere.
                None => Resolved::Known(Region::UsEast1),
            }
        }
    };
    match (resolved, configured_endpoint(endpoint.as_deref(), env)?) {
        // The region then only names the signing region.
        (resolved, Some(endpoint)) => Ok(Region::Custom {
            name: resolved.name().to_owned(),
            endpoint,
        }),
        (Resolved::Known(region), None) => Ok(region),
        (Resolved::Other { name, origin }, None) => match dynamodb_endpoint(&name) {
            Some(endpoint) => Ok(Region::Custom { name, endpoint }),
            None => Err(BuildError::UnknownRegion { name, origin }),
        },
    }
}

/// A region named by the builder, the environment or the profile.
enum Resolved {
    /// One of rusoto's regions, which knows its endpoint.
    Known(Region),
    /// A valid name rusoto does not know, in lowercase.
    Other { name: String, origin: &'static str },
}

impl Resolved {
    /// Checks `name` (from `origin`): any case, surrounding whitespace
    /// ignored, then a DNS label.
    fn named(name: &str, origin: &'static str) -> Result<Resolved, BuildError> {
        let lower = name.trim().to_ascii_lowercase();
        if !is_dns_label(&lower) {
            return Err(BuildError::InvalidRegion {
                name: name.to_owned(),
                origin,
            });
        }
        Ok(match Region::from_str(&lower) {
            Ok(region) => Resolved::Known(region),
            Err(_) => Resolved::Other {
                name: lower,
                origin,
            },
        })
    }

    fn name(&self) -> &str {
        match self {
            Resolved::Known(region) => region.name(),
            Resolved::Other { name, .. } => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::names::{ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB};
    use rusoto_core::signature::SignedRequest;
    use std::collections::HashMap;
    use std::error::Error;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn no_profile() -> Option<String> {
        None
    }

    fn custom(name: &str, endpoint: &str) -> Region {
        Region::Custom {
            name: name.into(),
            endpoint: endpoint.into(),
        }
    }

    fn named(name: &str) -> Option<String> {
        Some(name.into())
    }

    /// The region from the environment variables only, which must resolve.
    fn from_env(vars: &[(&str, &str)]) -> Region {
        resolve_region(None, None, &env(vars), &no_profile).unwrap()
    }

    /// Where rusoto's DynamoDB client sends a request for `region` (scheme
    /// and host), and the region it signs it for.
    fn destination(region: &Region) -> (String, String) {
        let request = SignedRequest::new("POST", "dynamodb", region, "/");
        (
            format!("{}://{}", request.scheme(), request.hostname()),
            request.region.name().to_owned(),
        )
    }

    /// Resolves `name` given in each of the four ways (builder, both
    /// variables, profile) without an endpoint, checks that all agree, and
    /// returns where requests go.
    fn destination_of(name: &str) -> (String, String) {
        let ways = [
            resolve_region(named(name), None, &env(&[]), &no_profile),
            resolve_region(
                None,
                None,
                &env(&[("AWS_DEFAULT_REGION", name)]),
                &no_profile,
            ),
            resolve_region(None, None, &env(&[("AWS_REGION", name)]), &no_profile),
            resolve_region(None, None, &env(&[]), &|| Some(name.to_owned())),
        ];
        let regions: Vec<Region> = ways
            .into_iter()
            .map(|way| way.unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        assert!(
            regions.iter().all(|r| *r == regions[0]),
            "{name}: {regions:?}"
        );
        destination(&regions[0])
    }

    #[test]
    fn region_from_environment() {
        assert_eq!(from_env(&[("AWS_REGION", "eu-west-1")]), Region::EuWest1);
        let region = from_env(&[
            ("AWS_DEFAULT_REGION", "eu-central-1"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        assert_eq!(region, Region::EuCentral1);
    }

    #[test]
    fn region_precedence_and_default() {
        let profile = || Some("ap-south-2".to_owned());
        let resolve = |vars: &[(&str, &str)]| resolve_region(None, None, &env(vars), &profile);
        // The variables before the profile, AWS_DEFAULT_REGION first.
        assert_eq!(
            destination(&resolve(&[("AWS_REGION", "ca-west-1")]).unwrap()).1,
            "ca-west-1"
        );
        assert_eq!(
            destination(
                &resolve(&[
                    ("AWS_DEFAULT_REGION", "mx-central-1"),
                    ("AWS_REGION", "ca-west-1")
                ])
                .unwrap()
            )
            .1,
            "mx-central-1"
        );
        // Blank variables are unset, so the profile's region is taken.
        let region = resolve(&[("AWS_DEFAULT_REGION", ""), ("AWS_REGION", "  ")]).unwrap();
        assert_eq!(
            destination(&region),
            (
                "https://dynamodb.ap-south-2.amazonaws.com".to_owned(),
                "ap-south-2".to_owned()
            )
        );
        // The builder's name before all of them.
        let region = resolve_region(
            named("il-central-1"),
            None,
            &env(&[("AWS_REGION", "ca-west-1")]),
            &profile,
        )
        .unwrap();
        assert_eq!(destination(&region).1, "il-central-1");
        // us-east-1 only when nothing names a region; a blank profile
        // region names none.
        assert_eq!(
            resolve_region(None, None, &env(&[("AWS_REGION", " ")]), &no_profile).unwrap(),
            Region::UsEast1
        );
        assert_eq!(
            resolve_region(None, None, &env(&[]), &|| Some(" ".to_owned())).unwrap(),
            Region::UsEast1
        );
    }

    #[test]
    fn regions_newer_than_rusoto_reach_their_own_endpoint() {
        for name in [
            "eu-central-2",
            "me-central-1",
            "il-central-1",
            "ap-south-2",
            "ca-west-1",
            "mx-central-1",
            "eu-south-2",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
        ] {
            assert!(Region::from_str(name).is_err(), "{name} is known to rusoto");
            assert_eq!(
                destination_of(name),
                (
                    format!("https://dynamodb.{name}.amazonaws.com"),
                    name.to_owned()
                ),
            );
            assert_eq!(
                resolve_region(named(name), None, &env(&[]), &no_profile).unwrap(),
                custom(name, &format!("https://dynamodb.{name}.amazonaws.com"))
            );
        }
    }

    #[test]
    fn china_regions_use_the_china_domain() {
        // Two rusoto knows, and one it does not (the partition's rule).
        for name in ["cn-north-1", "cn-northwest-1", "cn-south-1"] {
            assert_eq!(
                destination_of(name),
                (
                    format!("https://dynamodb.{name}.amazonaws.com.cn"),
                    name.to_owned()
                ),
            );
        }
        assert_eq!(from_env(&[("AWS_REGION", "cn-north-1")]), Region::CnNorth1);
    }

    #[test]
    fn other_partitions_use_their_domains() {
        for (name, host) in [
            ("us-gov-west-1", "dynamodb.us-gov-west-1.amazonaws.com"),
            ("us-gov-east-1", "dynamodb.us-gov-east-1.amazonaws.com"),
            ("us-gov-north-1", "dynamodb.us-gov-north-1.amazonaws.com"),
            ("us-iso-east-1", "dynamodb.us-iso-east-1.c2s.ic.gov"),
            ("us-iso-west-1", "dynamodb.us-iso-west-1.c2s.ic.gov"),
            ("us-isob-east-1", "dynamodb.us-isob-east-1.sc2s.sgov.gov"),
            ("us-isof-south-1", "dynamodb.us-isof-south-1.csp.hci.ic.gov"),
            ("eu-isoe-west-1", "dynamodb.eu-isoe-west-1.cloud.adc-e.uk"),
            ("eusc-de-east-1", "dynamodb.eusc-de-east-1.amazonaws.eu"),
        ] {
            assert_eq!(
                destination_of(name),
                (format!("https://{host}"), name.to_owned())
            );
        }
    }

    #[test]
    fn names_are_read_in_any_case_and_spelling_rusoto_knows() {
        for name in ["eu-west-1", "EU-WEST-1", " Eu-West-1\n", "euwest1"] {
            assert_eq!(
                resolve_region(named(name), None, &env(&[]), &no_profile).unwrap(),
                Region::EuWest1,
                "{name:?}"
            );
            assert_eq!(from_env(&[("AWS_REGION", name)]), Region::EuWest1);
        }
        assert_eq!(
            destination_of("eu-west-1"),
            (
                "https://dynamodb.eu-west-1.amazonaws.com".to_owned(),
                "eu-west-1".to_owned()
            )
        );
        assert_eq!(
            destination_of(" EU-Central-2 "),
            (
                "https://dynamodb.eu-central-2.amazonaws.com".to_owned(),
                "eu-central-2".to_owned()
            )
        );
        // With an endpoint the name is signed in rusoto's canonical form.
        let region = resolve_region(
            named("EuWest1"),
            Some("http://127.0.0.1:8000".into()),
            &env(&[]),
            &no_profile,
        );
        assert_eq!(
            region.unwrap(),
            custom("eu-west-1", "http://127.0.0.1:8000")
        );
    }

    #[test]
    fn names_that_are_not_region_names_are_refused() {
        let long = "a".repeat(64);
        let bad = [
            "",
            "  ",
            "eu west 1",
            "http://x",
            "eu-west-1.",
            "eu-west-1/",
            "-eu-west-1",
            "eu-west-1-",
            "eu_west_1",
            "eü-west-1",
            long.as_str(),
        ];
        for name in bad {
            let is_invalid = |result: Result<Region, BuildError>, origin: &str| {
                matches!(
                    result,
                    Err(BuildError::InvalidRegion { name: ref n, origin: o }) if n == name && o == origin
                )
            };
            for endpoint in [None, Some("http://127.0.0.1:8000".to_owned())] {
                let result = resolve_region(named(name), endpoint.clone(), &env(&[]), &no_profile);
                assert!(
                    is_invalid(result, "DynamoDbBackendBuilder::region"),
                    "{name:?}"
                );
                if name.trim().is_empty() {
                    continue; // a blank variable or profile region is unset
                }
                let vars = env(&[("AWS_REGION", name)]);
                let result = resolve_region(None, endpoint.clone(), &vars, &no_profile);
                assert!(is_invalid(result, "AWS_REGION"), "{name:?}");
                // A bad AWS_DEFAULT_REGION is not skipped for AWS_REGION.
                let vars = env(&[("AWS_DEFAULT_REGION", name), ("AWS_REGION", "eu-west-1")]);
                let result = resolve_region(None, endpoint.clone(), &vars, &no_profile);
                assert!(is_invalid(result, "AWS_DEFAULT_REGION"), "{name:?}");
                let profile = || Some(name.to_owned());
                let result = resolve_region(None, endpoint.clone(), &env(&[]), &profile);
                assert!(is_invalid(result, "the AWS profile"), "{name:?}");
            }
        }
        let error = resolve_region(named("eu west 1"), None, &env(&[]), &no_profile)
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"eu west 1\""), "{error}");
    }

    #[test]
    fn names_of_no_partition_are_refused_without_an_endpoint() {
        for name in [
            "local",
            "xx-west-1",
            "eu-west",
            "eucentral2",
            "eu-central-x",
            "us-foo-east-1",
            "eu--west-1",
            "cn-north",
            "us-gov-1-west",
        ] {
            for (vars, origin) in [
                (vec![], "DynamoDbBackendBuilder::region"),
                (vec![("AWS_REGION", name)], "AWS_REGION"),
            ] {
                let choice = if vars.is_empty() { named(name) } else { None };
                let result = resolve_region(choice.clone(), None, &env(&vars), &no_profile);
                assert!(
                    matches!(
                        &result,
                        Err(BuildError::UnknownRegion { name: n, origin: o }) if n == name && *o == origin
                    ),
                    "{name}: {result:?}"
                );
                // Any endpoint makes it usable as the signing region.
                let result = resolve_region(
                    choice,
                    Some("https://ddb.example.test".into()),
                    &env(&vars),
                    &no_profile,
                );
                assert_eq!(result.unwrap(), custom(name, "https://ddb.example.test"));
            }
        }
        let error = resolve_region(named("local"), None, &env(&[]), &no_profile)
            .unwrap_err()
            .to_string();
        assert!(error.contains(ENDPOINT_ENV_DYNAMODB), "{error}");
    }

    #[test]
    fn endpoint_from_environment_prefers_the_dynamodb_one() {
        let region = from_env(&[
            ("AWS_REGION", "eu-west-1"),
            (ENDPOINT_ENV, "http://generic:1"),
            (ENDPOINT_ENV_DYNAMODB, "http://dynamo:2/"),
        ]);
        assert_eq!(region, custom("eu-west-1", "http://dynamo:2"));
        let region = from_env(&[("AWS_REGION", "local"), (ENDPOINT_ENV, "http://generic:1")]);
        assert_eq!(region, custom("local", "http://generic:1"));
        let region = from_env(&[
            ("AWS_REGION", "mx-central-1"),
            (ENDPOINT_ENV_DYNAMODB, "http://dynamo:2"),
        ]);
        assert_eq!(region, custom("mx-central-1", "http://dynamo:2"));
        assert_eq!(
            destination(&region),
            ("http://dynamo:2".to_owned(), "mx-central-1".to_owned())
        );
    }

    #[test]
    fn explicit_settings_win() {
        let vars = env(&[
            ("AWS_REGION", "eu-west-1"),
            (ENDPOINT_ENV_DYNAMODB, "http://dynamo:2"),
        ]);
        let resolve = |region: Option<String>, endpoint: Option<&str>| {
            resolve_region(region, endpoint.map(str::to_owned), &vars, &no_profile).unwrap()
        };
        assert_eq!(
            resolve(named("us-west-2"), Some("https://x.test")),
            custom("us-west-2", "https://x.test")
        );
        assert_eq!(
            resolve(None, Some("http://127.0.0.1:8000")),
            custom("eu-west-1", "http://127.0.0.1:8000")
        );
        assert_eq!(
            resolve(named("us-west-2"), None),
            custom("us-west-2", "http://dynamo:2")
        );
        // A named region, new or in another partition, keeps an explicit
        // endpoint too.
        assert_eq!(
            resolve(named("eu-central-2"), Some("http://127.0.0.1:8000/")),
            custom("eu-central-2", "http://127.0.0.1:8000")
        );
        assert_eq!(
            resolve(named("cn-north-1"), None),
            custom("cn-north-1", "http://dynamo:2")
        );
        let no_env = env(&[("AWS_REGION", "ap-south-1"), (ENDPOINT_ENV, " ")]);
        assert_eq!(
            resolve_region(None, None, &no_env, &no_profile).unwrap(),
            Region::ApSouth1
        );
    }

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
        assert!(!format!("{backend:?}").contains("s3cr3t"));
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

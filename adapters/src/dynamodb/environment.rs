//! Where a backend sends its requests, for which region, and whose
//! credentials sign them: from the builder's settings, the environment and
//! the AWS profile, resolved here once for both backends, so that the same
//! environment gives both the same answer. The rules are those of the AWS
//! CLI v2 and the AWS SDKs; the builders' documentation states them.

use std::fmt;
use std::path::PathBuf;

use super::build_error::BuildError;
use super::names::{checked_endpoint, dynamodb_endpoint, region_name};
use super::names::{ENDPOINT_ENV, ENDPOINT_ENV_DYNAMODB};
use super::profile::{read_text, Profile, ProfileFiles};

/// Which client a backend is built on: they find credentials differently.
// A build with one of the two features builds one of them.
#[cfg_attr(not(all(feature = "dynamodb", feature = "aws-sdk")), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    Rusoto,
    AwsSdk,
}

impl ClientKind {
    /// Where a region named by this client's builder comes from, in errors.
    fn builder_origin(self) -> &'static str {
        match self {
            ClientKind::Rusoto => "DynamoDbBackendBuilder::region",
            ClientKind::AwsSdk => "AwsSdkBackendBuilder::region",
        }
    }
}

/// Where the credentials that sign a backend's requests come from: the
/// first source of its client's chain that is configured. Never a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// The builder's `static_credentials` or `temporary_credentials`.
    Static,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// The selected profile (keys, `credential_process`, SSO, `role_arn`).
    Profile,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (AWS SDK only).
    WebIdentity,
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI` (ECS, EKS
    /// Pod Identity).
    Container,
    /// Nothing else is configured: the EC2 instance metadata service.
    InstanceRole,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialSource::Static => "static (from the builder)",
            CredentialSource::Environment => "environment (AWS_ACCESS_KEY_ID)",
            CredentialSource::Profile => "profile",
            CredentialSource::WebIdentity => "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
            CredentialSource::Container => "container (AWS_CONTAINER_CREDENTIALS_*)",
            CredentialSource::InstanceRole => "instance role (EC2 instance metadata)",
        })
    }
}

/// What a backend resolved when it was built, shown by its `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The region requests are signed for, in lowercase.
    pub(crate) region: String,
    /// The URL requests go to: the configured endpoint, or the region's.
    pub(crate) endpoint: String,
    /// Where a configured endpoint came from; `None` for the region's.
    pub(crate) endpoint_origin: Option<&'static str>,
    /// The profile the settings and credentials are read from.
    pub(crate) profile: String,
    /// Where the credentials come from.
    pub(crate) credentials: CredentialSource,
}

/// What was resolved, and the profile files it was read from: a client's
/// credential chain is pointed at the same profile and files.
// Each client reads its own share.
#[cfg_attr(not(all(feature = "dynamodb", feature = "aws-sdk")), allow(dead_code))]
pub(crate) struct Resolution {
    pub(crate) placement: Placement,
    /// The credentials file's path (rusoto's profile provider reads it).
    pub(crate) credentials_file: PathBuf,
    /// The texts of the config and credentials files, as read (the AWS
    /// SDK's chain is given these very texts).
    pub(crate) config_text: String,
    pub(crate) credentials_text: String,
}

/// What the builder was given, as far as resolution goes.
pub(crate) struct Given<'a> {
    pub(crate) region: Option<&'a str>,
    pub(crate) endpoint: Option<&'a str>,
    pub(crate) static_credentials: bool,
}

/// Resolves region, endpoint, profile and credential source for `client`
/// from `given`, the variables `env` reads and the profile files they name.
///
/// # Errors
///
/// [`BuildError::InvalidRegion`] / [`BuildError::UnknownRegion`] /
/// [`BuildError::InvalidEndpoint`] for a setting that is wrong wherever it
/// came from, [`BuildError::InvalidProfileFile`] for a profile file that
/// does not parse, and [`BuildError::UnsupportedCredentials`] for rusoto
/// when the configured source of credentials is one it cannot use.
pub(crate) fn resolve(
    client: ClientKind,
    given: &Given<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolution, BuildError> {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let profile_name = set("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
    let config_file = file_path(env, "AWS_CONFIG_FILE", "config");
    let credentials_file = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    // Everything given explicitly: the profile files play no part, so a
    // broken one does not stop the build.
    let explicit = given.region.is_some() && given.endpoint.is_some() && given.static_credentials;
    let (config_text, credentials_text) = match explicit {
        true => (String::new(), String::new()),
        false => (read_text(&config_file)?, read_text(&credentials_file)?),
    };
    let files = ProfileFiles::parse(
        &config_text,
        &credentials_text,
        [&config_file, &credentials_file],
    )?;
    let profile = files.profile(&profile_name);

    let named = match given.region {
        Some(name) => Some((name.to_owned(), client.builder_origin())),
        None => set("AWS_REGION")
            .map(|name| (name, "AWS_REGION"))
            .or_else(|| set("AWS_DEFAULT_REGION").map(|name| (name, "AWS_DEFAULT_REGION")))
            .or_else(|| {
                non_blank(profile.get("region")).map(|name| (name.to_owned(), "the AWS profile"))
            }),
    };
    let (region, region_origin) = match named {
        Some((name, origin)) => (region_name(&name, origin)?, origin),
        // Only when no region is configured anywhere.
        None => ("us-east-1".to_owned(), "the default region"),
    };

    let (endpoint, endpoint_origin) = match configured_endpoint(given.endpoint, env, profile)? {
        Some((endpoint, origin)) => (endpoint, Some(origin)),
        None => match dynamodb_endpoint(&region) {
            Some(endpoint) => (endpoint, None),
            None => {
                return Err(BuildError::UnknownRegion {
                    name: region,
                    origin: region_origin,
                })
            }
        },
    };

    let credentials = credential_source(client, given.static_credentials, &set, profile)?;
    Ok(Resolution {
        placement: Placement {
            region,
            endpoint,
            endpoint_origin,
            profile: profile_name,
            credentials,
        },
        credentials_file,
        config_text,
        credentials_text,
    })
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.trim().is_empty())
}

/// A profile file's path: the variable's (a leading `~` is the home
/// directory), else `~/.aws/<name>`; a blank variable is unset.
fn file_path(env: &dyn Fn(&str) -> Option<String>, variable: &str, name: &str) -> PathBuf {
    let home = || {
        let variable = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        env(variable).filter(|home| !home.is_empty())
    };
    match env(variable).filter(|path| !path.trim().is_empty()) {
        Some(path) => match (path.strip_prefix('~'), home()) {
            (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
                PathBuf::from(format!("{home}{rest}"))
            }
            _ => PathBuf::from(path),
        },
        None => match home() {
            Some(home) => [home.as_str(), ".aws", name].iter().collect(),
            None => ["~", ".aws", name].iter().collect(),
        },
    }
}

/// The endpoint configured for DynamoDB, checked, with where it came from:
/// the builder's; else, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or
/// the profile's `ignore_configured_endpoint_urls`) is `true`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, the profile's `services`
/// section's `dynamodb = endpoint_url = ...`, the profile's `endpoint_url`:
/// the AWS SDKs' order. Blank values count as unset.
pub(crate) fn configured_endpoint(
    given: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: Profile<'_>,
) -> Result<Option<(String, &'static str)>, BuildError> {
    if let Some(given) = given {
        return checked_endpoint(given, BUILDER_ENDPOINT).map(|e| Some((e, BUILDER_ENDPOINT)));
    }
    // As the SDK reads the flag: the variable if set at all, untrimmed.
    let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| {
            profile
                .get("ignore_configured_endpoint_urls")
                .map(str::to_owned)
        })
        .is_some_and(|flag| flag.eq_ignore_ascii_case("true"));
    if ignore {
        return Ok(None);
    }
    let candidates = [
        (env(ENDPOINT_ENV_DYNAMODB), ENDPOINT_ENV_DYNAMODB),
        (env(ENDPOINT_ENV), ENDPOINT_ENV),
        (
            profile
                .service("dynamodb", "endpoint_url")
                .map(str::to_owned),
            "the AWS profile's services section (dynamodb endpoint_url)",
        ),
        (
            profile.get("endpoint_url").map(str::to_owned),
            "the AWS profile's endpoint_url",
        ),
    ];
    for (value, origin) in candidates {
        if let Some(value) = value.filter(|value| !value.trim().is_empty()) {
            return checked_endpoint(&value, origin).map(|e| Some((e, origin)));
        }
    }
    Ok(None)
}

/// Where a builder's endpoint comes from, in errors.
pub(crate) const BUILDER_ENDPOINT: &str = "the builder's endpoint";

/// Profile settings only the AWS SDK can use for credentials.
const SDK_ONLY_PROFILE_SETTINGS: [&str; 6] = [
    "role_arn",
    "credential_source",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "login_session",
];

/// The first source of `client`'s credential chain that is configured:
/// the environment, the profile, (AWS SDK only) web identity, a container's
/// or an instance's role.
///
/// rusoto 0.48 knows no SSO, `role_arn`, web identity, and reads keys only
/// from the credentials file: where the AWS SDK would take one of those,
/// rusoto would go on down its chain to another identity (an instance's
/// role) or fail at the first request, so its build is refused instead.
fn credential_source(
    client: ClientKind,
    static_credentials: bool,
    set: &dyn Fn(&str) -> Option<String>,
    profile: Profile<'_>,
) -> Result<CredentialSource, BuildError> {
    if static_credentials {
        return Ok(CredentialSource::Static);
    }
    if set("AWS_ACCESS_KEY_ID").is_some() && set("AWS_SECRET_ACCESS_KEY").is_some() {
        return Ok(CredentialSource::Environment);
    }
    let has = |key: &str| non_blank(profile.get(key)).is_some();
    let web_identity =
        set("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() && set("AWS_ROLE_ARN").is_some();
    match client {
        ClientKind::AwsSdk => {
            if SDK_ONLY_PROFILE_SETTINGS.into_iter().any(has)
                || has("credential_process")
                || has("aws_access_key_id")
            {
                return Ok(CredentialSource::Profile);
            }
            if web_identity {
                return Ok(CredentialSource::WebIdentity);
            }
        }
        ClientKind::Rusoto => {
            let unsupported = |setting| BuildError::UnsupportedCredentials {
                profile: profile.name().to_owned(),
                setting,
            };
            if let Some(setting) = SDK_ONLY_PROFILE_SETTINGS.into_iter().find(|key| has(key)) {
                return Err(unsupported(setting));
            }
            if has("credential_process") {
                if profile.in_credentials_file("credential_process") {
                    return Err(unsupported("credential_process in the credentials file"));
                }
                return Ok(CredentialSource::Profile);
            }
            if has("aws_access_key_id") {
                if profile.in_credentials_file("aws_access_key_id")
                    && profile.in_credentials_file("aws_secret_access_key")
                {
                    return Ok(CredentialSource::Profile);
                }
                return Err(unsupported("aws_access_key_id in the config file"));
            }
            if web_identity {
                return Err(unsupported("AWS_WEB_IDENTITY_TOKEN_FILE"));
            }
        }
    }
    let container = set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
    Ok(match container {
        true => CredentialSource::Container,
        false => CredentialSource::InstanceRole,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory for profile files, removed by nobody (temp).
    fn scratch() -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dynamodb-sessions-environment-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    }

    /// An environment of exactly `vars`, with a config file of `config` and
    /// a credentials file of `credentials` (none when empty), and a home
    /// directory of its own.
    struct Scene {
        vars: HashMap<String, String>,
    }

    impl Scene {
        fn new(vars: &[(&str, &str)], config: &str, credentials: &str) -> Scene {
            let dir = scratch();
            let mut all: HashMap<String, String> =
                HashMap::from([("HOME".to_owned(), dir.to_string_lossy().into_owned())]);
            for (name, text) in [
                ("AWS_CONFIG_FILE", config),
                ("AWS_SHARED_CREDENTIALS_FILE", credentials),
            ] {
                let path = dir.join(name);
                if !text.is_empty() {
                    std::fs::write(&path, text).expect("profile file");
                }
                all.insert(name.to_owned(), path.to_string_lossy().into_owned());
            }
            for (name, value) in vars {
                all.insert((*name).to_owned(), (*value).to_owned());
            }
            Scene { vars: all }
        }

        fn env(vars: &[(&str, &str)]) -> Scene {
            Scene::new(vars, "", "")
        }

        fn resolve(&self, client: ClientKind, given: &Given<'_>) -> Result<Placement, BuildError> {
            resolve(client, given, &|name| self.vars.get(name).cloned()).map(|r| r.placement)
        }

        /// Both clients resolve alike, as given; returns the placement.
        fn both(&self, given: &Given<'_>) -> Result<Placement, BuildError> {
            let rusoto = self.resolve(ClientKind::Rusoto, given);
            let sdk = self.resolve(ClientKind::AwsSdk, given);
            assert_eq!(
                format!("{rusoto:?}").replace("DynamoDbBackendBuilder", "AwsSdkBackendBuilder"),
                format!("{sdk:?}")
            );
            sdk
        }

        /// Region and endpoint, nothing given.
        fn place(&self) -> (String, String) {
            let placement = self.both(&NOTHING).unwrap();
            (placement.region, placement.endpoint)
        }
    }

    const NOTHING: Given<'static> = Given {
        region: None,
        endpoint: None,
        static_credentials: true,
    };

    fn region(name: &str) -> Given<'_> {
        Given {
            region: Some(name),
            ..NOTHING
        }
    }

    fn at(endpoint: &str, name: &str) -> (String, String) {
        (name.to_owned(), endpoint.to_owned())
    }

    #[test]
    fn region_from_the_variables_aws_region_first() {
        let scene = Scene::env(&[
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_REGION", "eu-central-1"),
        ]);
        assert_eq!(
            scene.place(),
            at(
                "https://dynamodb.eu-central-1.amazonaws.com",
                "eu-central-1"
            )
        );
        let scene = Scene::env(&[("AWS_DEFAULT_REGION", "eu-west-1")]);
        assert_eq!(scene.place().0, "eu-west-1");
    }

    #[test]
    fn region_precedence_and_default() {
        let profile = "[default]\nregion = ap-south-2\n";
        let with = |vars: &[(&str, &str)]| Scene::new(vars, profile, "").place().0;
        assert_eq!(with(&[("AWS_DEFAULT_REGION", "ca-west-1")]), "ca-west-1");
        assert_eq!(
            with(&[
                ("AWS_REGION", "mx-central-1"),
                ("AWS_DEFAULT_REGION", "ca-west-1")
            ]),
            "mx-central-1"
        );
        // Blank variables are unset, so the profile's region is taken.
        assert_eq!(
            with(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "  ")]),
            "ap-south-2"
        );
        // The builder's name before all of them.
        let scene = Scene::new(&[("AWS_REGION", "ca-west-1")], profile, "");
        assert_eq!(
            scene.both(&region("il-central-1")).unwrap().region,
            "il-central-1"
        );
        // Another profile's region, from either file.
        let scene = Scene::new(
            &[("AWS_PROFILE", "dev")],
            "[profile dev]\nregion = eu-south-2\n",
            "",
        );
        assert_eq!(scene.place().0, "eu-south-2");
        let scene = Scene::new(
            &[("AWS_PROFILE", "dev")],
            "",
            "[dev]\nregion = eu-south-2\n",
        );
        assert_eq!(scene.place().0, "eu-south-2");
        // us-east-1 only when nothing names a region; a blank profile
        // region names none, nor does a missing profile.
        assert_eq!(Scene::env(&[("AWS_REGION", " ")]).place().0, "us-east-1");
        assert_eq!(
            Scene::new(&[], "[default]\nregion =\n", "").place().0,
            "us-east-1"
        );
        assert_eq!(
            Scene::new(&[("AWS_PROFILE", "nobody")], profile, "")
                .place()
                .0,
            "us-east-1"
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
            let expected = at(&format!("https://dynamodb.{name}.amazonaws.com"), name);
            assert_eq!(Scene::env(&[("AWS_REGION", name)]).place(), expected);
            assert_eq!(
                Scene::env(&[("AWS_DEFAULT_REGION", name)]).place(),
                expected
            );
            let profile = format!("[default]\nregion = {name}\n");
            assert_eq!(Scene::new(&[], &profile, "").place(), expected);
            let placement = Scene::env(&[]).both(&region(name)).unwrap();
            assert_eq!((placement.region, placement.endpoint), expected);
        }
    }

    #[test]
    fn other_partitions_use_their_domains() {
        for (name, host) in [
            ("cn-north-1", "dynamodb.cn-north-1.amazonaws.com.cn"),
            ("cn-south-1", "dynamodb.cn-south-1.amazonaws.com.cn"),
            ("us-gov-west-1", "dynamodb.us-gov-west-1.amazonaws.com"),
            ("us-gov-north-1", "dynamodb.us-gov-north-1.amazonaws.com"),
            ("us-iso-east-1", "dynamodb.us-iso-east-1.c2s.ic.gov"),
            ("us-isob-east-1", "dynamodb.us-isob-east-1.sc2s.sgov.gov"),
            ("us-isof-south-1", "dynamodb.us-isof-south-1.csp.hci.ic.gov"),
            ("eu-isoe-west-1", "dynamodb.eu-isoe-west-1.cloud.adc-e.uk"),
            ("eusc-de-east-1", "dynamodb.eusc-de-east-1.amazonaws.eu"),
        ] {
            assert_eq!(
                Scene::env(&[("AWS_REGION", name)]).place(),
                at(&format!("https://{host}"), name)
            );
        }
    }

    #[test]
    fn names_are_read_in_any_case_and_in_rusotos_compact_spelling() {
        for name in [
            "eu-west-1",
            "EU-WEST-1",
            " Eu-West-1\n",
            "euwest1",
            "EuWest1",
        ] {
            let expected = at("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1");
            assert_eq!(
                Scene::env(&[("AWS_REGION", name)]).place(),
                expected,
                "{name:?}"
            );
            let placement = Scene::env(&[]).both(&region(name)).unwrap();
            assert_eq!((placement.region, placement.endpoint), expected);
        }
        assert_eq!(
            Scene::env(&[("AWS_REGION", "usgovwest1")]).place().0,
            "us-gov-west-1"
        );
    }

    #[test]
    fn names_that_are_not_region_names_are_refused() {
        let long = "a".repeat(64);
        for name in [
            "eu west 1",
            "http://x",
            "eu-west-1.",
            "-eu-west-1",
            "eu_west_1",
            "eü-west-1",
            long.as_str(),
        ] {
            for endpoint in [None, Some("http://127.0.0.1:8000")] {
                let invalid = |result: Result<Placement, BuildError>, origin: &str| matches!(result, Err(BuildError::InvalidRegion { name: ref n, origin: o }) if n == name && o == origin);
                let given = Given {
                    region: None,
                    endpoint,
                    static_credentials: true,
                };
                let named = Given {
                    region: Some(name),
                    ..given
                };
                assert!(
                    invalid(
                        Scene::env(&[]).resolve(ClientKind::Rusoto, &named),
                        "DynamoDbBackendBuilder::region"
                    ),
                    "{name:?}"
                );
                assert!(
                    invalid(
                        Scene::env(&[]).resolve(ClientKind::AwsSdk, &named),
                        "AwsSdkBackendBuilder::region"
                    ),
                    "{name:?}"
                );
                let scene =
                    Scene::env(&[("AWS_REGION", name), ("AWS_DEFAULT_REGION", "eu-west-1")]);
                assert!(invalid(scene.both(&given), "AWS_REGION"), "{name:?}");
                // A bad AWS_DEFAULT_REGION is not skipped for the profile's.
                let scene = Scene::new(
                    &[("AWS_DEFAULT_REGION", name)],
                    "[default]\nregion = eu-west-1\n",
                    "",
                );
                assert!(
                    invalid(scene.both(&given), "AWS_DEFAULT_REGION"),
                    "{name:?}"
                );
                let scene = Scene::new(&[], &format!("[default]\nregion = {name}\n"), "");
                assert!(invalid(scene.both(&given), "the AWS profile"), "{name:?}");
            }
        }
        // The builder's blank name is no name at all.
        assert!(matches!(
            Scene::env(&[]).both(&region("  ")),
            Err(BuildError::InvalidRegion { .. })
        ));
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
            let scene = Scene::env(&[("AWS_REGION", name)]);
            assert!(
                matches!(scene.both(&NOTHING), Err(BuildError::UnknownRegion { name: ref n, origin: "AWS_REGION" }) if n == name),
                "{name}"
            );
            // Any endpoint makes it usable as the signing region.
            let scene = Scene::env(&[
                ("AWS_REGION", name),
                (ENDPOINT_ENV_DYNAMODB, "https://ddb.example.test"),
            ]);
            assert_eq!(scene.place(), at("https://ddb.example.test", name));
        }
        let error = Scene::env(&[])
            .both(&region("local"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(ENDPOINT_ENV_DYNAMODB), "{error}");
    }

    /// Every endpoint source, in the SDKs' order: the builder's, the
    /// DynamoDB variable, the general one, the profile's services section,
    /// the profile's endpoint_url.
    #[test]
    fn endpoints_from_every_source_in_order() {
        let config = "[default]\nregion = eu-west-1\nendpoint_url = http://profile:4\nservices = mine\n\
                      [services mine]\ns3 =\n  endpoint_url = http://s3:9\ndynamodb =\n  endpoint_url = http://services:3\n";
        let all = [
            (ENDPOINT_ENV_DYNAMODB, "http://dynamo:1/"),
            (ENDPOINT_ENV, "http://general:2"),
        ];
        let scene = Scene::new(&all, config, "");
        let given = Given {
            endpoint: Some("http://given:9"),
            ..NOTHING
        };
        assert_eq!(scene.both(&given).unwrap().endpoint, "http://given:9");
        assert_eq!(scene.place().1, "http://dynamo:1");
        assert_eq!(
            Scene::new(&all[1..], config, "").place().1,
            "http://general:2"
        );
        assert_eq!(Scene::new(&[], config, "").place().1, "http://services:3");
        let without_services = config.replace("services = mine\n", "");
        assert_eq!(
            Scene::new(&[], &without_services, "").place().1,
            "http://profile:4"
        );
        // Blank ones are unset.
        let blank = [(ENDPOINT_ENV_DYNAMODB, " "), (ENDPOINT_ENV, "")];
        assert_eq!(
            Scene::new(&blank, config, "").place().1,
            "http://services:3"
        );
        // The flag, from the variable or else the profile, leaves only the builder's.
        for (vars, profile_flag) in [
            (vec![("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")], ""),
            (
                vec![("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")],
                "ignore_configured_endpoint_urls = false\n",
            ),
            (vec![], "ignore_configured_endpoint_urls = true\n"),
        ] {
            let mut vars = vars;
            vars.extend(all);
            let config = format!("{config}[profile x]\n")
                .replace("[default]\n", &format!("[default]\n{profile_flag}"));
            let scene = Scene::new(&vars, &config, "");
            assert_eq!(
                scene.place().1,
                "https://dynamodb.eu-west-1.amazonaws.com",
                "{vars:?} {profile_flag}"
            );
            assert_eq!(scene.both(&given).unwrap().endpoint, "http://given:9");
        }
        // The variable, when set at all, outranks the profile's flag.
        let mut vars = vec![("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")];
        vars.extend(all);
        let flagged = config.replace(
            "[default]\n",
            "[default]\nignore_configured_endpoint_urls = true\n",
        );
        assert_eq!(Scene::new(&vars, &flagged, "").place().1, "http://dynamo:1");
        assert_eq!(
            Scene::new(
                &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", " true")],
                &flagged,
                ""
            )
            .place()
            .1,
            "http://services:3"
        );
    }

    /// A typo in any source stops the build, wherever it is: never skipped
    /// for the next source or the region's real endpoint.
    #[test]
    fn a_bad_endpoint_from_any_source_is_refused() {
        let refused = |scene: Scene, given: &Given<'_>, origin: &str| {
            let result = scene.both(given);
            assert!(
                matches!(result, Err(BuildError::InvalidEndpoint { origin: o }) if o == origin),
                "{origin}: {result:?}"
            );
        };
        let given = Given {
            endpoint: Some("127.0.0.1:8000"),
            ..NOTHING
        };
        refused(Scene::env(&[]), &given, BUILDER_ENDPOINT);
        refused(
            Scene::env(&[
                (ENDPOINT_ENV_DYNAMODB, "127.0.0.1:8000"),
                (ENDPOINT_ENV, "http://ok:1"),
            ]),
            &NOTHING,
            ENDPOINT_ENV_DYNAMODB,
        );
        refused(
            Scene::env(&[(ENDPOINT_ENV, "localhost:8000")]),
            &NOTHING,
            ENDPOINT_ENV,
        );
        refused(
            Scene::new(&[], "[default]\nservices = s\nendpoint_url = http://ok:1\n[services s]\ndynamodb =\n  endpoint_url = 127.0.0.1:8000\n", ""),
            &NOTHING,
            "the AWS profile's services section (dynamodb endpoint_url)",
        );
        refused(
            Scene::new(&[], "[default]\nendpoint_url = 127.0.0.1:8000\n", ""),
            &NOTHING,
            "the AWS profile's endpoint_url",
        );
        // Ignored sources are not checked.
        let scene = Scene::new(
            &[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                (ENDPOINT_ENV, "x:1"),
            ],
            "[default]\nendpoint_url = 127.0.0.1:8000\n",
            "",
        );
        assert_eq!(scene.place().1, "https://dynamodb.us-east-1.amazonaws.com");
    }

    #[test]
    fn the_profile_files_come_from_the_variables_or_home() {
        let scene = Scene::new(&[], "", "");
        let home = scene.vars["HOME"].clone();
        let mut vars = scene.vars.clone();
        vars.remove("AWS_CONFIG_FILE");
        vars.insert("AWS_SHARED_CREDENTIALS_FILE".into(), " ".into());
        std::fs::create_dir_all(format!("{home}/.aws")).unwrap();
        std::fs::write(
            format!("{home}/.aws/config"),
            "[default]\nregion = eu-north-1\n",
        )
        .unwrap();
        std::fs::write(
            format!("{home}/.aws/credentials"),
            "[default]\naws_access_key_id = a\naws_secret_access_key = b\n",
        )
        .unwrap();
        let env = |name: &str| vars.get(name).cloned();
        let given = Given {
            static_credentials: false,
            ..NOTHING
        };
        let placement = resolve(ClientKind::Rusoto, &given, &env).unwrap().placement;
        assert_eq!(placement.region, "eu-north-1");
        assert_eq!(placement.credentials, CredentialSource::Profile);
        // A leading ~ is the home directory.
        vars.insert("AWS_CONFIG_FILE".into(), "~/.aws/config".into());
        let env = |name: &str| vars.get(name).cloned();
        assert_eq!(
            resolve(ClientKind::AwsSdk, &given, &env)
                .unwrap()
                .placement
                .region,
            "eu-north-1"
        );
    }

    #[test]
    fn a_malformed_profile_file_is_refused_unless_unneeded() {
        let scene = Scene::new(&[], "[default]\nregion eu-west-1\n", "");
        assert!(matches!(
            scene.both(&NOTHING),
            Err(BuildError::InvalidProfileFile { line: 2, .. })
        ));
        let given = Given {
            region: Some("eu-west-1"),
            endpoint: Some("http://x:1"),
            static_credentials: true,
        };
        assert!(scene.both(&given).is_ok());
    }

    /// Which source each client's chain takes; where rusoto's would pass
    /// over what the SDK takes, rusoto refuses.
    #[test]
    fn credential_sources() {
        use CredentialSource::*;
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ];
        let web = [
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ];
        let container = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials")];
        let creds_file = "[default]\naws_access_key_id = a\naws_secret_access_key = b\n";
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            &'a str,
            &'a str,
            Result<CredentialSource, &'a str>,
            CredentialSource,
        );
        let cases: Vec<Case<'_>> = vec![
            (&keys, "", "", Ok(Environment), Environment),
            (
                &keys,
                "[default]\nrole_arn = arn\nsource_profile = x\n",
                "",
                Ok(Environment),
                Environment,
            ),
            (&keys[..1], "", creds_file, Ok(Profile), Profile),
            (&[], "", creds_file, Ok(Profile), Profile),
            (
                &[],
                "[default]\ncredential_process = /bin/creds\n",
                "",
                Ok(Profile),
                Profile,
            ),
            (
                &[],
                "[default]\naws_access_key_id = a\naws_secret_access_key = b\n",
                "",
                Err("aws_access_key_id in the config file"),
                Profile,
            ),
            (
                &[],
                "[default]\nrole_arn = arn\nsource_profile = base\n",
                creds_file,
                Err("role_arn"),
                Profile,
            ),
            (
                &[],
                "[default]\nsso_session = corp\n",
                "",
                Err("sso_session"),
                Profile,
            ),
            (
                &[],
                "",
                "[default]\ncredential_process = /bin/creds\n",
                Err("credential_process in the credentials file"),
                Profile,
            ),
            (
                &web,
                "",
                "",
                Err("AWS_WEB_IDENTITY_TOKEN_FILE"),
                WebIdentity,
            ),
            (&container, "", "", Ok(Container), Container),
            (
                &container,
                "[default]\nregion = eu-west-1\n",
                "",
                Ok(Container),
                Container,
            ),
            (&[], "", "", Ok(InstanceRole), InstanceRole),
            (
                &[("AWS_PROFILE", "other")],
                "",
                creds_file,
                Ok(InstanceRole),
                InstanceRole,
            ),
        ];
        let given = Given {
            static_credentials: false,
            ..NOTHING
        };
        for (vars, config, credentials, rusoto, sdk) in cases {
            let scene = Scene::new(vars, config, credentials);
            let found = scene
                .resolve(ClientKind::Rusoto, &given)
                .map(|p| p.credentials);
            match (rusoto, found) {
                (Ok(expected), Ok(found)) => {
                    assert_eq!(found, expected, "{vars:?} {config:?} {credentials:?}")
                }
                (Err(setting), Err(BuildError::UnsupportedCredentials { setting: s, .. })) => {
                    assert_eq!(s, setting)
                }
                (expected, found) => {
                    panic!("{vars:?} {config:?} {credentials:?}: {expected:?} but {found:?}")
                }
            }
            let found = scene
                .resolve(ClientKind::AwsSdk, &given)
                .unwrap()
                .credentials;
            assert_eq!(found, sdk, "{vars:?} {config:?} {credentials:?}");
            assert_eq!(scene.both(&NOTHING).unwrap().credentials, Static);
        }
    }
}

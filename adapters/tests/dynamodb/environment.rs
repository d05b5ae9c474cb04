//! Both DynamoDB builders on the same environment (variables and profile
//! files), side by side: the same region, endpoint and profile, the same
//! source of credentials where rusoto can use it (and a refusal where it
//! cannot), and the same refusals of bad settings. What each resolved is
//! read from its `Debug`, which a user sees too.
//!
//! Every test here changes the process's environment, so each scene runs
//! [`alone`] in the test process: no other test sees its variables.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use dynamodb_sessions::dynamodb::{AwsSdkBackend, BuildError, DynamoDbBackend};
use dynamodb_sessions_test_support::machine::alone;

/// Every variable either builder, or its client's credential chain, reads.
const VARIABLES: [&str; 20] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_SDK_LOAD_CONFIG",
    "HOME",
];

/// An environment: variables, and the texts of the config and credentials
/// files (none when empty), in a home directory of its own.
struct Scene<'a> {
    vars: &'a [(&'a str, &'a str)],
    config: &'a str,
    credentials: &'a str,
}

impl Scene<'_> {
    /// Runs `f` in this environment, and puts the old one back.
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let _alone = alone();
        let saved: HashMap<&str, Option<String>> = VARIABLES
            .iter()
            .map(|name| (*name, std::env::var(name).ok()))
            .collect();
        for name in VARIABLES {
            std::env::remove_var(name);
        }
        let home = scratch();
        std::env::set_var("HOME", &home);
        for (name, text) in [
            ("AWS_CONFIG_FILE", self.config),
            ("AWS_SHARED_CREDENTIALS_FILE", self.credentials),
        ] {
            let path = home.join(name);
            if !text.is_empty() {
                std::fs::write(&path, text).expect("a profile file");
            }
            std::env::set_var(name, path);
        }
        for (name, value) in self.vars {
            std::env::set_var(name, value);
        }
        let result = f();
        for (name, value) in saved {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
        result
    }
}

fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dynamodb-sessions-env-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// What a backend resolved, from its `Debug`: region, endpoint, credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    region: String,
    endpoint: String,
    profile: String,
    credentials: String,
}

fn field(debug: &str, name: &str) -> String {
    let start = debug
        .find(&format!("{name}: \""))
        .unwrap_or_else(|| panic!("no {name} in {debug}"))
        + name.len()
        + 3;
    let end = start + debug[start..].find('"').expect("closing quote");
    debug[start..end].to_owned()
}

fn resolved(debug: String) -> Resolved {
    Resolved {
        region: field(&debug, "region"),
        endpoint: field(&debug, "endpoint"),
        profile: field(&debug, "profile"),
        credentials: field(&debug, "credentials"),
    }
}

/// Both builders, with nothing set on them, in `scene`.
fn both(scene: &Scene<'_>) -> (Result<Resolved, BuildError>, Result<Resolved, BuildError>) {
    scene.run(|| {
        let rusoto = DynamoDbBackend::builder("sessions")
            .build()
            .map(|b| resolved(format!("{b:?}")));
        let sdk = AwsSdkBackend::builder("sessions")
            .build()
            .map(|b| resolved(format!("{b:?}")));
        (rusoto, sdk)
    })
}

/// What both should resolve: region, endpoint, profile, and the
/// credential source of rusoto (or the setting it refuses) and the SDK.
struct Expected<'a> {
    region: &'a str,
    endpoint: &'a str,
    profile: &'a str,
    rusoto: Result<&'a str, &'a str>,
    sdk: &'a str,
}

const CREDENTIALS_FILE: &str = "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = secret\n\
                                [dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secret\n";
const ENV_KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDENV"),
    ("AWS_SECRET_ACCESS_KEY", "secret"),
];

fn ddb(region: &str) -> String {
    format!("https://dynamodb.{region}.amazonaws.com")
}

#[test]
fn both_builders_resolve_the_same_environment_alike() {
    let eu_central_1 = ddb("eu-central-1");
    let eu_west_1 = ddb("eu-west-1");
    let us_east_1 = ddb("us-east-1");
    let ap_south_2 = ddb("ap-south-2");
    let profiles = "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-2\n";
    let endpoints =
        "[default]\nregion = eu-west-1\nendpoint_url = http://profile:4\nservices = local\n\
                     [services local]\ndynamodb =\n  endpoint_url = http://services:3\n";
    let flagged = format!("{endpoints}[default]\nignore_configured_endpoint_urls = true\n");
    let plain_endpoint = "[default]\nregion = eu-west-1\nendpoint_url = http://profile:4\n";
    let environment = Ok("environment (AWS_ACCESS_KEY_ID)");
    let profile = "profile";
    let instance = "instance role (EC2 instance metadata)";
    #[rustfmt::skip]
    let cases: Vec<(&str, Scene<'_>, Expected<'_>)> = vec![
        ("AWS_REGION before AWS_DEFAULT_REGION",
         Scene { vars: &[("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "eu-central-1")], config: "", credentials: "" },
         Expected { region: "eu-central-1", endpoint: &eu_central_1, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("AWS_DEFAULT_REGION before the profile",
         Scene { vars: &[("AWS_DEFAULT_REGION", "eu-central-1")], config: profiles, credentials: "" },
         Expected { region: "eu-central-1", endpoint: &eu_central_1, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("blank variables are unset",
         Scene { vars: &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", " "), ("AWS_PROFILE", "")], config: profiles, credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("the profile AWS_PROFILE names",
         Scene { vars: &[("AWS_PROFILE", "dev")], config: profiles, credentials: CREDENTIALS_FILE },
         Expected { region: "ap-south-2", endpoint: &ap_south_2, profile: "dev", rusoto: Ok(profile), sdk: profile }),
        ("a region in the credentials file",
         Scene { vars: &[], config: "", credentials: "[default]\nregion = ap-south-2\n" },
         Expected { region: "ap-south-2", endpoint: &ap_south_2, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("us-east-1 when nothing names a region",
         Scene { vars: &ENV_KEYS, config: "", credentials: "" },
         Expected { region: "us-east-1", endpoint: &us_east_1, profile: "default", rusoto: environment, sdk: "environment (AWS_ACCESS_KEY_ID)" }),
        ("the DynamoDB endpoint variable first",
         Scene { vars: &[("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamo:1"), ("AWS_ENDPOINT_URL", "http://general:2")], config: endpoints, credentials: "" },
         Expected { region: "eu-west-1", endpoint: "http://dynamo:1", profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("then the general one",
         Scene { vars: &[("AWS_ENDPOINT_URL", "http://general:2")], config: endpoints, credentials: "" },
         Expected { region: "eu-west-1", endpoint: "http://general:2", profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("then the profile's services section",
         Scene { vars: &[], config: endpoints, credentials: "" },
         Expected { region: "eu-west-1", endpoint: "http://services:3", profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("then the profile's endpoint_url",
         Scene { vars: &[], config: plain_endpoint, credentials: "" },
         Expected { region: "eu-west-1", endpoint: "http://profile:4", profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
         Scene { vars: &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), ("AWS_ENDPOINT_URL", "http://general:2")], config: endpoints, credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("the profile's ignore_configured_endpoint_urls",
         Scene { vars: &[("AWS_ENDPOINT_URL", "http://general:2")], config: &flagged, credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok(instance), sdk: instance }),
        ("environment keys before the profile",
         Scene { vars: &ENV_KEYS, config: profiles, credentials: CREDENTIALS_FILE },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: environment, sdk: "environment (AWS_ACCESS_KEY_ID)" }),
        ("the credentials file",
         Scene { vars: &[], config: profiles, credentials: CREDENTIALS_FILE },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok(profile), sdk: profile }),
        ("a credential_process",
         Scene { vars: &[], config: "[default]\nregion = eu-west-1\ncredential_process = /bin/false\n", credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok(profile), sdk: profile }),
        ("a container's role",
         Scene { vars: &[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")], config: profiles, credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Ok("container (AWS_CONTAINER_CREDENTIALS_*)"), sdk: "container (AWS_CONTAINER_CREDENTIALS_*)" }),
        ("a profile that assumes a role: not for rusoto",
         Scene { vars: &[], config: "[default]\nregion = eu-west-1\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n[profile base]\n", credentials: "[base]\naws_access_key_id = a\naws_secret_access_key = b\n" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Err("role_arn"), sdk: profile }),
        ("keys in the config file: not for rusoto",
         Scene { vars: &[], config: "[default]\nregion = eu-west-1\naws_access_key_id = a\naws_secret_access_key = b\n", credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Err("aws_access_key_id in the config file"), sdk: profile }),
        ("web identity: not for rusoto",
         Scene { vars: &[("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"), ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r")], config: profiles, credentials: "" },
         Expected { region: "eu-west-1", endpoint: &eu_west_1, profile: "default", rusoto: Err("AWS_WEB_IDENTITY_TOKEN_FILE"), sdk: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)" }),
    ];
    let mut table = String::new();
    for (name, scene, expected) in &cases {
        let (rusoto, sdk) = both(scene);
        table.push_str(&format!(
            "{name}:\n  rusoto  {rusoto:?}\n  aws-sdk {sdk:?}\n"
        ));
        let sdk = sdk.unwrap_or_else(|e| panic!("{name}: the AWS SDK backend: {e}"));
        let want = |credentials: &str| Resolved {
            region: expected.region.to_owned(),
            endpoint: expected.endpoint.to_owned(),
            profile: expected.profile.to_owned(),
            credentials: credentials.to_owned(),
        };
        assert_eq!(sdk, want(expected.sdk), "{name}");
        match (expected.rusoto, rusoto) {
            (Ok(credentials), Ok(rusoto)) => {
                assert_eq!(rusoto, want(credentials), "{name}");
                // Side by side: where both can, they agree in full.
                assert_eq!(rusoto, sdk, "{name}");
            }
            (Err(setting), Err(BuildError::UnsupportedCredentials { setting: s, .. })) => {
                assert_eq!(s, setting, "{name}")
            }
            (expected, found) => panic!("{name}: rusoto {found:?}, expected {expected:?}"),
        }
    }
    println!("{table}");
}

/// Whether a build error is the one a case expects.
type IsExpected = fn(&BuildError) -> bool;

/// The same typo or bad name, wherever it is, stops both builds alike.
#[test]
fn both_builders_refuse_the_same_bad_settings() {
    let profile_typo = "[default]\nregion = eu-west-1\nendpoint_url = 127.0.0.1:8000\n";
    let services_typo = "[default]\nregion = eu-west-1\nservices = s\n[services s]\n\
                         dynamodb =\n  endpoint_url = 127.0.0.1:8000\n";
    #[rustfmt::skip]
    let cases: Vec<(Scene<'_>, IsExpected)> = vec![
        (Scene { vars: &[], config: profile_typo, credentials: "" },
         |e| matches!(e, BuildError::InvalidEndpoint { origin: "the AWS profile's endpoint_url" })),
        (Scene { vars: &[], config: services_typo, credentials: "" },
         |e| matches!(e, BuildError::InvalidEndpoint { origin: "the AWS profile's services section (dynamodb endpoint_url)" })),
        (Scene { vars: &[("AWS_ENDPOINT_URL", "127.0.0.1:8000")], config: "", credentials: "" },
         |e| matches!(e, BuildError::InvalidEndpoint { origin: "AWS_ENDPOINT_URL" })),
        (Scene { vars: &[("AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000"), ("AWS_ENDPOINT_URL", "http://ok:1")], config: "", credentials: "" },
         |e| matches!(e, BuildError::InvalidEndpoint { origin: "AWS_ENDPOINT_URL_DYNAMODB" })),
        (Scene { vars: &[("AWS_REGION", "eu west 1"), ("AWS_DEFAULT_REGION", "eu-west-1")], config: "", credentials: "" },
         |e| matches!(e, BuildError::InvalidRegion { origin: "AWS_REGION", .. })),
        (Scene { vars: &[], config: "[default]\nregion = local\n", credentials: "" },
         |e| matches!(e, BuildError::UnknownRegion { origin: "the AWS profile", .. })),
        (Scene { vars: &[], config: "[default]\nregion eu-west-1\n", credentials: "" },
         |e| matches!(e, BuildError::InvalidProfileFile { line: 2, .. })),
    ];
    for (scene, expected) in cases {
        let (rusoto, sdk) = both(&scene);
        for (client, result) in [("rusoto", rusoto), ("aws-sdk", sdk)] {
            match result {
                Err(error) if expected(&error) => {}
                other => panic!("{client} in {:?}: {other:?}", scene.vars),
            }
        }
    }
}

/// The defect this guards: a profile's `endpoint_url` without a scheme
/// passed the AWS SDK backend's build, and every call then failed with an
/// error holding the whole request (storage key, `dat`), which the glue
/// logs. Both builds refuse it now.
#[test]
fn a_profile_endpoint_without_scheme_stops_the_sdk_build() {
    let scene = Scene {
        vars: &[],
        config: "[default]\nregion = eu-central-1\nendpoint_url = 127.0.0.1:8000\n",
        credentials: "",
    };
    let error = scene.run(|| {
        AwsSdkBackend::builder("sessions")
            .static_credentials("local", "local")
            .build()
            .expect_err("a profile endpoint without scheme")
    });
    assert!(
        matches!(error, BuildError::InvalidEndpoint { .. }),
        "{error}"
    );
    // Ignored endpoints are not checked, as the SDK does not read them.
    let scene = Scene {
        vars: &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")],
        ..scene
    };
    let backend = scene.run(|| {
        AwsSdkBackend::builder("sessions")
            .static_credentials("local", "local")
            .build()
            .expect("the ignored endpoint is not used")
    });
    assert_eq!(
        resolved(format!("{backend:?}")).endpoint,
        ddb("eu-central-1")
    );
}

/// An endpoint set in the environment applies to every home region added
/// with `region`, which would send them all to one replica: both builders
/// refuse it, naming the two regions.
#[test]
fn home_regions_sent_to_one_endpoint_by_the_environment_are_refused() {
    use dynamodb_sessions::dynamodb::HomeRegions;
    use dynamodb_sessions::regions::KeySlots;
    let scene = Scene {
        vars: &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ],
        config: "",
        credentials: "",
    };
    let regions = || {
        HomeRegions::new()
            .region("eu-west-1", KeySlots::range(0..8).unwrap())
            .region("us-east-1", KeySlots::range(8..16).unwrap())
            .local("eu-west-1")
    };
    let (rusoto, sdk) = scene.run(|| {
        (
            DynamoDbBackend::builder("sessions")
                .build_home_routed(regions())
                .map(|_| ()),
            AwsSdkBackend::builder("sessions")
                .build_home_routed(regions())
                .map(|_| ()),
        )
    });
    for refused in [rusoto, sdk] {
        match refused {
            Err(BuildError::SharedEndpoint { first, second }) => {
                assert_eq!(
                    (first.as_str(), second.as_str()),
                    ("eu-west-1", "us-east-1")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

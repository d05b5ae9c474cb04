//! Why a backend could not be built.

use std::error::Error;
use std::fmt;

use super::names::ENDPOINT_ENV_DYNAMODB;
use crate::regions::RegionsError;

/// Why a backend ([`DynamoDbBackend`](super::DynamoDbBackend) or
/// [`AwsSdkBackend`]) could not be built.
///
#[cfg_attr(feature = "aws-sdk", doc = "[`AwsSdkBackend`]: super::AwsSdkBackend")]
// Without the feature, the AWS SDK's name leads to the list of clients.
#[cfg_attr(not(feature = "aws-sdk"), doc = "[`AwsSdkBackend`]: super::Client")]
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The table name is not 3 to 255 characters of `a-z A-Z 0-9 _ - .`.
    InvalidTableName {
        /// The refused name.
        name: String,
    },
    /// A region name (from the builder's `region`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION` or the profile) is not one: it is
    /// not 1 to 63 ASCII letters, digits and hyphens with a letter or digit
    /// at each end. No region is assumed in its place.
    InvalidRegion {
        /// The refused name, as given.
        name: String,
        /// Where it came from: `"DynamoDbBackendBuilder::region"`,
        /// `"AwsSdkBackendBuilder::region"`, `"AWS_REGION"`,
        /// `"AWS_DEFAULT_REGION"` or `"the AWS profile"`.
        origin: &'static str,
    },
    /// No endpoint was given and the region name belongs to no AWS
    /// partition known here, so its DynamoDB endpoint is unknown (see
    /// the builder's `region`). Give the endpoint with the builder's
    /// `endpoint` or `AWS_ENDPOINT_URL_DYNAMODB`.
    /// No region is assumed in its place.
    UnknownRegion {
        /// The region name, in lowercase.
        name: String,
        /// Where it came from, as for [`BuildError::InvalidRegion`].
        origin: &'static str,
    },
    /// An endpoint (from the builder's `endpoint`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, or the profile's
    /// `services` section or `endpoint_url`) is not a URI of scheme `http`
    /// or `https` with a host, a valid port if any, and no query or
    /// fragment. Nothing is sent to a region's real endpoint in its place.
    InvalidEndpoint {
        /// Where it came from: `"the builder's endpoint"`, the variable's
        /// name, `"the AWS profile's services section (dynamodb
        /// endpoint_url)"` or `"the AWS profile's endpoint_url"`.
        origin: &'static str,
    },
    /// The AWS config or credentials file (`AWS_CONFIG_FILE`,
    /// `AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/config` and
    /// `~/.aws/credentials`) is not in the files' format: a line that is
    /// neither a `[section]`, a `key = value` nor the continuation of one,
    /// or a file that is not UTF-8. The AWS SDKs would ignore the whole
    /// file, and with it the region, endpoint and credentials it names.
    InvalidProfileFile {
        /// The file.
        path: std::path::PathBuf,
        /// The first line that is wrong (1-based; 0 when the file is not
        /// UTF-8).
        line: usize,
    },
    /// ([`DynamoDbBackend`](super::DynamoDbBackend) only.) Credentials are
    /// configured in a way rusoto 0.48 cannot use: the profile names an SSO
    /// session, a role to assume (`role_arn`, `credential_source`), a web
    /// identity token, or has its keys in the config file instead of the
    /// credentials file; or `AWS_WEB_IDENTITY_TOKEN_FILE` is set. rusoto
    /// would pass over it to another source (an instance's role: another
    /// identity) or fail at the first request. Use
    /// [`AwsSdkBackend`], a `credential_process`,
    /// the credentials file, environment variables or static credentials.
    ///
    #[cfg_attr(feature = "aws-sdk", doc = "[`AwsSdkBackend`]: super::AwsSdkBackend")]
    #[cfg_attr(not(feature = "aws-sdk"), doc = "[`AwsSdkBackend`]: super::Client")]
    UnsupportedCredentials {
        /// The profile.
        profile: String,
        /// The setting rusoto cannot use, e.g. `"role_arn"`.
        setting: &'static str,
    },
    /// The default credential chain could not be set up; the cause is the
    /// source.
    Credentials(Box<dyn Error + Send + Sync>),
    /// The backend's tokio runtime could not be started.
    Runtime(std::io::Error),
    /// The regions given to `build_home_routed` are wrong: two regions
    /// hold a slot, two have one name, none was given, or the local region
    /// is not named or is none of them.
    Regions(RegionsError),
    /// `build_home_routed` was called on a builder given a single region's
    /// setting, `region` or `endpoint`: each region's are given with the
    /// regions instead.
    SingleRegionSetting {
        /// `"region"` or `"endpoint"`.
        setting: &'static str,
    },
    /// Two home regions resolved to one endpoint that `region_at` did not
    /// give both: an endpoint set in the environment or the profile
    /// (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, `endpoint_url`)
    /// applies to every region added with `region`, which would send them
    /// all to one replica. Unset it, or give each region its endpoint with
    /// `region_at` (the same one for an emulator that serves every region
    /// at one URL).
    SharedEndpoint {
        /// The first region.
        first: String,
        /// The second region, resolved to the same endpoint.
        second: String,
    },
}

impl From<RegionsError> for BuildError {
    fn from(error: RegionsError) -> Self {
        BuildError::Regions(error)
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidTableName { name } => write!(
                f,
                "invalid DynamoDB table name {name:?}: use 3 to 255 characters of a-z, A-Z, 0-9, _, - and ."
            ),
            BuildError::InvalidRegion { name, origin } => write!(
                f,
                "invalid AWS region name {name:?} (from {origin}): use a region's name, e.g. eu-central-2"
            ),
            BuildError::UnknownRegion { name, origin } => write!(
                f,
                "no known DynamoDB endpoint for region {name:?} (from {origin}): \
                 name the endpoint with the builder's endpoint or {ENDPOINT_ENV_DYNAMODB}"
            ),
            BuildError::InvalidEndpoint { origin } => write!(
                f,
                "invalid DynamoDB endpoint (from {origin}): use http:// or https:// and a host, \
                 e.g. http://127.0.0.1:8000"
            ),
            BuildError::InvalidProfileFile { path, line: 0 } => write!(
                f,
                "the AWS profile file {} is not UTF-8 text",
                path.display()
            ),
            BuildError::InvalidProfileFile { path, line } => write!(
                f,
                "the AWS profile file {} is malformed at line {line}: \
                 expected [section], key = value, or an indented continuation",
                path.display()
            ),
            BuildError::UnsupportedCredentials { profile, setting } => write!(
                f,
                "the rusoto client cannot use the credentials configured by {setting} \
                 (profile {profile:?}): use AwsSdkBackend, a credential_process, \
                 the credentials file or static credentials"
            ),
            BuildError::Credentials(_) => f.write_str("cannot set up AWS credentials"),
            BuildError::Runtime(_) => f.write_str("cannot start the DynamoDB backend's runtime"),
            BuildError::Regions(_) => f.write_str("invalid home regions"),
            BuildError::SingleRegionSetting { setting } => write!(
                f,
                "the builder's {setting} names one region: with home regions, give each region's in HomeRegions"
            ),
            BuildError::SharedEndpoint { first, second } => write!(
                f,
                "home regions {first} and {second} resolve to one endpoint (one set in the \
                 environment or the profile?): unset it, or give each region's with region_at"
            ),
        }
    }
}

impl Error for BuildError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BuildError::InvalidTableName { .. }
            | BuildError::InvalidRegion { .. }
            | BuildError::UnknownRegion { .. }
            | BuildError::InvalidEndpoint { .. }
            | BuildError::InvalidProfileFile { .. }
            | BuildError::UnsupportedCredentials { .. }
            | BuildError::SingleRegionSetting { .. }
            | BuildError::SharedEndpoint { .. } => None,
            BuildError::Credentials(e) => Some(&**e),
            BuildError::Runtime(e) => Some(e),
            BuildError::Regions(e) => Some(e),
        }
    }
}

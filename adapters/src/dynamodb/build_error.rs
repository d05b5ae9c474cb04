//! Why a backend could not be built.

use std::error::Error;
use std::fmt;

use super::names::ENDPOINT_ENV_DYNAMODB;

/// Why a backend ([`DynamoDbBackend`](super::DynamoDbBackend) or
/// [`AwsSdkBackend`](super::AwsSdkBackend)) could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The table name is not 3 to 255 characters of `a-z A-Z 0-9 _ - .`.
    InvalidTableName {
        /// The refused name.
        name: String,
    },
    /// A region name (from the builder's `region`, `AWS_DEFAULT_REGION`,
    /// `AWS_REGION` or the profile) is not one: it is
    /// not 1 to 63 ASCII letters, digits and hyphens with a letter or digit
    /// at each end. No region is assumed in its place.
    InvalidRegion {
        /// The refused name, as given.
        name: String,
        /// Where it came from: `"DynamoDbBackendBuilder::region"`,
        /// `"AwsSdkBackendBuilder::region"`, `"AWS_DEFAULT_REGION"`,
        /// `"AWS_REGION"`, `"the AWS profile"` (rusoto) or `"the AWS SDK's
        /// region chain"`.
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
    /// `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`) is not a URI of
    /// scheme `http` or `https` with a host, a valid port if any, and no
    /// query or fragment. Nothing is sent to a region's real endpoint in
    /// its place.
    InvalidEndpoint {
        /// Where it came from: `"the builder's endpoint"` or the
        /// variable's name.
        origin: &'static str,
    },
    /// The default credential chain could not be set up; the cause is the
    /// source.
    Credentials(Box<dyn Error + Send + Sync>),
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
            BuildError::Credentials(_) => f.write_str("cannot set up AWS credentials"),
            BuildError::Runtime(_) => f.write_str("cannot start the DynamoDB backend's runtime"),
        }
    }
}

impl Error for BuildError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BuildError::InvalidTableName { .. }
            | BuildError::InvalidRegion { .. }
            | BuildError::UnknownRegion { .. }
            | BuildError::InvalidEndpoint { .. } => None,
            BuildError::Credentials(e) => Some(&**e),
            BuildError::Runtime(e) => Some(e),
        }
    }
}

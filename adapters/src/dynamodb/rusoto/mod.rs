//! The rusoto client (feature `dynamodb`): its requests (`wire.rs`) and its
//! setup from the resolved settings, with rusoto's credential chain.

mod wire;

use rusoto_core::credential::{
    AutoRefreshingProvider, ChainProvider, ProfileProvider, StaticProvider,
};
use rusoto_core::{DispatchSignedRequest, HttpClient, Region};
use rusoto_dynamodb::DynamoDbClient;

use super::build_error::BuildError;
use super::client::{Client, Sealed};
use super::environment::{ClientKind, Resolution};
use super::settings::Settings;
use crate::table::OwnedRuntime;
use wire::RusotoWire;

/// The rusoto client (`rusoto_dynamodb` 0.48), the default: the client of
/// [`DynamoDbBackend`](super::DynamoDbBackend).
///
/// rusoto 0.48 knows no web identity (EKS IRSA), IAM Identity Center (SSO)
/// or `role_arn` profiles, and no keys in the config file: where those are
/// configured, building fails with
/// [`BuildError::UnsupportedCredentials`] rather than sign with another
/// identity (see [`DynamoDbBackendBuilderOn`](super::DynamoDbBackendBuilderOn)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rusoto {}

impl Client for Rusoto {}

impl Sealed for Rusoto {
    type Wire = RusotoWire;

    const KIND: ClientKind = ClientKind::Rusoto;
    const BACKEND_NAME: &'static str = "DynamoDbBackend";
    const BUILDER_NAME: &'static str = "DynamoDbBackendBuilder";

    fn connect(
        settings: &Settings,
        resolution: &Resolution,
        runtime: &OwnedRuntime,
    ) -> Result<RusotoWire, BuildError> {
        let placement = &resolution.placement;
        let region = Region::Custom {
            name: placement.region.clone(),
            endpoint: placement.endpoint.clone(),
        };
        // Anything the client sets up on creation belongs to our runtime.
        let _guard = runtime.enter();
        let client = match &settings.credentials {
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
                // rusoto's default chain, on the profile resolved before.
                let profile = ProfileProvider::with_configuration(
                    resolution.credentials_file.clone(),
                    placement.profile.clone(),
                );
                let provider =
                    AutoRefreshingProvider::new(ChainProvider::with_profile_provider(profile))
                        .map_err(|error| BuildError::Credentials(Box::new(error)))?;
                DynamoDbClient::new_with(http_client(), provider, region)
            }
        };
        Ok(RusotoWire(client))
    }
}

/// An HTTP client for rusoto that speaks both `http://` (DynamoDB Local) and
/// `https://` (AWS, with the webpki root certificates); rusoto's default
/// `HttpClient` refuses plain HTTP.
fn http_client() -> impl DispatchSignedRequest + Send + Sync + 'static {
    HttpClient::from_connector(
        hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build(),
    )
}

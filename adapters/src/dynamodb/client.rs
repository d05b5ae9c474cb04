//! The DynamoDB clients a backend can send its requests through: the
//! sealed [`Client`] trait and what each client provides under it.

use super::build_error::BuildError;
use super::environment::{ClientKind, Resolution};
use super::settings::Settings;
use crate::table::{OwnedRuntime, ProvisionWire, Wire};

/// A DynamoDB client a [`DynamoDbBackendOn`](super::DynamoDbBackendOn) can
/// send its requests through: [`Rusoto`](super::Rusoto) (feature
/// `dynamodb`, the client of
/// [`DynamoDbBackend`](super::DynamoDbBackend)) or `AwsSdk` (feature
/// `aws-sdk`, the client of `AwsSdkBackend`).
///
/// The trait is sealed: only this crate's clients implement it. Each
/// provides its requests and how it is set up (its credential chain);
/// everything else — items, conditions, retries, deadlines, decisions,
/// provisioning, the blocking API — is written once, for all.
// The supertrait is crate-private on purpose: it names the crate's private
// request layer, and nobody else can implement it.
#[allow(private_bounds)]
pub trait Client: Sealed + Send + Sync + 'static {}

/// What a client provides: its requests ([`Wire`], [`ProvisionWire`]), how
/// it is set up from the resolved settings, and the names it shows.
pub(crate) trait Sealed {
    /// The client's data-plane and control-plane requests.
    type Wire: Wire + ProvisionWire;

    /// How the client finds credentials, for resolution.
    const KIND: ClientKind;

    /// The backend's type name, in its `Debug`.
    const BACKEND_NAME: &'static str;

    /// The builder's type name, in its `Debug`.
    const BUILDER_NAME: &'static str;

    /// Sets the client up for `settings` and what was resolved from them,
    /// on `runtime`; contacts nothing.
    ///
    /// # Errors
    ///
    /// As the client's credential chain or runtime fails to start.
    fn connect(
        settings: &Settings,
        resolution: &Resolution,
        runtime: &OwnedRuntime,
    ) -> Result<Self::Wire, BuildError>;
}

//! The regions of a home-routed backend, as its builder is given them.

use crate::regions::{Failover, HomeRouted, KeySlots, RegionsError};

/// The regions of a backend built by
/// [`build_home_routed`](super::DynamoDbBackendBuilderOn::build_home_routed):
/// each region's name, the [`KeySlots`] it is home to and, if not the
/// region's own, its endpoint; the region this process runs in; and the
/// [`Failover`]. See [`regions`](crate::regions) for what home routing
/// promises.
///
/// ```
/// use dynamodb_sessions::dynamodb::HomeRegions;
/// use dynamodb_sessions::regions::{Failover, KeySlots};
///
/// let regions = HomeRegions::new()
///     .region("eu-west-1", KeySlots::range(0..8)?)
///     .region("us-east-1", KeySlots::range(8..16)?)
///     .local("eu-west-1")
///     .failover(Failover::Wait);
/// # Ok::<(), dynamodb_sessions::regions::RegionsError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct HomeRegions {
    pub(crate) regions: Vec<HomeRegion>,
    pub(crate) local: Option<String>,
    pub(crate) failover: Failover,
}

/// One region: its name, slots, and endpoint if given.
#[derive(Debug, Clone)]
pub(crate) struct HomeRegion {
    pub(crate) name: String,
    pub(crate) slots: KeySlots,
    pub(crate) endpoint: Option<String>,
}

impl HomeRegions {
    /// No region yet, [`Failover::Wait`].
    pub fn new() -> Self {
        HomeRegions::default()
    }

    /// Adds the region `name` (e.g. `"eu-west-1"`), home to the sessions
    /// whose keys fall in `slots`. Its endpoint is found as for a
    /// single-region backend: `AWS_ENDPOINT_URL_DYNAMODB`, else
    /// `AWS_ENDPOINT_URL`, else the profile's, else the region's own
    /// (`https://dynamodb.<region>.amazonaws.com`). Slots no region holds
    /// stay free for regions added later.
    pub fn region(mut self, name: impl Into<String>, slots: KeySlots) -> Self {
        self.regions.push(HomeRegion {
            name: name.into(),
            slots,
            endpoint: None,
        });
        self
    }

    /// Adds the region `name`, home to the sessions whose keys fall in
    /// `slots`, reached at `endpoint` (a private endpoint, or DynamoDB
    /// Local in tests); `name` then only signs the requests.
    pub fn region_at(
        mut self,
        name: impl Into<String>,
        slots: KeySlots,
        endpoint: impl Into<String>,
    ) -> Self {
        self.regions.push(HomeRegion {
            name: name.into(),
            slots,
            endpoint: Some(endpoint.into()),
        });
        self
    }

    /// Names the region this process runs in: the sessions it creates are
    /// homed there ([`HomeRouted::local_slots`]).
    pub fn local(mut self, name: impl Into<String>) -> Self {
        self.local = Some(name.into());
        self
    }

    /// What happens to the sessions of a region marked down (default
    /// [`Failover::Wait`]).
    pub fn failover(mut self, failover: Failover) -> Self {
        self.failover = failover;
        self
    }

    /// Checks the slot table and the local region, contacting nothing.
    ///
    /// # Errors
    ///
    /// As [`HomeRoutedBuilder::build`](crate::regions::HomeRoutedBuilder::build).
    pub(crate) fn check(&self) -> Result<(), RegionsError> {
        self.route(|_| Ok::<(), RegionsError>(())).map(drop)
    }

    /// The home-routed backend over `backend(region)` for each region.
    ///
    /// # Errors
    ///
    /// The first error of `backend`, or the slot table's, as
    /// [`HomeRoutedBuilder::build`](crate::regions::HomeRoutedBuilder::build)
    /// finds it.
    pub(crate) fn route<B, E: From<RegionsError>>(
        &self,
        mut backend: impl FnMut(&HomeRegion) -> Result<B, E>,
    ) -> Result<HomeRouted<B>, E> {
        let mut routed = HomeRouted::builder().failover(self.failover);
        for region in &self.regions {
            routed = routed.region(region.name.clone(), region.slots, backend(region)?);
        }
        if let Some(local) = &self.local {
            routed = routed.local(local.clone());
        }
        Ok(routed.build()?)
    }
}

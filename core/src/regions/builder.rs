//! Building a [`HomeRouted`] backend, checked as a whole.

use std::fmt;
use std::sync::atomic::AtomicBool;

use super::home_routed::Region;
use super::{Failover, HomeRouted, KeySlots, RegionsError};

/// Builds a [`HomeRouted`] backend: the regions, each with its slots and
/// backend, the local region and the [`Failover`]. Start from
/// [`HomeRouted::builder`]; [`build`](Self::build) checks the whole.
#[must_use]
pub struct HomeRoutedBuilder<B> {
    regions: Vec<(String, KeySlots, B)>,
    local: Option<String>,
    failover: Failover,
}

impl<B> HomeRoutedBuilder<B> {
    pub(super) fn new() -> Self {
        HomeRoutedBuilder {
            regions: Vec::new(),
            local: None,
            failover: Failover::default(),
        }
    }

    /// Adds the region `name`, home to the sessions whose keys fall in
    /// `slots`, reached through `backend`. Slots no region holds stay free
    /// for regions added later.
    pub fn region(mut self, name: impl Into<String>, slots: KeySlots, backend: B) -> Self {
        self.regions.push((name.into(), slots, backend));
        self
    }

    /// Names the region this process runs in: the sessions it creates are
    /// homed there (see [`HomeRouted::local_slots`]).
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

    /// Builds the backend, every region up.
    ///
    /// ```
    /// use dynamodb_sessions_core::regions::{HomeRouted, KeySlots, RegionsError};
    ///
    /// let overlapping = HomeRouted::builder()
    ///     .region("eu-west-1", KeySlots::range(0..9)?, ())
    ///     .region("us-east-1", KeySlots::range(8..16)?, ())
    ///     .local("eu-west-1")
    ///     .build();
    /// assert_eq!(overlapping.unwrap_err(), RegionsError::OverlappingSlots { slot: 8 });
    /// # Ok::<(), RegionsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`RegionsError::NoRegions`] without a region,
    /// [`RegionsError::DuplicateRegion`] when two regions have one name,
    /// [`RegionsError::OverlappingSlots`] when two regions hold a slot,
    /// [`RegionsError::NoLocalRegion`] when the local region was not named
    /// and [`RegionsError::UnknownRegion`] when it is none of the regions.
    pub fn build(self) -> Result<HomeRouted<B>, RegionsError> {
        if self.regions.is_empty() {
            return Err(RegionsError::NoRegions);
        }
        let mut homes = [None; KeySlots::COUNT as usize];
        for (index, (name, slots, _)) in self.regions.iter().enumerate() {
            if self.regions[..index]
                .iter()
                .any(|(other, ..)| other == name)
            {
                return Err(RegionsError::DuplicateRegion);
            }
            for slot in (0..KeySlots::COUNT).filter(|&slot| slots.holds_slot(slot)) {
                let home = &mut homes[usize::from(slot)];
                if home.is_some() {
                    return Err(RegionsError::OverlappingSlots { slot });
                }
                *home = Some(index);
            }
        }
        let local_name = self.local.ok_or(RegionsError::NoLocalRegion)?;
        let local = self
            .regions
            .iter()
            .position(|(name, ..)| *name == local_name)
            .ok_or(RegionsError::UnknownRegion)?;
        let regions = self
            .regions
            .into_iter()
            .map(|(name, slots, backend)| Region {
                name,
                slots,
                backend,
                down: AtomicBool::new(false),
            })
            .collect();
        Ok(HomeRouted {
            regions,
            homes,
            local,
            failover: self.failover,
            warned_away: AtomicBool::new(false),
        })
    }
}

/// Names the regions and their slots; not the backends.
impl<B> fmt::Debug for HomeRoutedBuilder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HomeRoutedBuilder")
            .field(
                "regions",
                &self
                    .regions
                    .iter()
                    .map(|(name, slots, _)| (name, slots))
                    .collect::<Vec<_>>(),
            )
            .field("local", &self.local)
            .field("failover", &self.failover)
            .finish()
    }
}

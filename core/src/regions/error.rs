//! Why a region setting or a region name was refused.

use std::error::Error;
use std::fmt;

/// Why a [`KeySlots`](super::KeySlots) range, a
/// [`HomeRouted`](super::HomeRouted) backend or a region name was refused.
/// It names slots, never a key or a session ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegionsError {
    /// A slot range that is empty or ends past slot 15.
    InvalidSlots {
        /// The range's start.
        start: u8,
        /// The range's end (not included).
        end: u8,
    },
    /// No region was given.
    NoRegions,
    /// Two regions were given the same name.
    DuplicateRegion,
    /// Two regions hold this slot, so its sessions would have two homes.
    OverlappingSlots {
        /// The first slot held twice.
        slot: u8,
    },
    /// The local region was not named.
    NoLocalRegion,
    /// A region name (the local one, or one given to `mark_down` or
    /// `mark_up`) is none of the regions.
    UnknownRegion,
    /// (In a [`BackendError`](crate::BackendError)'s source.) A new
    /// session's key is in a slot no region holds: drawn with
    /// [`KeySlots`](super::KeySlots) that are not the backend's
    /// [`local_slots`](super::HomeRouted::local_slots). Nothing was written.
    NoHomeRegion,
    /// (In a [`BackendError`](crate::BackendError)'s source.) The key's
    /// home region is marked down
    /// ([`mark_down`](super::HomeRouted::mark_down)). Nothing was sent.
    HomeRegionDown,
}

impl fmt::Display for RegionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionsError::InvalidSlots { start, end } => write!(
                f,
                "invalid key slots {start}..{end}: use a non-empty range within 0..16"
            ),
            RegionsError::NoRegions => f.write_str("no region was given"),
            RegionsError::DuplicateRegion => f.write_str("two regions have the same name"),
            RegionsError::OverlappingSlots { slot } => {
                write!(f, "key slot {slot} is held by two regions")
            }
            RegionsError::NoLocalRegion => f.write_str("the local region was not named"),
            RegionsError::UnknownRegion => f.write_str("no region has that name"),
            RegionsError::NoHomeRegion => {
                f.write_str("the session ID's key slot belongs to no region")
            }
            RegionsError::HomeRegionDown => f.write_str("the session's home region is marked down"),
        }
    }
}

impl Error for RegionsError {}

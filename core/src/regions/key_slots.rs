//! Key slots: the 16 parts a storage key falls into, by its first 4 bits.

use std::fmt;
use std::ops::Range;

use super::RegionsError;
use crate::StorageKey;

/// A set of the 16 slots of a [`StorageKey`]: a key's slot is the top 4
/// bits of its first byte ([`slot_of`](Self::slot_of)). Each region of a
/// [`HomeRouted`](super::HomeRouted) backend holds a set of slots, and a
/// session's home is the region holding its key's slot.
///
/// A set is never empty: [`range`](Self::range) refuses an empty range,
/// so drawing a session ID in a set always ends
/// ([`Token::generate_in`](crate::store::Token::generate_in)).
///
/// ```
/// use dynamodb_sessions_core::regions::KeySlots;
/// use dynamodb_sessions_core::store::StorageKey;
///
/// let first_half = KeySlots::range(0..8)?;
/// let key = StorageKey::from_bytes([0x3f; 32]);
/// assert_eq!(KeySlots::slot_of(&key), 3);
/// assert!(first_half.holds(&key));
/// assert!(!KeySlots::range(8..16)?.holds(&key));
/// assert!(KeySlots::ALL.holds(&key));
/// assert_eq!(first_half.count(), 8);
/// assert!(KeySlots::range(8..8).is_err());
/// assert!(KeySlots::range(8..17).is_err());
/// # Ok::<(), dynamodb_sessions_core::regions::RegionsError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySlots {
    /// Bit `s` set when slot `s` is in the set; never 0.
    bits: u16,
}

impl KeySlots {
    /// How many slots there are: a key's slot is in `0..16`.
    pub const COUNT: u8 = 16;

    /// Every slot: the default of
    /// [`SessionConfigBuilder::key_slots`](crate::SessionConfigBuilder::key_slots),
    /// with which session IDs are drawn exactly as without regions.
    pub const ALL: KeySlots = KeySlots { bits: u16::MAX };

    /// The slots `slots.start` up to, not including, `slots.end`.
    ///
    /// # Errors
    ///
    /// [`RegionsError::InvalidSlots`] when the range is empty or ends past
    /// [`COUNT`](Self::COUNT).
    pub fn range(slots: Range<u8>) -> Result<KeySlots, RegionsError> {
        let Range { start, end } = slots;
        if start >= end || end > Self::COUNT {
            return Err(RegionsError::InvalidSlots { start, end });
        }
        let below_end = u16::MAX >> (Self::COUNT - end);
        let below_start = (1u16 << start) - 1;
        Ok(KeySlots {
            bits: below_end & !below_start,
        })
    }

    /// The slots of both sets, e.g. for a region given slots in two
    /// places of the table.
    #[must_use]
    pub const fn union(self, other: KeySlots) -> KeySlots {
        KeySlots {
            bits: self.bits | other.bits,
        }
    }

    /// The slot of `key`, in `0..16`: the top 4 bits of its first byte.
    /// Keys are SHA-256 digests, so each slot gets a 16th of the keys.
    pub const fn slot_of(key: &StorageKey) -> u8 {
        key.as_bytes()[0] >> 4
    }

    /// Whether `key`'s slot is in the set.
    pub const fn holds(&self, key: &StorageKey) -> bool {
        self.holds_slot(Self::slot_of(key))
    }

    /// Whether `slot` is in the set; `false` for a slot past 15.
    pub const fn holds_slot(&self, slot: u8) -> bool {
        slot < Self::COUNT && self.bits & (1 << slot) != 0
    }

    /// How many slots the set holds, 1 to 16. Drawing a session ID in the
    /// set takes `16 / count` tries on average.
    pub const fn count(&self) -> u8 {
        // At most 16, so the cast loses nothing.
        self.bits.count_ones() as u8
    }
}

/// Lists the slots, e.g. `KeySlots[0, 1, 2, 3]`.
impl fmt::Debug for KeySlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySlots")?;
        f.debug_list()
            .entries((0..Self::COUNT).filter(|&slot| self.holds_slot(slot)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_with_first_byte(byte: u8) -> StorageKey {
        let mut bytes = [0u8; 32];
        bytes[0] = byte;
        StorageKey::from_bytes(bytes)
    }

    #[test]
    fn every_range_holds_exactly_its_slots() {
        for start in 0..KeySlots::COUNT {
            for end in start + 1..=KeySlots::COUNT {
                let slots = KeySlots::range(start..end).unwrap();
                assert_eq!(slots.count(), end - start);
                for byte in 0..=u8::MAX {
                    let key = key_with_first_byte(byte);
                    let slot = byte >> 4;
                    assert_eq!(KeySlots::slot_of(&key), slot);
                    assert_eq!(slots.holds(&key), (start..end).contains(&slot));
                }
            }
        }
        assert_eq!(KeySlots::range(0..16).unwrap(), KeySlots::ALL);
    }

    #[test]
    fn empty_and_oversized_ranges_are_refused() {
        for (start, end) in [(0, 0), (5, 5), (9, 3), (0, 17), (16, 17), (15, 255)] {
            assert_eq!(
                KeySlots::range(start..end),
                Err(RegionsError::InvalidSlots { start, end })
            );
        }
    }

    #[test]
    fn unions_and_debug() {
        let low = KeySlots::range(0..4).unwrap();
        let high = KeySlots::range(12..16).unwrap();
        let both = low.union(high);
        assert_eq!(both.count(), 8);
        assert!(both.holds_slot(3) && !both.holds_slot(4) && both.holds_slot(12));
        assert_eq!(format!("{low:?}"), "KeySlots[0, 1, 2, 3]");
        assert!(!both.holds_slot(16));
    }
}

//! S3-FIFO's ghost queue: the hashes of entries recently evicted (from either queue), each the
//! 32-bit half the shard's table uses.
//!
//! A key that comes back while its hash is still remembered skips probation and goes straight to
//! the main queue. The ghost is a direct-mapped table of hashes with a slot for every second or so
//! entry of the shard (a larger ghost lowered the hit ratio on Zipf and OLTP replays): remembering overwrites whatever hash shared the slot, which approximates
//! forgetting the oldest at the cost of one memory access instead of a queue and a hash set. Only
//! hashes are kept, so a collision can at worst promote a new key early, which costs hit ratio,
//! never correctness.

/// The fewest slots a ghost has.
const MIN_SLOTS: usize = 16;

/// The most slots a ghost has (a weighted shard's capacity is not an entry count).
const MAX_SLOTS: usize = 1 << 20;

/// A lossy set of recently evicted hashes.
#[derive(Debug)]
pub(crate) struct Ghost {
    slots: Box<[u32]>,
}

impl Ghost {
    /// A ghost for a shard of about `entries` entries: half as many slots, rounded up to a power
    /// of two.
    pub(crate) fn new(entries: u64) -> Self {
        let slots = usize::try_from(entries)
            .unwrap_or(MAX_SLOTS)
            .div_ceil(2)
            .clamp(MIN_SLOTS, MAX_SLOTS)
            .next_power_of_two();
        Self {
            slots: vec![0; slots].into_boxed_slice(),
        }
    }

    fn slot(&self, hash: u32) -> usize {
        hash as usize & (self.slots.len() - 1)
    }

    /// Remembers `hash` (zero, the empty marker, is not remembered).
    #[inline]
    pub(crate) fn remember(&mut self, hash: u32) {
        let slot = self.slot(hash);
        self.slots[slot] = hash;
    }

    /// Forgets `hash`, returning whether it was remembered.
    #[inline]
    pub(crate) fn take(&mut self, hash: u32) -> bool {
        let slot = self.slot(hash);
        let found = hash != 0 && self.slots[slot] == hash;
        if found {
            self.slots[slot] = 0;
        }
        found
    }

    /// Forgets everything.
    pub(crate) fn reset(&mut self) {
        self.slots.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_taken_or_overwritten() {
        let mut ghost = Ghost::new(16);
        ghost.remember(7);
        ghost.remember(9);
        assert!(ghost.take(7));
        assert!(!ghost.take(7), "taken once");
        ghost.remember(9 + 16);
        assert!(!ghost.take(9), "overwritten by a hash in the same slot");
        assert!(ghost.take(9 + 16));
        ghost.remember(3);
        ghost.reset();
        assert!(!ghost.take(3));
        assert!(!ghost.take(0), "zero is never remembered");
    }

    #[test]
    fn sizes_are_bounded_powers_of_two() {
        assert_eq!(Ghost::new(0).slots.len(), MIN_SLOTS);
        assert_eq!(Ghost::new(1000).slots.len(), 512);
        assert_eq!(Ghost::new(u64::MAX).slots.len(), MAX_SLOTS);
    }
}

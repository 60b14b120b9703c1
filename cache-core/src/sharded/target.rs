//! How much of a shard the small queue may hold, tuned by the keys the ghost queue sees return.
//!
//! A fixed share loses on one workload or another: a tiny small queue suits a stable popularity
//! (the bench's Zipf s = 0.99 gains 0.6 points of hit ratio going from a seventh of the capacity
//! to a sixtieth), a large one suits bursts of re-reads that never recur (the ARC OLTP trace at
//! 256 entries loses 2.7 points going the same way). So the share adapts, as ARC (Megiddo and
//! Modha, FAST '03) tunes its recency list: a key back from the ghost after leaving the small queue is a miss a larger small
//! queue would have served, one that left the main queue a miss a larger main queue would have.
//! Each return moves the target towards its queue by the entry's weight, scaled by how rare such
//! returns are among the hashes the ghost holds (its remembered keys run the same risk of being
//! overwritten, whichever queue they left): the target settles where a returning key is as likely
//! from either queue.

use super::ghost::{Origin, Remembered};

/// The floor, as a divisor of the capacity: a small queue that vanished could not tell when
/// the workload changes. The target also starts there, which suits a stable popularity; a
/// workload that wants more earns it through the ghost.
const MIN_DIVISOR: u64 = 100;

/// The ceiling, as a divisor of the capacity: the main queue keeps at least half.
const MAX_DIVISOR: u64 = 2;

/// Bits of fraction kept, so that steps smaller than one unit of weight accumulate.
const FRACTION_BITS: u32 = 6;

/// Steps are divided by this. On the bench's replays, 4 gave Zipf 78.02% and OLTP at 8,000
/// entries 60.3%, 16 gave 78.05% and 59.4%, 64 lost a point more at 8,000 entries; 8 sits between
/// 4 and 16 on both.
const DAMPING: u64 = 8;

/// The small queue's weight target, in fixed point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SmallTarget {
    fixed: u64,
}

impl SmallTarget {
    /// The starting target of a shard holding `capacity`: its floor.
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            fixed: Self::bounds(capacity).0,
        }
    }

    /// The weight the small queue may hold.
    #[inline]
    pub(crate) fn get(self) -> u64 {
        self.fixed >> FRACTION_BITS
    }

    /// Moves the target after a key of `weight` that had left `from` came back from the ghost,
    /// which still holds `remembered` hashes.
    pub(crate) fn key_returned(
        &mut self,
        from: Origin,
        weight: u64,
        remembered: Remembered,
        capacity: u64,
    ) {
        let (min, max) = Self::bounds(capacity);
        let total = remembered.total();
        let step =
            |same: u64| (weight << FRACTION_BITS).saturating_mul(total) / same.max(1) / DAMPING;
        self.fixed = match from {
            Origin::Small => self.fixed.saturating_add(step(remembered.small)).min(max),
            Origin::Main => self.fixed.saturating_sub(step(remembered.main)).max(min),
        };
    }

    fn bounds(capacity: u64) -> (u64, u64) {
        let min = (capacity / MIN_DIVISOR).max(1) << FRACTION_BITS;
        let max = (capacity / MAX_DIVISOR).max(1) << FRACTION_BITS;
        (min, max.max(min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remembered(small: u64, main: u64) -> Remembered {
        Remembered { small, main }
    }

    #[test]
    fn starts_at_a_hundredth_and_never_below_one_unit() {
        assert_eq!(SmallTarget::new(10_000).get(), 100);
        assert_eq!(SmallTarget::new(50).get(), 1);
        assert_eq!(SmallTarget::new(0).get(), 1);
    }

    #[test]
    fn returns_from_the_small_queue_grow_it_and_from_the_main_queue_shrink_it() {
        let mut target = SmallTarget::new(1_000);
        let even = remembered(100, 100);
        for _ in 0..40 {
            target.key_returned(Origin::Small, 1, even, 1_000);
        }
        assert_eq!(target.get(), 10 + 40 * 2 / 8);
        for _ in 0..8 {
            target.key_returned(Origin::Main, 1, even, 1_000);
        }
        assert_eq!(target.get(), 18);
    }

    #[test]
    fn a_return_counts_for_more_when_its_queue_is_rarely_remembered() {
        let mut from_rare = SmallTarget::new(1_000);
        let mut from_common = SmallTarget::new(1_000);
        for _ in 0..8 {
            from_rare.key_returned(Origin::Small, 1, remembered(10, 90), 1_000);
            from_common.key_returned(Origin::Small, 1, remembered(90, 10), 1_000);
        }
        assert_eq!(from_rare.get(), 10 + 10);
        assert_eq!(from_common.get(), 11);
    }

    #[test]
    fn stays_between_a_hundredth_and_half_of_the_capacity() {
        let mut target = SmallTarget::new(1_000);
        for _ in 0..10_000 {
            target.key_returned(Origin::Small, 5, remembered(1, 100), 1_000);
        }
        assert_eq!(target.get(), 500);
        for _ in 0..10_000 {
            target.key_returned(Origin::Main, 5, remembered(100, 1), 1_000);
        }
        assert_eq!(target.get(), 10);
    }
}

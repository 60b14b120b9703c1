//! S3-FIFO's ghost queue: the hashes of entries recently evicted, each with the queue that let it
//! go.
//!
//! A key that comes back while its hash is still remembered skips probation and goes straight to
//! the main queue, and the queue it left tells the small queue's target which way to move
//! ([`super::target`]). The ghost is a direct-mapped table with a slot for every second entry of
//! the shard (a quarter to three fifths gave the same hit ratios on the Zipf and OLTP replays, a
//! slot for every entry lowered both): remembering overwrites whatever shared the slot, which
//! approximates forgetting the oldest at the cost of one memory access instead of a queue and a
//! hash set. A slot holds 31 bits of the table's 32-bit hash and, in the top bit, the queue. Only
//! hashes are kept, so a collision can at worst promote a new key early, which costs hit ratio,
//! never correctness.

/// Ghost slots per hundred entries of the shard.
const SLOTS_PER_HUNDRED_ENTRIES: usize = 50;

/// The fewest slots a ghost has.
const MIN_SLOTS: usize = 16;

/// The most slots a ghost has (a weighted shard's capacity is not an entry count).
const MAX_SLOTS: usize = 1 << 20;

/// The bit of a slot that says the hash left the main queue.
const FROM_MAIN: u32 = 1 << 31;

/// The queue an evicted entry left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Left the small queue unread (or read too little).
    Small,
    /// Left the main queue after its frequency ran out.
    Main,
}

/// How many hashes a ghost holds, by the queue they left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub(crate) small: u64,
    pub(crate) main: u64,
}

impl Remembered {
    pub(crate) fn total(self) -> u64 {
        self.small + self.main
    }

    fn count(&mut self, slot: u32) -> &mut u64 {
        if slot & FROM_MAIN == 0 {
            &mut self.small
        } else {
            &mut self.main
        }
    }
}

/// A lossy set of recently evicted hashes.
#[derive(Debug)]
pub(crate) struct Ghost {
    /// A 31-bit hash and its [`FROM_MAIN`] bit, or zero when empty.
    slots: Box<[u32]>,
    remembered: Remembered,
}

impl Ghost {
    /// A ghost for a shard of about `entries` entries.
    pub(crate) fn new(entries: u64) -> Self {
        let slots = usize::try_from(entries)
            .unwrap_or(MAX_SLOTS)
            .saturating_mul(SLOTS_PER_HUNDRED_ENTRIES)
            .div_ceil(100)
            .clamp(MIN_SLOTS, MAX_SLOTS);
        Self {
            slots: vec![0; slots].into_boxed_slice(),
            remembered: Remembered::default(),
        }
    }

    /// The hash as a slot keeps it, without the origin bit.
    #[inline]
    fn key(hash: u32) -> u32 {
        hash & !FROM_MAIN
    }

    /// The slot of a key, by multiplication rather than a mask, so any number of slots works.
    #[inline]
    fn slot(&self, key: u32) -> usize {
        ((u64::from(key) * self.slots.len() as u64) >> 31) as usize
    }

    /// How many hashes are remembered, by origin.
    pub(crate) fn remembered(&self) -> Remembered {
        self.remembered
    }

    /// Remembers `hash` as having left `origin` (a hash whose 31 bits are zero, the empty marker,
    /// is not remembered).
    #[inline]
    pub(crate) fn remember(&mut self, hash: u32, origin: Origin) {
        let key = Self::key(hash);
        if key == 0 {
            return;
        }
        let slot = self.slot(key);
        let old = self.slots[slot];
        if old != 0 {
            *self.remembered.count(old) -= 1;
        }
        let new = match origin {
            Origin::Small => key,
            Origin::Main => key | FROM_MAIN,
        };
        *self.remembered.count(new) += 1;
        self.slots[slot] = new;
    }

    /// Forgets `hash`, returning the queue it left if it was remembered. An empty ghost answers
    /// without reading its slots: a cache that has not evicted yet, such as one that only a TTL
    /// bounds, would otherwise miss the CPU cache on every insert, reading megabytes of slots it
    /// never wrote (4% faster on the bench's ttl workload, 11 of 14 alternated runs; 0.5% more
    /// instructions on the OLTP replays).
    #[inline]
    pub(crate) fn take(&mut self, hash: u32) -> Option<Origin> {
        if self.remembered.total() == 0 {
            return None;
        }
        let key = Self::key(hash);
        let slot = self.slot(key);
        let stored = self.slots[slot];
        if key == 0 || Self::key(stored) != key {
            return None;
        }
        self.slots[slot] = 0;
        *self.remembered.count(stored) -= 1;
        Some(if stored & FROM_MAIN == 0 {
            Origin::Small
        } else {
            Origin::Main
        })
    }

    /// Forgets everything.
    pub(crate) fn reset(&mut self) {
        self.slots.fill(0);
        self.remembered = Remembered::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_with_the_origin_until_taken_or_overwritten() {
        let mut ghost = Ghost::new(32);
        ghost.remember(7, Origin::Small);
        ghost.remember(1 << 30, Origin::Main);
        assert_eq!(ghost.remembered(), Remembered { small: 1, main: 1 });
        assert_eq!(ghost.take(7), Some(Origin::Small));
        assert_eq!(ghost.take(7), None, "taken once");
        assert_eq!(ghost.take(1 << 30), Some(Origin::Main));
        assert_eq!(ghost.remembered(), Remembered::default());
        ghost.remember(9, Origin::Main);
        ghost.remember(10, Origin::Small);
        assert_eq!(
            ghost.take(9),
            None,
            "overwritten by a hash in the same slot"
        );
        assert_eq!(ghost.remembered(), Remembered { small: 1, main: 0 });
        assert_eq!(
            ghost.take(10 | FROM_MAIN),
            Some(Origin::Small),
            "the top bit is not compared"
        );
        ghost.remember(3, Origin::Small);
        ghost.reset();
        assert_eq!(ghost.take(3), None);
        assert_eq!(ghost.remembered(), Remembered::default());
        ghost.remember(FROM_MAIN, Origin::Main);
        assert_eq!(ghost.take(0), None, "zero is never remembered");
        assert_eq!(ghost.remembered(), Remembered::default());
    }

    #[test]
    fn sizes_are_half_the_entries_within_bounds() {
        assert_eq!(Ghost::new(0).slots.len(), MIN_SLOTS);
        assert_eq!(Ghost::new(1000).slots.len(), 500);
        assert_eq!(Ghost::new(313).slots.len(), 157);
        assert_eq!(Ghost::new(u64::MAX).slots.len(), MAX_SLOTS);
    }

    #[test]
    fn every_slot_is_reachable() {
        let ghost = Ghost::new(314);
        let last = u32::MAX >> 1;
        assert_eq!(ghost.slot(0), 0);
        assert_eq!(ghost.slot(last), ghost.slots.len() - 1);
    }
}

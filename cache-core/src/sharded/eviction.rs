//! Making room and reclaiming expired entries: S3-FIFO eviction, amortized sweeping, and the
//! bulk operations that walk a whole shard.
//!
//! S3-FIFO (Yang et al., SOSP '23): new entries enter a small FIFO whose share of the capacity
//! adapts to the workload ([`super::target`]); those read at least twice before they reach its
//! head move to the main FIFO (the paper's threshold, which replays of the ARC OLTP trace confirm
//! beats promoting after one read), the rest leave and their hashes enter a ghost, so a key that
//! returns soon skips probation. The main FIFO gives entries with a positive frequency another
//! round (decrementing it) and evicts the others, whose hashes enter the ghost too (a key the main
//! queue let go of comes back into it: half a point more on the 1-thread OLTP replays at 256 and
//! 1000 entries, the same on Zipf). While the cache fills, new entries go straight to the main
//! queue, as quick_cache admits them: nothing has been evicted yet for a ghost to remember.
//! Reads only bump a saturating counter, which keeps the read path free of writes to shared
//! structures.

#![allow(unsafe_code)]

use super::context::{Budget, WriteContext};
use super::entry::NEVER;
use super::ghost::{Ghost, Origin};
use super::listener::{RemovalCause, Removals};
use super::shard::{Full, Shard};
use super::target::SmallTarget;

/// What a full pass over a shard found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Swept {
    /// Entries removed.
    pub(crate) removed: usize,
    /// The earliest deadline among the entries kept, or `NEVER`.
    pub(crate) earliest: u64,
}

/// Slots inspected by the amortized sweep on every write.
const SWEEP_STEP: u32 = 4;

/// Reads an entry needs while in the small queue to be promoted to the main one.
const PROMOTION_FREQUENCY: u8 = 2;

impl<K, V> Shard<K, V>
where
    K: Eq + Clone,
    V: Clone,
{
    /// Finds room for `weight` more: `Ok(false)` when the entry alone outweighs this shard's
    /// slice (evicting mode), `Err(Full)` when the shared capacity is used up (rejecting mode).
    pub(super) fn charge(
        &mut self,
        weight: u64,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Result<bool, Full> {
        match ctx.budget {
            Budget::Evict => {
                if weight > self.capacity {
                    return Ok(false);
                }
                while self.weight + weight > self.capacity && self.weight > 0 {
                    self.evict_one(ctx, out);
                }
                Ok(true)
            }
            Budget::Reject { .. } => {
                if self.reserve(weight, ctx) {
                    Ok(true)
                } else {
                    Err(Full)
                }
            }
        }
    }

    /// Reserves `weight` of the shared capacity. Expired entries are reclaimed before a rejecting
    /// write, by the cache, across all shards; a shard cannot do it alone without scanning itself
    /// on every refused write.
    pub(super) fn reserve(&self, weight: u64, ctx: &WriteContext<'_>) -> bool {
        ctx.budget.try_reserve(weight)
    }

    /// Evicts until the shard fits its slice again (after a replace grew an entry, or the
    /// capacity shrank). Does nothing when rejecting.
    pub(super) fn shed_overflow(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        if matches!(ctx.budget, Budget::Evict) {
            while self.weight > self.capacity {
                self.evict_one(ctx, out);
            }
        }
    }

    /// Removes one entry: promotes and rotates past the entries that earned another round until
    /// it meets one that did not (or an expired one). Each round costs a promotion or a frequency
    /// point, so the loop ends; it returns at once when both queues are empty.
    fn evict_one(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        loop {
            let from_small = !self.small.is_empty()
                && (self.small.weight > self.small_target.get() || self.main.is_empty());
            let queue = if from_small { &self.small } else { &self.main };
            let Some(index) = queue.front() else {
                return;
            };
            // SAFETY: `index` heads a queue, so it is live, and so are the other members of
            // both queues (the shard's invariant). The blocks below rest on this too.
            let entry = unsafe { self.slab.get(index) };
            if entry.can_expire(ctx.time_to_idle)
                && entry.is_expired(ctx.now.get(), ctx.time_to_idle)
            {
                // SAFETY: see above.
                unsafe { self.remove_index(index, RemovalCause::Expired, ctx, out) };
                return;
            }
            let frequency = entry.frequency();
            let hash = entry.hash;
            if from_small {
                if frequency >= PROMOTION_FREQUENCY {
                    entry.set_frequency(0);
                    // SAFETY: see above; `index` leaves the small queue before it joins main.
                    unsafe {
                        self.small.unlink(&mut self.slab, index);
                        self.main.push_back(&mut self.slab, index);
                    }
                    continue;
                }
                self.ghost.remember(hash, Origin::Small);
            } else if frequency > 0 {
                entry.set_frequency(frequency - 1);
                // SAFETY: see above.
                unsafe { self.main.rotate(&mut self.slab) };
                continue;
            } else {
                self.ghost.remember(hash, Origin::Main);
            }
            // SAFETY: see above.
            unsafe { self.remove_index(index, RemovalCause::Size, ctx, out) };
            return;
        }
    }

    /// Keeps the lower bounds on deadlines that let [`Self::sweep_step`] skip its work.
    #[inline]
    pub(super) fn note_deadline(&mut self, deadline: u64) {
        if deadline == NEVER {
            return;
        }
        self.earliest_deadline = self.earliest_deadline.min(deadline);
        self.pass_earliest = self.pass_earliest.min(deadline);
    }

    /// The amortized sweep: inspects a few slots past a cursor on every write, so that expired
    /// entries nobody reads again are still reclaimed without a background thread. Skipped while
    /// no deadline can have passed; each full pass of the cursor tightens that bound.
    #[inline]
    pub(super) fn sweep_step(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        if (self.expiring == 0 && ctx.time_to_idle == NEVER)
            || ctx.now.get() < self.earliest_deadline
        {
            return;
        }
        self.sweep_slots(ctx, out);
    }

    /// The sweep's work, kept out of line so that the write path around it stays small.
    #[inline(never)]
    fn sweep_slots(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        // Removing an entry frees its slot but never shrinks the slab, so `slots` holds.
        let slots = self.slab.slots();
        if slots == 0 {
            return;
        }
        let mut index = self.sweep_cursor;
        for _ in 0..SWEEP_STEP {
            if index >= slots {
                index = 0;
                // Every resident entry was seen (or noted when written) during the pass.
                self.earliest_deadline = self.pass_earliest;
                self.pass_earliest = NEVER;
            }
            if let Some(entry) = self.slab.slot(index) {
                let deadline = entry.deadline(ctx.time_to_idle);
                if ctx.now.get() >= deadline {
                    // SAFETY: the slot holds an entry, so `index` is live.
                    unsafe { self.remove_index(index, RemovalCause::Expired, ctx, out) };
                } else {
                    self.pass_earliest = self.pass_earliest.min(deadline);
                }
            }
            index += 1;
        }
        self.sweep_cursor = index;
    }

    /// Reclaims every expired entry of the shard.
    pub(crate) fn sweep_expired(
        &mut self,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Swept {
        self.remove_where(ctx, out, |_, _| true)
    }

    /// Removes the entries `keep` rejects (cause `Removed`) and the expired ones (`Expired`).
    pub(crate) fn remove_where(
        &mut self,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
        mut keep: impl FnMut(&K, &V) -> bool,
    ) -> Swept {
        let tti = ctx.time_to_idle;
        let mut earliest = NEVER;
        let mut doomed = Vec::new();
        for (index, entry) in self.slab.iter() {
            if entry.can_expire(tti) && entry.is_expired(ctx.now.get(), tti) {
                doomed.push((index, RemovalCause::Expired));
            } else if keep(&entry.key, &entry.value) {
                earliest = earliest.min(entry.deadline(tti));
            } else {
                doomed.push((index, RemovalCause::Removed));
            }
        }
        for &(index, cause) in &doomed {
            // SAFETY: each index was live when listed and is listed once; removing one entry
            // frees no other.
            unsafe { self.remove_index(index, cause, ctx, out) };
        }
        Swept {
            removed: doomed.len(),
            earliest,
        }
    }

    /// Removes every entry and releases the shard's memory.
    pub(crate) fn clear(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        self.remove_where(ctx, out, |_, _| false);
        self.slab.reset();
        self.table = hashbrown::HashTable::new();
        self.small.reset();
        self.main.reset();
        self.ghost.reset();
        self.sweep_cursor = 0;
    }

    /// Sets this shard's slice of the capacity, evicting down to it when evicting.
    pub(crate) fn set_capacity(
        &mut self,
        capacity: u64,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) {
        self.capacity = capacity;
        self.small_target = SmallTarget::new(capacity);
        if matches!(ctx.budget, Budget::Evict) {
            self.ghost = Ghost::new(capacity);
        }
        self.shed_overflow(ctx, out);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::{MockClock, RemovalCause, ShardedCache};

    fn one_shard(capacity: u64) -> ShardedCache<u32, u32> {
        ShardedCache::builder()
            .shards(1)
            .max_capacity(capacity)
            .build()
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let cache = one_shard(100);
        (0..1_000).for_each(|n| cache.insert(n, n));
        assert_eq!(cache.len(), 100);
        assert_eq!(cache.stats().removals.size, 900);
    }

    #[test]
    fn a_scan_does_not_flush_the_hot_set() {
        let cache = one_shard(100);
        for round in 0..3 {
            for key in 0..50 {
                if round == 0 {
                    cache.insert(key, key);
                }
                cache.get(&key);
            }
        }
        (1_000..3_000).for_each(|n| cache.insert(n, n));
        let survivors = (0..50).filter(|key| cache.contains_key(key)).count();
        assert_eq!(
            survivors, 50,
            "one-hit wonders must leave through the small queue"
        );
    }

    /// A cache of `capacity` filled with keys read twice, which the main queue keeps a while.
    fn filled(capacity: u32) -> ShardedCache<u32, u32> {
        let cache = one_shard(u64::from(capacity));
        for key in 10_000..10_000 + capacity {
            cache.insert(key, key);
            cache.get(&key);
            cache.get(&key);
        }
        cache
    }

    #[test]
    fn while_the_cache_fills_new_keys_go_to_the_main_queue() {
        let cache = one_shard(100);
        (0..100).for_each(|n| cache.insert(n, n));
        (100..150).for_each(|n| cache.insert(n, n));
        let kept = (0..100).filter(|key| cache.contains_key(key)).count();
        assert!(
            kept >= 90,
            "once full, the one-hit keys churn through the small queue ({kept} of the first kept)"
        );
    }

    #[test]
    fn a_key_back_from_the_ghost_queue_skips_probation() {
        let cache = filled(20);
        cache.insert(0, 0);
        (100..102).for_each(|n| cache.insert(n, n));
        assert!(
            !cache.contains_key(&0),
            "evicted unread from the small queue"
        );
        cache.insert(0, 0);
        (200..240).for_each(|n| cache.insert(n, n));
        assert!(
            cache.contains_key(&0),
            "remembered by the ghost queue, so placed in main"
        );
    }

    #[test]
    fn the_small_queue_grows_when_keys_return_soon_after_leaving_it() {
        let cache = filled(100);
        let mut hits = Vec::new();
        for key in 0..2_000 {
            cache.insert(key, key);
            if let Some(back) = key.checked_sub(5) {
                let hit = cache.get(&back).is_some();
                if !hit {
                    cache.insert(back, back);
                }
                hits.push(hit);
            }
        }
        assert!(
            hits[..5].iter().all(|&hit| !hit),
            "a small queue of a hundredth of the capacity cannot hold five keys"
        );
        let late = hits[hits.len() - 1_000..]
            .iter()
            .filter(|&&hit| hit)
            .count();
        assert_eq!(late, 1_000, "grown to hold them");
    }

    #[test]
    fn a_key_evicted_from_the_main_queue_comes_back_into_it() {
        let cache = one_shard(20);
        let read_twice = |key| {
            cache.insert(key, key);
            cache.get(&key);
            cache.get(&key);
        };
        read_twice(0);
        let mut key = 1;
        while cache.contains_key(&0) {
            read_twice(key);
            key += 1;
            assert!(
                key < 1_000,
                "the main queue lets go of its oldest unread entry"
            );
        }
        cache.insert(0, 0);
        (1_000..1_100).for_each(|n| cache.insert(n, n));
        assert!(
            cache.contains_key(&0),
            "remembered by the ghost queue, so placed in main, past the one-hit keys"
        );
    }

    #[test]
    fn the_sweep_waits_for_the_earliest_deadline_and_no_longer() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .shards(1)
            .max_capacity(100)
            .clock(clock.clone())
            .build();
        (0..10).for_each(|key| cache.insert_with_ttl(key, key, Duration::from_secs(100)));
        cache.insert_with_ttl(10, 10, Duration::from_secs(1));
        cache.insert_with_ttl(5, 5, Duration::from_secs(2));
        clock.advance(Duration::from_millis(500));
        (20..25).for_each(|key| cache.insert(key, key));
        assert_eq!(cache.stats().expirations(), 0, "nothing is due yet");
        clock.advance(Duration::from_secs(2));
        (30..35).for_each(|key| cache.insert(key, key));
        assert_eq!(
            cache.stats().expirations(),
            2,
            "the entry written last and the one shortened by a replacement are reclaimed"
        );
        assert_eq!(cache.peek(&0), Some(0));
    }

    #[test]
    fn an_entry_heavier_than_its_shard_is_refused_for_size() {
        let causes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&causes);
        let cache: ShardedCache<u32, Vec<u8>> = ShardedCache::builder()
            .shards(2)
            .max_capacity(100)
            .weigher(|_, value: &Vec<u8>| value.len() as u32)
            .eviction_listener(move |key, _, cause| seen.lock().unwrap().push((*key, cause)))
            .build();
        cache.insert(1, vec![0; 51]);
        assert_eq!(cache.get(&1), None);
        assert_eq!(*causes.lock().unwrap(), [(1, RemovalCause::Size)]);
        cache.insert(2, vec![0; 30]);
        cache.insert(2, vec![0; 50]);
        assert_eq!(cache.weighted_size(), 50);
    }

    #[test]
    fn growing_an_entry_evicts_others_to_fit() {
        let cache: ShardedCache<u32, Vec<u8>> = ShardedCache::builder()
            .shards(1)
            .max_capacity(10)
            .weigher(|_, value: &Vec<u8>| value.len() as u32)
            .build();
        (0..5).for_each(|n| cache.insert(n, vec![0; 2]));
        cache.insert(0, vec![0; 6]);
        assert!(cache.weighted_size() <= 10);
    }
}

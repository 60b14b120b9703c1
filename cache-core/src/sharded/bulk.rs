//! Operations over the whole cache: retain, clear, sweep, capacity changes, statistics.

use std::hash::{BuildHasher, Hash};
use std::sync::atomic::Ordering;

use super::builder::shard_capacity;
use super::shard::Shard;
use super::stats::{CacheStats, ShardStats};
use super::{EvictionMode, ShardedCache};

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// Keeps only the entries for which `keep` returns true; the others leave with cause
    /// [`Removed`](super::RemovalCause::Removed) (expired ones with `Expired`). Shard by shard, so
    /// not atomic across shards. `keep` runs under each shard's write lock, so it must not use
    /// this cache.
    ///
    /// ```
    /// use cache_core::ShardedCache;
    ///
    /// let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
    /// (0..10).for_each(|n| cache.insert(n, n));
    /// cache.retain(|_key, value| value % 2 == 0);
    /// assert_eq!(cache.len(), 5);
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let ctx = self.context();
        for index in 0..self.inner.shards.len() {
            self.locked(index, &ctx, |shard, ctx, out| {
                shard.remove_where(ctx, out, &mut keep)
            });
        }
    }

    /// Removes every entry (the listener is told, with cause `Removed` or `Expired`) and releases
    /// the memory the shards held.
    pub fn clear(&self) {
        let ctx = self.context();
        for index in 0..self.inner.shards.len() {
            self.locked(index, &ctx, Shard::clear);
        }
    }

    /// Reclaims every expired entry now; returns how many. Writes already reclaim expired entries
    /// a few at a time, so calling this is only needed to free memory in a cache nobody writes to
    /// (see also `spawn_sweeper`, feature `tokio`).
    pub fn sweep_expired(&self) -> usize {
        self.sweep_all(&self.context())
    }

    /// Changes the capacity. An evicting cache evicts down to a smaller one right away; a
    /// rejecting cache keeps its entries and refuses writes until it is below.
    ///
    /// # Panics
    ///
    /// Panics when `capacity` is zero, or when an evicting cache would get less than one unit of
    /// capacity per shard.
    pub fn set_capacity(&self, capacity: u64) {
        assert!(capacity > 0, "cache capacity must be at least 1");
        assert!(
            self.inner.mode == EvictionMode::Reject || self.inner.shards.len() as u64 <= capacity,
            "an evicting cache needs a capacity of at least one per shard, got {} shards for a \
             capacity of {capacity}",
            self.inner.shards.len()
        );
        self.inner.capacity.store(capacity, Ordering::Release);
        let shards = self.inner.shards.len();
        let ctx = self.context();
        for index in 0..shards {
            self.locked(index, &ctx, |shard, ctx, out| {
                shard.set_capacity(shard_capacity(capacity, shards, index), ctx, out);
            });
        }
    }

    /// A snapshot of the counters, with the hot shards: those whose share of the operations
    /// since the cache was built is more than twice the mean.
    pub fn stats(&self) -> CacheStats {
        let shards = self
            .inner
            .shards
            .iter()
            .map(|cell| {
                let shard = cell.lock.read();
                ShardStats {
                    hits: shard.reads.hits(),
                    misses: shard.reads.misses(),
                    inserts: shard.counters.inserts,
                    operations: shard.operations(),
                    removals: shard.counters.removals,
                    entries: shard.len() as u64,
                    weight: shard.weight,
                }
            })
            .collect();
        CacheStats::from_shards(shards)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::{EvictionMode, MockClock, RemovalCause, ShardedCache};

    #[test]
    fn clear_tells_the_listener_and_empties_every_shard() {
        let causes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&causes);
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .shards(4)
            .eviction_listener(move |_, _, cause| seen.lock().unwrap().push(cause))
            .build();
        (0..20).for_each(|n| cache.insert(n, n));
        cache.clear();
        assert!(cache.is_empty());
        assert_eq!(causes.lock().unwrap().len(), 20);
        assert_eq!(cache.stats().removals.removed, 20);
        cache.insert(1, 1);
        assert_eq!(cache.get(&1), Some(1), "usable after clear");
    }

    #[test]
    fn shrinking_the_capacity_evicts_right_away() {
        let cache: ShardedCache<u32, u32> =
            ShardedCache::builder().shards(1).max_capacity(100).build();
        (0..100).for_each(|n| cache.insert(n, n));
        assert_eq!(cache.len(), 100);
        cache.set_capacity(10);
        assert_eq!(cache.capacity(), 10);
        assert!(cache.len() <= 10);
        assert_eq!(cache.stats().removals.size, 90);
    }

    #[test]
    fn a_rejecting_cache_keeps_its_entries_when_shrunk() {
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .max_capacity(10)
            .eviction_mode(EvictionMode::Reject)
            .build();
        (0..10).for_each(|n| cache.insert(n, n));
        cache.set_capacity(5);
        assert_eq!(cache.len(), 10);
        assert!(cache.try_insert(99, 99, None).is_err());
        (0..6).for_each(|n| {
            cache.remove(&n);
        });
        assert!(cache.try_insert(99, 99, None).is_ok());
    }

    #[test]
    fn sweep_reclaims_every_expired_entry() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().clock(clock.clone()).build();
        (0..30)
            .for_each(|n| cache.insert_with_ttl(n, n, Duration::from_secs(1 + u64::from(n % 2))));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.sweep_expired(), 15);
        assert_eq!(cache.len(), 15);
        assert_eq!(cache.stats().removals.expired, 15);
    }

    #[test]
    fn retain_counts_removed_and_expired_apart() {
        let clock = MockClock::new();
        let causes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&causes);
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .clock(clock.clone())
            .eviction_listener(move |key, _, cause| seen.lock().unwrap().push((*key, cause)))
            .build();
        cache.insert_with_ttl(1, 1, Duration::from_secs(1));
        cache.insert(2, 2);
        cache.insert(3, 3);
        clock.advance(Duration::from_secs(1));
        cache.retain(|key, _| *key != 2);
        let mut causes = causes.lock().unwrap().clone();
        causes.sort_by_key(|(key, _)| *key);
        assert_eq!(
            causes,
            [(1, RemovalCause::Expired), (2, RemovalCause::Removed)]
        );
        assert_eq!(cache.get(&3), Some(3));
    }

    #[test]
    fn stats_count_operations_per_shard_and_add_up() {
        let cache: ShardedCache<u32, u32> =
            ShardedCache::builder().shards(4).max_capacity(8).build();
        (0..100).for_each(|n| cache.insert(n % 20, n));
        (0..50).for_each(|n| {
            cache.get(&n);
        });
        let stats = cache.stats();
        assert_eq!(stats.hits + stats.misses, 50);
        assert_eq!(stats.shards.len(), 4);
        assert_eq!(stats.shards.iter().map(|s| s.operations).sum::<u64>(), 150);
        let left = stats.removals.replaced
            + stats.removals.size
            + stats.removals.expired
            + stats.removals.removed;
        assert_eq!(stats.entries, stats.inserts - left);
        assert!(stats.entries <= 8);
    }

    #[test]
    fn one_hot_key_makes_its_shard_hot() {
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().shards(8).build();
        (0..64).for_each(|n| cache.insert(n, n));
        for _ in 0..10_000 {
            cache.get(&7);
        }
        let stats = cache.stats();
        assert_eq!(stats.hot_shards.len(), 1);
        let hot = stats.hot_shards[0];
        assert!(stats.shards[hot].hits >= 10_000);
    }
}

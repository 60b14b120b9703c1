//! Counters kept by each shard, the snapshot [`CacheStats`] built from them, and hot-shard
//! detection.

use std::sync::atomic::{AtomicU64, Ordering};

use super::listener::RemovalCause;

/// A shard whose share of operations exceeds this many times the mean share is hot.
const HOT_FACTOR: u64 = 2;

/// Below this many operations per shard the shares are noise, and nothing is reported.
const MIN_OPERATIONS_PER_SHARD: u64 = 256;

/// How many entries left the cache, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemovalCounts {
    /// Entries whose time-to-live or time-to-idle elapsed.
    pub expired: u64,
    /// Entries evicted to make room.
    pub size: u64,
    /// Values replaced by a write under the same key.
    pub replaced: u64,
    /// Entries removed explicitly.
    pub removed: u64,
}

impl RemovalCounts {
    pub(crate) fn record(&mut self, cause: RemovalCause) {
        match cause {
            RemovalCause::Expired => self.expired += 1,
            RemovalCause::Size => self.size += 1,
            RemovalCause::Replaced => self.replaced += 1,
            RemovalCause::Removed => self.removed += 1,
        }
    }

    pub(crate) fn add(&mut self, other: &RemovalCounts) {
        self.expired += other.expired;
        self.size += other.size;
        self.replaced += other.replaced;
        self.removed += other.removed;
    }

    /// What was counted since `earlier`, a copy of these counts taken before.
    pub(crate) fn since(&self, earlier: &RemovalCounts) -> RemovalCounts {
        RemovalCounts {
            expired: self.expired - earlier.expired,
            size: self.size - earlier.size,
            replaced: self.replaced - earlier.replaced,
            removed: self.removed - earlier.removed,
        }
    }
}

/// What one shard has done since the cache was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardStats {
    /// Reads that found a live entry.
    pub hits: u64,
    /// Reads that found nothing, or only an expired entry.
    pub misses: u64,
    /// Writes that stored a value (new or replacing).
    pub inserts: u64,
    /// Every operation that took this shard's lock to read or write.
    pub operations: u64,
    /// Entries that left, by cause.
    pub removals: RemovalCounts,
    /// Entries resident now.
    pub entries: u64,
    /// Their total weight.
    pub weight: u64,
}

/// A snapshot of a cache's counters, taken shard by shard (so only approximately atomic).
///
/// The counters add up: `entries == inserts - removals.replaced - removals.size -
/// removals.expired - removals.removed`, since every stored value leaves by exactly one cause.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads that found a live entry.
    pub hits: u64,
    /// Reads that found nothing, or only an expired entry.
    pub misses: u64,
    /// Writes that stored a value (new or replacing).
    pub inserts: u64,
    /// Entries that left, by cause.
    pub removals: RemovalCounts,
    /// Entries resident now.
    pub entries: u64,
    /// Their total weight.
    pub weight: u64,
    /// Per-shard counters, indexed by shard.
    pub shards: Vec<ShardStats>,
    /// Shards whose share of operations is more than twice the mean share (never with fewer
    /// than three shards, where that share would exceed the whole).
    pub hot_shards: Vec<usize>,
}

impl CacheStats {
    pub(crate) fn from_shards(shards: Vec<ShardStats>) -> Self {
        let mut stats = CacheStats::default();
        for shard in &shards {
            stats.hits += shard.hits;
            stats.misses += shard.misses;
            stats.inserts += shard.inserts;
            stats.removals.add(&shard.removals);
            stats.entries += shard.entries;
            stats.weight += shard.weight;
        }
        let operations: Vec<u64> = shards.iter().map(|shard| shard.operations).collect();
        stats.hot_shards = hot_shards(&operations);
        stats.shards = shards;
        stats
    }

    /// Entries that expired (the same as `removals.expired`).
    pub fn expirations(&self) -> u64 {
        self.removals.expired
    }

    /// Entries the cache evicted on its own: for size and for expiry.
    pub fn evictions(&self) -> u64 {
        self.removals.size + self.removals.expired
    }

    /// Hits over reads, or zero before the first read.
    pub fn hit_ratio(&self) -> f64 {
        let reads = self.hits + self.misses;
        if reads == 0 {
            0.0
        } else {
            self.hits as f64 / reads as f64
        }
    }
}

/// The shards whose share of `operations` exceeds [`HOT_FACTOR`] times the mean share.
pub(crate) fn hot_shards(operations: &[u64]) -> Vec<usize> {
    let shards = operations.len() as u64;
    let total: u64 = operations.iter().sum();
    if shards < 2 || total < MIN_OPERATIONS_PER_SHARD * shards {
        return Vec::new();
    }
    // share > factor * mean  <=>  ops / total > factor / shards  <=>  ops * shards > factor * total
    operations
        .iter()
        .enumerate()
        .filter(|&(_, &ops)| {
            u128::from(ops) * u128::from(shards) > u128::from(HOT_FACTOR) * u128::from(total)
        })
        .map(|(index, _)| index)
        .collect()
}

/// The counters a read bumps under its shard's read lock.
#[derive(Debug, Default)]
pub(crate) struct ReadCounters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ReadCounters {
    /// Counts a hit; returns the previous hit count, which the caller uses to sample checks.
    #[inline]
    pub(crate) fn hit(&self) -> u64 {
        self.hits.fetch_add(1, Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub(crate) fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// The counters a shard bumps under its write lock.
#[derive(Debug, Default, Clone)]
pub(crate) struct WriteCounters {
    pub(crate) inserts: u64,
    pub(crate) writes: u64,
    pub(crate) removals: RemovalCounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_over_twice_the_mean_is_hot() {
        assert_eq!(hot_shards(&[1000, 1000, 1000, 1000]), Vec::<usize>::new());
        assert_eq!(hot_shards(&[5000, 1000, 1000, 1000]), vec![0]);
        // exactly twice the mean share is not "more than twice"
        assert_eq!(hot_shards(&[2000, 1000, 500, 500]), Vec::<usize>::new());
        assert_eq!(
            hot_shards(&[10, 0, 0, 0]),
            Vec::<usize>::new(),
            "too few operations"
        );
        assert_eq!(
            hot_shards(&[100_000]),
            Vec::<usize>::new(),
            "one shard is never hot"
        );
    }

    #[test]
    fn totals_add_up_over_shards() {
        let mut removals = RemovalCounts::default();
        removals.record(RemovalCause::Size);
        removals.record(RemovalCause::Expired);
        let shard = ShardStats {
            hits: 3,
            misses: 1,
            inserts: 4,
            operations: 8,
            removals,
            entries: 2,
            weight: 2,
        };
        let stats = CacheStats::from_shards(vec![shard.clone(), shard]);
        assert_eq!(stats.hits, 6);
        assert_eq!(stats.evictions(), 4);
        assert_eq!(stats.expirations(), 2);
        assert!((stats.hit_ratio() - 0.75).abs() < 1e-9);
    }
}

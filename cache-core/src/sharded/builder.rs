//! [`CacheBuilder`]: every setting of a [`ShardedCache`], with defaults.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::entry::NEVER;
use super::hot::HotShardMonitor;
use super::instrument::Instruments;
use super::listener::{Listener, RemovalCause};
use super::loader::Loaders;
use super::shard::Shard;
use super::{DefaultHashBuilder, Inner, ShardCell, ShardedCache, Weigher};
use crate::{Clock, SystemClock, duration_nanos};

/// The capacity of a cache built without [`CacheBuilder::max_capacity`].
pub const DEFAULT_CAPACITY: u64 = 10_000;

/// Default shards are cut down until each holds at least this many entries, so that a small cache
/// keeps its hit ratio: a shard's queues only approximate the whole cache's. Replaying the ARC
/// OLTP trace into 256 entries, 4 shards of 64 beat 8 of 32 by 0.2 to 0.4 points on 1 thread
/// and by up to 1.4 on 2.
const MIN_ENTRIES_PER_SHARD: u64 = 64;

/// Shards per core a cache gets by default (see `default_shards`).
const SHARDS_PER_CORE: usize = 16;

/// Default shards are added (up to [`MAX_DEFAULT_SHARDS`]) until none holds more than this many
/// entries: a shard grows its table and slab under its write lock, and every thread that needs
/// the shard meanwhile parks, so the size of a shard bounds that pause. The bench's ttl workload,
/// whose cache grows to two million entries on 2 threads, ran 12% faster in 128 shards than in 32
/// (eight alternated runs; 64 and 256 were between the two).
const MAX_ENTRIES_PER_SHARD: u64 = 1 << 15;

/// The most shards a cache gets by default.
const MAX_DEFAULT_SHARDS: usize = 1024;

/// What a full cache does with a write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvictionMode {
    /// Evict entries (S3-FIFO) to make room: the right choice for a cache.
    #[default]
    Evict,
    /// Never drop a live entry: a write that does not fit fails with
    /// [`CapacityExceeded`](super::CapacityExceeded), after expired entries are reclaimed
    /// (Redis's `noeviction`). The mode of every [`CacheStore`](crate::CacheStore).
    Reject,
}

/// Builds a [`ShardedCache`] (or, over `Bytes`, a [`CacheStore`](crate::CacheStore)).
///
/// Defaults: [`DEFAULT_CAPACITY`] entries, evicting, no expiry, sixteen shards per available core
/// (rounded to a power of two, more for large caches and fewer for small ones),
/// [`SystemClock::coarse`] (expiry is judged on its coarse reading, a few nanoseconds per
/// operation and no thread), and [`DefaultHashBuilder`].
///
/// ```
/// use std::time::Duration;
/// use cache_core::{RemovalCause, ShardedCache};
///
/// let cache: ShardedCache<u64, String> = ShardedCache::builder()
///     .shards(4)
///     .max_capacity(64 * 1024)
///     .weigher(|_key, value: &String| value.len() as u32)
///     .time_to_idle(Duration::from_secs(300))
///     .eviction_listener(|key, _value, cause| {
///         if cause == RemovalCause::Size {
///             println!("evicted {key} to make room");
///         }
///     })
///     .build();
/// cache.insert(1, "one".to_string());
/// assert_eq!(cache.weighted_size(), 3);
/// ```
#[must_use = "a builder does nothing until built"]
pub struct CacheBuilder<K, V, S = DefaultHashBuilder> {
    shards: Option<usize>,
    max_capacity: u64,
    weigher: Option<Weigher<K, V>>,
    time_to_live: Option<Duration>,
    time_to_idle: Option<Duration>,
    mode: EvictionMode,
    clock: Option<Arc<dyn Clock>>,
    listener: Option<Listener<K, V>>,
    hasher: S,
    hot_shard_warning_interval: Duration,
    pub(crate) max_key_size: usize,
    pub(crate) max_value_size: usize,
}

impl<K, V> Default for CacheBuilder<K, V> {
    fn default() -> Self {
        Self {
            shards: None,
            max_capacity: DEFAULT_CAPACITY,
            weigher: None,
            time_to_live: None,
            time_to_idle: None,
            mode: EvictionMode::Evict,
            clock: None,
            listener: None,
            hasher: DefaultHashBuilder::default(),
            hot_shard_warning_interval: Duration::from_secs(60),
            max_key_size: crate::cache_store::DEFAULT_MAX_KEY_SIZE,
            max_value_size: crate::cache_store::DEFAULT_MAX_VALUE_SIZE,
        }
    }
}

impl<K, V, S: fmt::Debug> fmt::Debug for CacheBuilder<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("shards", &self.shards)
            .field("max_capacity", &self.max_capacity)
            .field("weigher", &self.weigher.is_some())
            .field("time_to_live", &self.time_to_live)
            .field("time_to_idle", &self.time_to_idle)
            .field("mode", &self.mode)
            .field("clock", &self.clock)
            .field("listener", &self.listener.is_some())
            .field("hasher", &self.hasher)
            .field("max_key_size", &self.max_key_size)
            .field("max_value_size", &self.max_value_size)
            .finish()
    }
}

impl<K, V, S> CacheBuilder<K, V, S> {
    /// The number of shards: a power of two. Checked by `build`.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// The capacity: entries, or weight units once a [`weigher`](Self::weigher) is set. It can
    /// be changed later with [`ShardedCache::set_capacity`].
    pub fn max_capacity(mut self, max_capacity: u64) -> Self {
        self.max_capacity = max_capacity;
        self
    }

    /// Weighs entries for the capacity (an entry weighs at least 1), e.g. by their size in bytes.
    pub fn weigher(mut self, weigher: impl Fn(&K, &V) -> u32 + Send + Sync + 'static) -> Self {
        self.weigher = Some(Arc::new(weigher));
        self
    }

    /// The time-to-live of entries written without one of their own.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.time_to_live = Some(ttl);
        self
    }

    /// Entries expire once unread and unwritten this long (on top of any time-to-live).
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.time_to_idle = Some(tti);
        self
    }

    /// Whether a full cache evicts (the default) or refuses writes.
    pub fn eviction_mode(mut self, mode: EvictionMode) -> Self {
        self.mode = mode;
        self
    }

    /// The clock for expiry (default: [`SystemClock::coarse`]); tests pass a
    /// [`MockClock`](crate::MockClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Called with every entry that leaves, and why, after the shard's lock is released (so the
    /// listener may use the cache). Calls for one key arrive in order.
    pub fn eviction_listener(
        mut self,
        listener: impl Fn(&K, &V, RemovalCause) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Listener::new(listener));
        self
    }

    /// The minimum time between two hot-shard warnings (default 60 s).
    pub fn hot_shard_warning_interval(mut self, interval: Duration) -> Self {
        self.hot_shard_warning_interval = interval;
        self
    }

    /// The longest key a [`CacheStore`](crate::CacheStore) accepts, in bytes (default 4 KiB).
    pub fn max_key_size(mut self, bytes: usize) -> Self {
        self.max_key_size = bytes;
        self
    }

    /// The longest value a [`CacheStore`](crate::CacheStore) accepts, in bytes (default 16 MiB).
    pub fn max_value_size(mut self, bytes: usize) -> Self {
        self.max_value_size = bytes;
        self
    }

    /// Hashes keys with `hasher` instead of [`DefaultHashBuilder`].
    pub fn hasher<S2>(self, hasher: S2) -> CacheBuilder<K, V, S2> {
        CacheBuilder {
            shards: self.shards,
            max_capacity: self.max_capacity,
            weigher: self.weigher,
            time_to_live: self.time_to_live,
            time_to_idle: self.time_to_idle,
            mode: self.mode,
            clock: self.clock,
            listener: self.listener,
            hasher,
            hot_shard_warning_interval: self.hot_shard_warning_interval,
            max_key_size: self.max_key_size,
            max_value_size: self.max_value_size,
        }
    }

    pub(crate) fn forced_mode(mut self, mode: EvictionMode) -> Self {
        self.mode = mode;
        self
    }
}

impl<K, V, S> CacheBuilder<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// Builds the cache.
    ///
    /// # Panics
    ///
    /// Panics when the capacity is zero, the shard count is not a power of two, an evicting cache
    /// has more shards than capacity (a shard with no room could cache nothing), or a
    /// time-to-live or time-to-idle is zero. [`CacheConfig`](crate::CacheConfig) reports the same
    /// mistakes as errors instead.
    pub fn build(self) -> ShardedCache<K, V, S> {
        assert!(self.max_capacity > 0, "cache capacity must be at least 1");
        assert!(
            self.time_to_live.is_none_or(|ttl| !ttl.is_zero()),
            "a cache's time-to-live must be longer than zero"
        );
        assert!(
            self.time_to_idle.is_none_or(|tti| !tti.is_zero()),
            "a cache's time-to-idle must be longer than zero"
        );
        let shards = self
            .shards
            .unwrap_or_else(|| default_shards(self.max_capacity, self.weigher.is_some()));
        assert!(
            shards.is_power_of_two(),
            "cache shards must be a power of two, got {shards}"
        );
        assert!(
            self.mode == EvictionMode::Reject || shards as u64 <= self.max_capacity,
            "an evicting cache needs a capacity of at least one per shard, got {shards} shards \
             for a capacity of {}",
            self.max_capacity
        );
        let cells = (0..shards)
            .map(|index| ShardCell {
                lock: RwLock::new(Shard::new(
                    shard_capacity(self.max_capacity, shards, index),
                    self.mode == EvictionMode::Evict,
                )),
            })
            .collect();
        let clock = self
            .clock
            .unwrap_or_else(|| Arc::new(SystemClock::coarse()));
        ShardedCache {
            inner: Arc::new(Inner {
                shards: cells,
                shard_mask: shards as u64 - 1,
                hasher: self.hasher,
                clock,
                default_ttl: self.time_to_live,
                time_to_idle: self.time_to_idle.map_or(NEVER, duration_nanos),
                mode: self.mode,
                capacity: AtomicU64::new(self.max_capacity),
                used: AtomicU64::new(0),
                earliest_expiry: AtomicU64::new(NEVER),
                weigher: self.weigher,
                listener: self.listener,
                loaders: Loaders::new(shards),
                monitor: HotShardMonitor::new(
                    duration_nanos(self.hot_shard_warning_interval),
                    shards,
                ),
                instruments: Instruments::default(),
            }),
        }
    }
}

/// Shard `index`'s slice of `capacity`: slices differ by at most one and add up exactly.
pub(crate) fn shard_capacity(capacity: u64, shards: usize, index: usize) -> u64 {
    let shards = shards as u64;
    capacity / shards + u64::from((index as u64) < capacity % shards)
}

/// Sixteen shards per core, more when a large entry-counted cache would make shards too large to
/// grow without a long pause, fewer when a small one would leave shards tiny, and never more than
/// the capacity. With four per core, two threads met on a shard lock once in eight operations,
/// and a thread that parks costs more than the operation: sixteen ran the bench's ttl workload
/// 1.4x faster, with the same hit ratios on its Zipf and OLTP replays.
fn default_shards(capacity: u64, weighted: bool) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut shards = (cores * SHARDS_PER_CORE)
        .next_power_of_two()
        .min(MAX_DEFAULT_SHARDS);
    while !weighted
        && shards < MAX_DEFAULT_SHARDS
        && capacity.div_ceil(shards as u64) > MAX_ENTRIES_PER_SHARD
    {
        shards *= 2;
    }
    let too_many = |shards: usize| {
        let shards = shards as u64;
        shards > capacity || (!weighted && capacity / shards < MIN_ENTRIES_PER_SHARD)
    };
    while shards > 1 && too_many(shards) {
        shards /= 2;
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_slices_add_up_to_the_capacity() {
        for capacity in [1, 7, 100, 1001] {
            let total: u64 = (0..8).map(|index| shard_capacity(capacity, 8, index)).sum();
            assert_eq!(total, capacity);
        }
    }

    #[test]
    fn default_shards_shrink_for_small_caches() {
        assert_eq!(default_shards(10, false), 1);
        assert!(default_shards(1_000_000, false).is_power_of_two());
        assert_eq!(default_shards(64, false), 1);
        assert!(default_shards(256, false) <= 4);
        assert_eq!(
            default_shards(1, true),
            1,
            "never more shards than capacity"
        );
        assert!(default_shards(1 << 30, true) > 1 || std::thread::available_parallelism().is_err());
    }

    #[test]
    fn default_shards_grow_for_large_caches() {
        let base = default_shards(1 << 20, false);
        assert!(base.is_power_of_two() && base >= 32);
        assert_eq!(default_shards(4_000_000, false), base.max(128));
        assert_eq!(default_shards(u64::MAX, false), MAX_DEFAULT_SHARDS);
        assert_eq!(
            default_shards(u64::MAX, true),
            default_shards(1 << 30, true),
            "a weight says nothing of the entry count"
        );
    }

    #[test]
    #[should_panic(expected = "power of two")]
    fn shards_must_be_a_power_of_two() {
        let _ = ShardedCache::<u32, u32>::builder().shards(3).build();
    }

    #[test]
    #[should_panic(expected = "at least one per shard")]
    fn an_evicting_cache_needs_room_in_every_shard() {
        let _ = ShardedCache::<u32, u32>::builder()
            .shards(8)
            .max_capacity(4)
            .build();
    }

    #[test]
    #[should_panic(expected = "at least 1")]
    fn capacity_must_be_positive() {
        let _ = ShardedCache::<u32, u32>::builder().max_capacity(0).build();
    }

    #[test]
    #[should_panic(expected = "time-to-live")]
    fn ttl_must_be_positive() {
        let _ = ShardedCache::<u32, u32>::builder()
            .time_to_live(Duration::ZERO)
            .build();
    }
}

//! A sharded, concurrent, in-process cache: bounded by entries or weight, with per-entry TTL, a
//! default TTL and time-to-idle, S3-FIFO eviction, an eviction listener, coalesced async loads and
//! statistics.
//!
//! Keys are spread over a power of two of shards, each a hash table behind its own
//! `parking_lot::RwLock`: reads take the shared lock and only bump a saturating frequency counter,
//! writes take the exclusive lock for a few hundred nanoseconds at most. Eviction is S3-FIFO
//! (a small probationary FIFO whose share of the capacity adapts to the workload, a main FIFO
//! with frequency bits, and a ghost of recently evicted hashes), which keeps the hit ratio of the
//! best LRU variants without their write on every read.
//!
//! Expired entries are never returned. They are reclaimed when a write meets them, by a sweep of a
//! few slots on every write, and, optionally, by a periodic tokio task
//! ([`ShardedCache::spawn_sweeper`], feature `tokio`): no background thread is required.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use cache_core::{MockClock, ShardedCache};
//!
//! let clock = MockClock::new();
//! let cache: ShardedCache<String, u32> = ShardedCache::builder()
//!     .max_capacity(1_000)
//!     .time_to_live(Duration::from_secs(60))
//!     .clock(clock.clone())
//!     .build();
//!
//! cache.insert("a".to_string(), 1);
//! cache.insert_with_ttl("b".to_string(), 2, Duration::from_secs(5));
//! assert_eq!(cache.get("a"), Some(1));
//!
//! clock.advance(Duration::from_secs(10));
//! assert_eq!(cache.get("b"), None, "b outlived its own TTL");
//! assert_eq!(cache.get("a"), Some(1), "a lives for the default 60 s");
//!
//! let stats = cache.stats();
//! assert_eq!((stats.hits, stats.misses), (2, 1));
//! ```

mod atomic;
mod builder;
mod bulk;
mod context;
mod entry;
mod error;
mod eviction;
mod ghost;
mod hot;
mod instrument;
mod iter;
mod listener;
mod loader;
mod queue;
mod shard;
mod slab;
mod stats;
#[cfg(feature = "tokio")]
mod sweeper;
mod target;
mod write;

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::RwLock;

pub use builder::{CacheBuilder, DEFAULT_CAPACITY, EvictionMode};
pub use error::CapacityExceeded;
pub use iter::{CacheEntry, Iter};
pub use listener::RemovalCause;
pub use stats::{CacheStats, RemovalCounts, ShardStats};

pub(crate) use entry::NEVER;
pub(crate) use write::Lifetime;

use crate::Clock;
use context::Now;
use hot::HotShardMonitor;
use instrument::{Instruments, Op};
use listener::Listener;
use loader::Loaders;
use shard::Shard;

/// The hasher a cache uses unless the builder is given another: fast, and seeded per process.
pub type DefaultHashBuilder = foldhash::fast::RandomState;

/// Every 2^16th hit of a shard triggers a (rate-limited) hot-shard check.
const HOT_CHECK_HITS_MASK: u64 = (1 << 16) - 1;

/// Mixes a hasher's output once more before the cache cuts it into the bits that pick the shard,
/// the table's bucket and the ghost's slot: a multiplication by the 64-bit golden ratio, whose
/// 128-bit product's halves are folded together.
///
/// A hasher may be fast and still leave some bits of its output in step with the key. foldhash's
/// fast variant (the default) multiplies small integer keys once, and for about one process seed
/// in a thousand the bits above the 32nd moved with the key's low bits: replaying the ARC OLTP
/// trace (block numbers up to 2^18), 32 shards then held from 4,791 to 9,584 of its keys each,
/// and the hit ratio at 8,000 entries fell from 59.9% to 53.8%. Identity hashers, which some
/// users pick for integer keys, would put every small key in the first shard.
#[inline]
fn spread(hash: u64) -> u64 {
    let product = u128::from(hash) * 0x9E37_79B9_7F4A_7C15;
    (product as u64) ^ ((product >> 64) as u64)
}

/// Computes an entry's weight; see [`CacheBuilder::weigher`].
pub(crate) type Weigher<K, V> = Arc<dyn Fn(&K, &V) -> u32 + Send + Sync>;

/// A concurrent cache from `K` to `V`; see the [module documentation](self).
///
/// Cloning is cheap and yields a handle to the same cache. Values are returned by clone, so
/// large values belong behind an `Arc` (or are `Bytes`).
///
/// ```
/// use std::sync::Arc;
/// use cache_core::ShardedCache;
///
/// let cache: ShardedCache<u64, Arc<str>> = ShardedCache::new(10_000);
/// let worker = cache.clone();
/// std::thread::spawn(move || worker.insert(1, Arc::from("one"))).join().unwrap();
/// assert_eq!(cache.get(&1).as_deref(), Some("one"));
/// assert_eq!(cache.insert_if_absent(1, Arc::from("uno"), None), Ok(Some(Arc::from("one"))));
/// ```
pub struct ShardedCache<K, V, S = DefaultHashBuilder> {
    inner: Arc<Inner<K, V, S>>,
}

/// One shard behind its lock, on cache lines of its own so that shards do not false-share. The
/// lock word opens the first line and the fields a read needs follow it ([`Shard`]'s layout).
#[repr(align(128))]
pub(crate) struct ShardCell<K, V> {
    lock: RwLock<Shard<K, V>>,
}

pub(crate) struct Inner<K, V, S> {
    shards: Box<[ShardCell<K, V>]>,
    shard_mask: u64,
    hasher: S,
    clock: Arc<dyn Clock>,
    default_ttl: Option<Duration>,
    /// In clock nanoseconds, or `NEVER`.
    time_to_idle: u64,
    mode: EvictionMode,
    capacity: AtomicU64,
    /// Weight held by all shards; maintained only when rejecting.
    used: AtomicU64,
    /// A lower bound on every deadline in the cache; maintained only when rejecting.
    earliest_expiry: AtomicU64,
    weigher: Option<Weigher<K, V>>,
    listener: Option<Listener<K, V>>,
    loaders: Loaders<K, V>,
    monitor: HotShardMonitor,
    instruments: Instruments,
}

impl<K, V, S> Inner<K, V, S> {
    /// Starts timing `op` on this cache's clock, for its `cache.operation.duration`.
    #[inline]
    fn time(&self, op: Op) -> instrument::OperationTimer<'_> {
        self.instruments.time(op, &self.clock)
    }
}

impl<K, V, S> Clone for ShardedCache<K, V, S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, V, S> fmt::Debug for ShardedCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedCache")
            .field("shards", &self.inner.shards.len())
            .field("capacity", &self.inner.capacity.load(Ordering::Relaxed))
            .field("mode", &self.inner.mode)
            .field("default_ttl", &self.inner.default_ttl)
            .finish_non_exhaustive()
    }
}

impl<K, V> ShardedCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A builder with the defaults: see [`CacheBuilder`].
    pub fn builder() -> CacheBuilder<K, V> {
        CacheBuilder::default()
    }

    /// An evicting cache of at most `max_capacity` entries, with every other setting at its
    /// default.
    ///
    /// # Panics
    ///
    /// Panics when `max_capacity` is zero.
    pub fn new(max_capacity: u64) -> Self {
        Self::builder().max_capacity(max_capacity).build()
    }
}

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        spread(self.inner.hasher.hash_one(key))
    }

    /// The shard of a hash: bits the table itself does not use (it takes the low bits for the
    /// bucket and the top seven for its control bytes).
    fn shard_index(&self, hash: u64) -> usize {
        ((hash >> 32) & self.inner.shard_mask) as usize
    }

    /// The live value under `key`, counted as a hit or a miss.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _timer = self.inner.time(Op::Get);
        let hash = self.hash(key);
        let cell = &self.inner.shards[self.shard_index(hash)];
        let now = Now::new(&self.inner.clock);
        let shard = self.inner.instruments.read(&cell.lock, &self.inner.clock);
        let found = shard.get(hash, key, &now, self.inner.time_to_idle).cloned();
        let hot_check_due = match found {
            Some(_) => shard.reads.hit() & HOT_CHECK_HITS_MASK == HOT_CHECK_HITS_MASK,
            None => {
                shard.reads.miss();
                false
            }
        };
        drop(shard);
        if hot_check_due {
            self.check_hot_shards();
        }
        found
    }

    /// Whether a live entry exists under `key`; neither counted nor recorded as an access.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.peek(key).is_some()
    }

    /// The live value under `key`, neither counted nor recorded as an access.
    pub fn peek<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let cell = &self.inner.shards[self.shard_index(hash)];
        let now = Now::new(&self.inner.clock);
        cell.lock
            .read()
            .peek(hash, key, &now, self.inner.time_to_idle)
            .cloned()
    }

    /// The number of shards (a power of two).
    pub fn shard_count(&self) -> usize {
        self.inner.shards.len()
    }

    /// The capacity, in entries or in weight units when a weigher is set.
    pub fn capacity(&self) -> u64 {
        self.inner.capacity.load(Ordering::Acquire)
    }

    /// Whether the cache evicts or refuses writes when full.
    pub fn eviction_mode(&self) -> EvictionMode {
        self.inner.mode
    }

    /// The clock deadlines are measured on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Resident entries, including expired ones not reclaimed yet.
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|cell| cell.lock.read().len())
            .sum()
    }

    /// True when no entry is resident.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The total weight of the resident entries (their count without a weigher).
    pub fn weighted_size(&self) -> u64 {
        self.inner
            .shards
            .iter()
            .map(|cell| cell.lock.read().weight)
            .sum()
    }

    fn check_hot_shards(&self) {
        let now = self.inner.clock.recent();
        self.inner
            .monitor
            .check(now, || self.operations_per_shard());
    }

    fn operations_per_shard(&self) -> Vec<u64> {
        self.inner
            .shards
            .iter()
            .map(|cell| cell.lock.read().operations())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peeking_is_neither_counted_nor_an_access() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
        cache.insert(1, 1);
        assert_eq!(cache.peek(&1), Some(1));
        assert!(cache.contains_key(&1));
        assert!(!cache.contains_key(&2));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (0, 0));
    }

    #[test]
    fn clones_share_one_cache() {
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().shards(4).build();
        let other = cache.clone();
        other.insert(1, 1);
        assert_eq!(cache.get(&1), Some(1));
        assert_eq!(
            (cache.len(), cache.weighted_size(), cache.shard_count()),
            (1, 1, 4)
        );
        assert_eq!(cache.eviction_mode(), EvictionMode::Evict);
        assert!(format!("{cache:?}").contains("shards: 4"));
    }

    #[test]
    fn a_read_needs_the_first_line_of_its_shard_and_counts_itself_on_the_second() {
        let cache: ShardedCache<u64, u64> = ShardedCache::new(1_000);
        let cell = &cache.inner.shards[0];
        let start = cell as *const ShardCell<u64, u64> as usize;
        let shard = cell.lock.read();
        let offset = |field: *const u8| field as usize - start;
        let table = offset((&raw const shard.table).cast());
        // The slab opens with its entries: a vector of them.
        let slab_end = offset((&raw const shard.slab).cast()) + size_of::<Vec<()>>();
        let reads = offset((&raw const shard.reads).cast());
        assert_eq!(start % 128, 0);
        assert!(table < slab_end && slab_end <= 64, "{table}..{slab_end}");
        assert!((64..128).contains(&reads), "{reads}");
    }

    /// Entries per shard after inserting `keys` into a cache of 32 shards hashing with `hasher`.
    fn entries_per_shard<S: BuildHasher>(hasher: S, keys: std::ops::Range<u64>) -> Vec<u64> {
        let cache: ShardedCache<u64, (), S> = ShardedCache::builder()
            .max_capacity(1 << 20)
            .shards(32)
            .hasher(hasher)
            .build();
        keys.for_each(|key| cache.insert(key, ()));
        cache
            .stats()
            .shards
            .iter()
            .map(|shard| shard.entries)
            .collect()
    }

    #[test]
    fn small_integer_keys_spread_evenly_under_a_seed_that_made_foldhash_uneven() {
        // The process seed under which foldhash's fast variant put 4,791 to 9,584 of these keys
        // (the ARC OLTP trace's block numbers) in each of 32 shards.
        let seed = 508u64.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 12_345;
        let shared = Box::leak(Box::new(foldhash::SharedSeed::from_u64(seed)));
        let hasher = foldhash::fast::SeedableRandomState::with_seed(1, shared);
        let entries = entries_per_shard(hasher, 1..186_881);
        let (fewest, most) = (entries.iter().min().unwrap(), entries.iter().max().unwrap());
        assert!(most - fewest < fewest / 10, "{entries:?}");
    }

    #[test]
    fn an_identity_hasher_still_spreads_keys_over_every_shard() {
        #[derive(Default)]
        struct Identity(u64);
        impl std::hash::Hasher for Identity {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, _: &[u8]) {
                unreachable!("only u64 keys")
            }
            fn write_u64(&mut self, key: u64) {
                self.0 = key;
            }
        }
        let hasher = std::hash::BuildHasherDefault::<Identity>::default();
        let entries = entries_per_shard(hasher, 0..32_000);
        assert!(
            entries.iter().all(|&n| (800..1_200).contains(&n)),
            "{entries:?}"
        );
    }

    #[test]
    fn keys_spread_over_every_shard() {
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().shards(8).build();
        (0..1_000).for_each(|n| cache.insert(n, n));
        assert!(cache.stats().shards.iter().all(|shard| shard.entries > 50));
    }
}

//! The storage vocabulary of resync-rs: the [`Store`] trait every backend implements, and a
//! sharded, concurrent in-process cache.
//!
//! - [`Store`]: opaque byte keys and values with an optional TTL and the atomic primitives
//!   (insert-if-absent, compare-and-set, compare-and-delete) that correctness above needs.
//! - [`ShardedCache`]: a generic concurrent cache with TTL, time-to-idle, S3-FIFO eviction, an
//!   eviction listener, coalesced async loads and statistics.
//! - [`CacheStore`]: that cache as a [`Store`], in no-eviction mode.
//! - [`Clock`]: time as a dependency, with a cheap coarse reading for hot paths.
//! - [`CacheConfig`]: the serde configuration of both.
//!
//! # Features
//!
//! - `tokio`: [`ShardedCache::spawn_sweeper`], a periodic sweep of expired entries.
//! - `metrics`: instrumentation through the `metrics` facade (`cache.operation.duration`,
//!   `cache.lock.wait.duration`, `cache.entries`, `cache.memory.bytes`, `cache.evictions`, all
//!   labelled `store = "sharded"`, or `store = "moka"` for the moka-backed store).
//! - `test-support`: the [`Store`] conformance suite.
//! - `moka`: a [`Store`] over `moka::future::Cache`.
//!
//! # Unsafe code
//!
//! Only in the shard's storage (`sharded/slab.rs`, `queue.rs`, `shard.rs`, `eviction.rs`): the
//! slab of entries is read by index without bounds or occupancy checks, which are 9% to 10% of a
//! replay's instructions. Each shard keeps every index in its table and queues live, each
//! `unsafe` block says which part of that invariant it rests on, and debug builds check every
//! access anyway.

mod cache_store;
mod clock;
mod config;
#[cfg(feature = "test-support")]
pub mod conformance;
mod error;
#[cfg(feature = "moka")]
mod moka_store;
#[cfg(all(test, feature = "metrics"))]
mod recorded;
pub mod sharded;
mod store;

pub use cache_store::{CacheStore, DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_VALUE_SIZE};
pub use clock::{Clock, MockClock, SystemClock, duration_nanos};
pub use config::{CacheConfig, ConfigError};
pub use error::{InputError, StoreError};
#[cfg(feature = "moka")]
pub use moka_store::{MokaStore, MokaStoreBuilder, MokaStoreConfig};
pub use sharded::{
    CacheBuilder, CacheEntry, CacheStats, CapacityExceeded, DEFAULT_CAPACITY, EvictionMode,
    RemovalCause, RemovalCounts, ShardStats, ShardedCache,
};
pub use store::{Store, StoreFuture, StoreOp};

//! The caches under comparison, behind one small interface.

use std::time::Duration;

use cache_core::ShardedCache;

/// What every workload needs of a cache: u64 keys and values, shared by reference across threads.
pub(crate) trait BenchCache: Sync {
    fn get(&self, key: u64) -> Option<u64>;
    fn insert(&self, key: u64, value: u64);
}

/// A system under test: its crate name and how to build it for a capacity.
#[derive(Clone, Copy)]
pub(crate) struct System {
    pub(crate) name: &'static str,
    pub(crate) build: fn(capacity: u64, ttl: Option<Duration>) -> Box<dyn BenchCache>,
}

pub(crate) const CACHE_CORE: System = System {
    name: "cache-core",
    build: cache_core_cache,
};
pub(crate) const MOKA: System = System {
    name: "moka",
    build: moka_cache,
};
pub(crate) const QUICK_CACHE: System = System {
    name: "quick_cache",
    build: quick_cache_cache,
};
pub(crate) const DASHMAP: System = System {
    name: "dashmap",
    build: dashmap_map,
};

fn cache_core_cache(capacity: u64, ttl: Option<Duration>) -> Box<dyn BenchCache> {
    let builder = ShardedCache::<u64, u64>::builder().max_capacity(capacity);
    let builder = match ttl {
        Some(ttl) => builder.time_to_live(ttl),
        None => builder,
    };
    Box::new(builder.build())
}

impl BenchCache for ShardedCache<u64, u64> {
    fn get(&self, key: u64) -> Option<u64> {
        ShardedCache::get(self, &key)
    }

    fn insert(&self, key: u64, value: u64) {
        ShardedCache::insert(self, key, value)
    }
}

fn moka_cache(capacity: u64, ttl: Option<Duration>) -> Box<dyn BenchCache> {
    let builder = moka::sync::Cache::builder().max_capacity(capacity);
    let builder = match ttl {
        Some(ttl) => builder.time_to_live(ttl),
        None => builder,
    };
    Box::new(builder.build())
}

impl BenchCache for moka::sync::Cache<u64, u64> {
    fn get(&self, key: u64) -> Option<u64> {
        moka::sync::Cache::get(self, &key)
    }

    fn insert(&self, key: u64, value: u64) {
        moka::sync::Cache::insert(self, key, value)
    }
}

fn quick_cache_cache(capacity: u64, ttl: Option<Duration>) -> Box<dyn BenchCache> {
    assert!(ttl.is_none(), "quick_cache has no time-to-live");
    let capacity = usize::try_from(capacity).expect("capacity fits in usize");
    Box::new(quick_cache::sync::Cache::<u64, u64>::new(capacity))
}

impl BenchCache for quick_cache::sync::Cache<u64, u64> {
    fn get(&self, key: u64) -> Option<u64> {
        quick_cache::sync::Cache::get(self, &key)
    }

    fn insert(&self, key: u64, value: u64) {
        quick_cache::sync::Cache::insert(self, key, value)
    }
}

fn dashmap_map(_capacity: u64, ttl: Option<Duration>) -> Box<dyn BenchCache> {
    assert!(ttl.is_none(), "DashMap has no time-to-live");
    Box::new(dashmap::DashMap::<u64, u64>::new())
}

impl BenchCache for dashmap::DashMap<u64, u64> {
    fn get(&self, key: u64) -> Option<u64> {
        dashmap::DashMap::get(self, &key).map(|entry| *entry)
    }

    fn insert(&self, key: u64, value: u64) {
        dashmap::DashMap::insert(self, key, value);
    }
}

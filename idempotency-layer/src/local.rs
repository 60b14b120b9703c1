//! The optional in-process cache of completed responses, in front of a remote store: a replay
//! found there costs no round trip.
//!
//! Only completed records go in, and a completed record never changes until its retention ends,
//! so a cached copy can be stale only by outliving a record deleted by hand in the store; the
//! cache's time-to-live bounds that.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache_core::ShardedCache;

use crate::record::Completed;

/// A small, bounded, evicting cache of decoded completed records by stored key.
#[derive(Debug, Clone)]
pub(crate) struct LocalCache {
    cache: ShardedCache<Bytes, Arc<Completed>>,
    ttl: Duration,
}

impl LocalCache {
    /// A cache of at most `capacity` responses, each kept for `ttl`.
    pub(crate) fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            cache: ShardedCache::builder().max_capacity(capacity).build(),
            ttl,
        }
    }

    pub(crate) fn get(&self, key: &Bytes) -> Option<Arc<Completed>> {
        self.cache.get(key)
    }

    pub(crate) fn insert(&self, key: Bytes, completed: Arc<Completed>) {
        self.cache.insert_with_ttl(key, completed, self.ttl);
    }
}

//! Iteration over a cache's live entries, with their deadlines (what a snapshot needs).

use std::hash::{BuildHasher, Hash};
use std::time::Duration;

use super::ShardedCache;
use super::entry::NEVER;

/// A live entry, cloned out of the cache, with its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry<K, V> {
    /// The key.
    pub key: K,
    /// The value.
    pub value: V,
    /// When the entry expires, in nanoseconds of the cache's clock (the earlier of its
    /// time-to-live and its time-to-idle), or `None` for never.
    pub expires_at: Option<u64>,
}

impl<K, V> CacheEntry<K, V> {
    /// The time left at `now` (a reading of the cache's clock), or `None` for never; zero once
    /// past the deadline.
    pub fn remaining(&self, now: u64) -> Option<Duration> {
        self.expires_at
            .map(|deadline| Duration::from_nanos(deadline.saturating_sub(now)))
    }
}

/// An iterator over a cache's live entries, returned by [`ShardedCache::iter`].
///
/// Weakly consistent: each shard is copied under its read lock when the iterator reaches it, so
/// writes to shards not reached yet are seen and no entry is seen twice.
#[derive(Debug)]
pub struct Iter<'a, K, V, S> {
    cache: &'a ShardedCache<K, V, S>,
    next_shard: usize,
    buffer: std::vec::IntoIter<CacheEntry<K, V>>,
}

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// Iterates over the live entries, shard by shard.
    ///
    /// ```
    /// use cache_core::ShardedCache;
    ///
    /// let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
    /// cache.insert(1, 10);
    /// cache.insert(2, 20);
    /// let mut pairs: Vec<_> = cache.iter().map(|entry| (entry.key, entry.value)).collect();
    /// pairs.sort();
    /// assert_eq!(pairs, [(1, 10), (2, 20)]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V, S> {
        Iter {
            cache: self,
            next_shard: 0,
            buffer: Vec::new().into_iter(),
        }
    }
}

impl<K, V, S> Iterator for Iter<'_, K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    type Item = CacheEntry<K, V>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.buffer.next() {
                return Some(entry);
            }
            let cell = self.cache.inner.shards.get(self.next_shard)?;
            self.next_shard += 1;
            let now = self.cache.inner.clock.recent();
            let live = cell
                .lock
                .read()
                .live_entries(now, self.cache.inner.time_to_idle);
            self.buffer = live
                .into_iter()
                .map(|(key, value, deadline)| CacheEntry {
                    key,
                    value,
                    expires_at: (deadline != NEVER).then_some(deadline),
                })
                .collect::<Vec<_>>()
                .into_iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{MockClock, ShardedCache};

    #[test]
    fn iteration_skips_expired_entries_and_reports_deadlines() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .shards(4)
            .clock(clock.clone())
            .build();
        cache.insert_with_ttl(1, 1, Duration::from_secs(1));
        cache.insert_with_ttl(2, 2, Duration::from_secs(10));
        cache.insert(3, 3);
        clock.advance(Duration::from_secs(1));
        let mut entries: Vec<_> = cache.iter().collect();
        entries.sort_by_key(|entry| entry.key);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].expires_at, Some(10_000_000_000));
        assert_eq!(
            entries[0].remaining(crate::Clock::now(&clock)),
            Some(Duration::from_secs(9))
        );
        assert_eq!(entries[1].expires_at, None);
        assert_eq!(entries[1].remaining(0), None);
    }
}

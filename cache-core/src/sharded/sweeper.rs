//! The optional periodic sweep (feature `tokio`): a task that reclaims expired entries even when
//! nobody writes.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::ShardedCache;

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher + Send + Sync + 'static,
{
    /// Spawns a task on the current tokio runtime that calls
    /// [`sweep_expired`](ShardedCache::sweep_expired) every `interval`. The task holds only a
    /// weak reference: it ends by itself once every handle to the cache is dropped (or when
    /// aborted through the returned handle).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use cache_core::ShardedCache;
    ///
    /// let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
    /// let sweeper = cache.spawn_sweeper(Duration::from_secs(1));
    /// drop(cache);
    /// sweeper.await.unwrap(); // ends once the cache is gone
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a tokio runtime, or when `interval` is zero.
    pub fn spawn_sweeper(&self, interval: Duration) -> JoinHandle<()> {
        let cache = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(inner) = cache.upgrade() else {
                    return;
                };
                let swept = ShardedCache { inner }.sweep_expired();
                if swept > 0 {
                    tracing::debug!(swept, "cache sweeper reclaimed expired entries");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{MockClock, ShardedCache};

    #[tokio::test]
    async fn the_sweeper_reclaims_entries_nobody_touches() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().clock(clock.clone()).build();
        (0..10).for_each(|n| cache.insert_with_ttl(n, n, Duration::from_secs(1)));
        let sweeper = cache.spawn_sweeper(Duration::from_millis(5));
        clock.advance(Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), async {
            while !cache.is_empty() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the sweeper never reclaimed the expired entries");
        assert_eq!(cache.stats().expirations(), 10);
        drop(cache);
        tokio::time::timeout(Duration::from_secs(5), sweeper)
            .await
            .expect("the sweeper outlived its cache")
            .unwrap();
    }
}

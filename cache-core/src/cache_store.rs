//! [`CacheStore`]: the [`Store`] over a [`ShardedCache`] of bytes, in no-eviction mode.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::sharded::{CacheBuilder, DefaultHashBuilder, EvictionMode, Iter, Lifetime, NEVER};
use crate::{Clock, InputError, ShardedCache, Store, StoreError, StoreFuture};

/// The longest key a [`CacheStore`] accepts unless told otherwise: 4 KiB.
pub const DEFAULT_MAX_KEY_SIZE: usize = 4 * 1024;

/// The longest value a [`CacheStore`] accepts unless told otherwise: 16 MiB.
pub const DEFAULT_MAX_VALUE_SIZE: usize = 16 * 1024 * 1024;

/// The in-process [`Store`]: a [`ShardedCache`] of `Bytes` that never evicts a live record.
///
/// At capacity it first reclaims expired records, then refuses the write with
/// [`StoreError::CapacityExceeded`]. Keys and values longer than the configured limits are refused
/// with [`InputError`]. Every method completes without waiting: the futures are ready at once.
/// Each primitive runs under its key's shard lock, so it is atomic per key.
///
/// Built with [`CacheBuilder::build_store`] (or [`CacheConfig::build_store`](crate::CacheConfig::build_store)).
/// The builder's default time-to-live does not apply: a `Store` write without a TTL never
/// expires, as the trait says.
///
/// ```
/// use std::time::Duration;
/// use bytes::Bytes;
/// use cache_core::{ShardedCache, Store, StoreError};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = ShardedCache::builder().max_capacity(1).build_store();
/// let key = Bytes::from_static(b"a");
/// store.set(&key, Bytes::from_static(b"1"), Some(Duration::from_secs(30))).await?;
/// let refused = store.set(&Bytes::from_static(b"b"), Bytes::new(), None).await;
/// assert!(matches!(refused, Err(StoreError::CapacityExceeded { capacity: 1 })));
/// # Ok::<(), StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct CacheStore {
    cache: ShardedCache<Bytes, Bytes>,
    max_key_size: usize,
    max_value_size: usize,
}

impl CacheBuilder<Bytes, Bytes> {
    /// Builds a [`CacheStore`]: this cache in [`EvictionMode::Reject`], whatever mode was set,
    /// with the builder's key and value limits.
    ///
    /// # Panics
    ///
    /// As [`CacheBuilder::build`].
    pub fn build_store(self) -> CacheStore {
        let (max_key_size, max_value_size) = (self.max_key_size, self.max_value_size);
        CacheStore {
            cache: self.forced_mode(EvictionMode::Reject).build(),
            max_key_size,
            max_value_size,
        }
    }
}

impl CacheStore {
    /// A builder for a store: the cache's builder over `Bytes`, finished by
    /// [`CacheBuilder::build_store`].
    ///
    /// ```
    /// use cache_core::CacheStore;
    ///
    /// let store = CacheStore::builder().max_capacity(100_000).max_value_size(1 << 20).build_store();
    /// assert_eq!(store.cache().capacity(), 100_000);
    /// ```
    pub fn builder() -> CacheBuilder<Bytes, Bytes> {
        ShardedCache::builder()
    }

    /// The cache underneath, for its statistics, `len`, `clear`, or synchronous reads
    /// (`get`, `peek`) and removes (`remove`) that need no limit checks.
    pub fn cache(&self) -> &ShardedCache<Bytes, Bytes> {
        &self.cache
    }

    /// The clock deadlines are measured on ([`Clock::now`] nanoseconds).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.cache.clock()
    }

    /// The live records with their deadlines, shard by shard (for snapshots).
    pub fn iter(&self) -> Iter<'_, Bytes, Bytes, DefaultHashBuilder> {
        self.cache.iter()
    }

    /// The longest key accepted, in bytes.
    pub fn max_key_size(&self) -> usize {
        self.max_key_size
    }

    /// The longest value accepted, in bytes.
    pub fn max_value_size(&self) -> usize {
        self.max_value_size
    }

    /// Stores `value` under `key` until the absolute deadline `expires_at` (nanoseconds of
    /// [`CacheStore::clock`]; `None`: never), synchronously, with the limits and capacity of
    /// [`Store::set`]. For replaying a log or loading a snapshot; a deadline already past stores
    /// a record that is never returned and is reclaimed soon.
    pub fn set_expiring_at(
        &self,
        key: Bytes,
        value: Bytes,
        expires_at: Option<u64>,
    ) -> Result<(), StoreError> {
        self.check(&key, Some(&value))?;
        let deadline = expires_at.map_or(NEVER, |at| at.min(NEVER - 1));
        Ok(self.cache.write(key, value, Lifetime::Until(deadline))?)
    }

    fn check(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), InputError> {
        if key.len() > self.max_key_size {
            return Err(InputError::KeyTooLarge {
                size: key.len(),
                limit: self.max_key_size,
            });
        }
        match value {
            Some(value) if value.len() > self.max_value_size => Err(InputError::ValueTooLarge {
                size: value.len(),
                limit: self.max_value_size,
            }),
            _ => Ok(()),
        }
    }

    fn set_now(&self, key: &Bytes, value: Bytes, ttl: Option<Duration>) -> Result<(), StoreError> {
        self.check(key, Some(&value))?;
        Ok(self.cache.write(key.clone(), value, lifetime(ttl)?)?)
    }

    fn insert_if_absent_now(
        &self,
        key: &Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> Result<Option<Bytes>, StoreError> {
        self.check(key, Some(&value))?;
        Ok(self
            .cache
            .insert_if_absent_for(key.clone(), value, lifetime(ttl)?)?)
    }

    fn compare_and_set_now(
        &self,
        key: &Bytes,
        expected: &[u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.check(key, Some(&new))?;
        Ok(self
            .cache
            .compare_and_set_for(key, expected, new, lifetime(ttl)?)?)
    }
}

/// A `Store` TTL as a lifetime: `None` never expires; zero is refused.
fn lifetime(ttl: Option<Duration>) -> Result<Lifetime, InputError> {
    match ttl {
        None => Ok(Lifetime::Until(NEVER)),
        Some(ttl) if ttl.is_zero() => Err(InputError::ZeroTtl),
        Some(ttl) => Ok(Lifetime::For(ttl)),
    }
}

fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl Store for CacheStore {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        ready(
            self.check(key, None)
                .map_err(StoreError::from)
                .map(|()| self.cache.get(key)),
        )
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        ready(self.set_now(key, value, ttl))
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        ready(
            self.check(key, None)
                .map_err(StoreError::from)
                .map(|()| self.cache.remove(key).is_some()),
        )
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        ready(self.insert_if_absent_now(key, value, ttl))
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        ready(self.compare_and_set_now(key, expected, new, ttl))
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        ready(
            self.check(key, None)
                .map_err(StoreError::from)
                .map(|()| self.cache.compare_and_remove(key, expected)),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use bytes::Bytes;

    use crate::{
        InputError, MockClock, RemovalCause, ShardedCache, Store, StoreError, duration_nanos,
    };

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn bytes(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    #[test]
    fn limits_name_the_size_and_the_limit() {
        let store = ShardedCache::builder()
            .max_key_size(4)
            .max_value_size(8)
            .build_store();
        block_on(async {
            let long_key = store
                .set(&bytes("12345"), bytes("v"), None)
                .await
                .unwrap_err();
            assert!(matches!(
                long_key,
                StoreError::InvalidInput(InputError::KeyTooLarge { size: 5, limit: 4 })
            ));
            let long_value = store
                .insert_if_absent(&bytes("k"), bytes("123456789"), None)
                .await
                .unwrap_err();
            assert!(matches!(
                long_value,
                StoreError::InvalidInput(InputError::ValueTooLarge { size: 9, limit: 8 })
            ));
            let zero = store
                .set(&bytes("k"), bytes("v"), Some(Duration::ZERO))
                .await
                .unwrap_err();
            assert!(matches!(
                zero,
                StoreError::InvalidInput(InputError::ZeroTtl)
            ));
            assert!(
                store.get(&bytes("k")).await.unwrap().is_none(),
                "nothing was written"
            );
        });
    }

    #[test]
    fn the_default_ttl_does_not_apply_to_store_writes() {
        let clock = MockClock::new();
        let store = ShardedCache::builder()
            .time_to_live(Duration::from_secs(1))
            .clock(clock.clone())
            .build_store();
        block_on(async {
            store.set(&bytes("k"), bytes("v"), None).await.unwrap();
            clock.advance(Duration::from_secs(10));
            assert_eq!(store.get(&bytes("k")).await.unwrap(), Some(bytes("v")));
        });
    }

    #[test]
    fn restored_records_keep_their_absolute_deadline() {
        let clock = MockClock::new();
        let store = ShardedCache::builder().clock(clock.clone()).build_store();
        let deadline = duration_nanos(Duration::from_secs(5));
        store
            .set_expiring_at(bytes("a"), bytes("1"), Some(deadline))
            .unwrap();
        store.set_expiring_at(bytes("b"), bytes("2"), None).unwrap();
        let mut snapshot: Vec<_> = store.iter().collect();
        snapshot.sort_by(|x, y| x.key.cmp(&y.key));
        assert_eq!(snapshot[0].expires_at, Some(deadline));
        assert_eq!(snapshot[1].expires_at, None);
        clock.advance(Duration::from_secs(5));
        assert_eq!(store.cache().get(&bytes("a")), None);
        assert_eq!(store.cache().get(&bytes("b")), Some(bytes("2")));
    }

    #[test]
    fn a_full_store_evicts_nothing_and_says_so() {
        let removed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&removed);
        let store = ShardedCache::builder()
            .shards(4)
            .max_capacity(2)
            .eviction_listener(move |key: &Bytes, _: &Bytes, cause| {
                seen.lock().unwrap().push((key.clone(), cause))
            })
            .build_store();
        block_on(async {
            store.set(&bytes("a"), bytes("1"), None).await.unwrap();
            store.set(&bytes("b"), bytes("2"), None).await.unwrap();
            let full = store.set(&bytes("c"), bytes("3"), None).await.unwrap_err();
            assert!(matches!(full, StoreError::CapacityExceeded { capacity: 2 }));
            assert!(!full.is_backend_failure());
            store.set(&bytes("a"), bytes("again"), None).await.unwrap();
            assert!(store.delete(&bytes("b")).await.unwrap());
            store.set(&bytes("c"), bytes("3"), None).await.unwrap();
        });
        let causes: Vec<_> = removed
            .lock()
            .unwrap()
            .iter()
            .map(|(_, cause)| *cause)
            .collect();
        assert_eq!(causes, [RemovalCause::Replaced, RemovalCause::Removed]);
    }
}

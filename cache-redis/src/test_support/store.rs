//! A [`RedisStore`] that keeps its test server alive for as long as it lives.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Store, StoreFuture};

use super::{TestRedis, TestRedisError};
use crate::RedisStore;

/// A [`RedisStore`] on a [`TestRedis`] (with a fresh key prefix) that owns the server, for
/// harnesses that keep only the store, such as `cache_core::store_conformance!`.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use cache_redis::test_support::TestStore;
///
/// let store = TestStore::connect().await?;
/// println!("{:?}", store.store());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TestStore {
    store: RedisStore,
    _redis: Arc<TestRedis>,
}

impl TestStore {
    /// Connects to [`TestRedis::from_env`].
    pub async fn connect() -> Result<Self, TestRedisError> {
        Self::on(TestRedis::from_env()?).await
    }

    /// Connects to `redis`, with a fresh key prefix, and keeps it alive.
    pub async fn on(redis: TestRedis) -> Result<Self, TestRedisError> {
        let store = RedisStore::connect(&redis.config()).await?;
        Ok(Self {
            store,
            _redis: Arc::new(redis),
        })
    }

    /// The store itself.
    pub fn store(&self) -> &RedisStore {
        &self.store
    }
}

impl Store for TestStore {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        self.store.get(key)
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        self.store.set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        self.store.delete(key)
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        self.store.insert_if_absent(key, value, ttl)
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.store.compare_and_set(key, expected, new, ttl)
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        self.store.compare_and_delete(key, expected)
    }
}

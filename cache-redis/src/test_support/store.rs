//! A [`RedisStore`] that keeps its test server alive for as long as it lives.

use std::sync::Arc;

use cache_core::conformance::Guarded;

use super::{TestRedis, TestRedisError};
use crate::RedisStore;

/// A [`RedisStore`] on a [`TestRedis`] (with a fresh key prefix) that owns the server, for
/// harnesses that keep only the store, such as `cache_core::store_conformance!`. Clones share the
/// server, which stops (or, on a shared server, whose keys are removed) when the last one drops.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = cache_redis::test_support::connect_store().await?;
/// println!("{:?}", store.store());
/// # Ok(()) }
/// ```
pub type TestStore = Guarded<RedisStore, Arc<TestRedis>>;

impl TestRedis {
    /// A store connected to this Redis, with a fresh key prefix, that keeps it alive.
    pub async fn into_store(self) -> Result<TestStore, TestRedisError> {
        let store = RedisStore::connect(&self.config()).await?;
        Ok(Guarded::new(store, Arc::new(self)))
    }
}

/// A [`TestStore`] on [`TestRedis::from_env`]: `REDIS_URL`'s server, or a private one.
pub async fn connect_store() -> Result<TestStore, TestRedisError> {
    TestRedis::from_env()?.into_store().await
}

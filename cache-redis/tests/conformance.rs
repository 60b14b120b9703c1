//! The cache-core `Store` conformance suite, run against a real Redis (`REDIS_URL`, or a private
//! `redis-server`), each case under a key prefix of its own.

use std::time::Duration;

use cache_core::conformance::{Backend, RealTime};
use cache_redis::RedisConfig;
use cache_redis::test_support::connect_store;

/// A Redis store with the default input limits, on 50 ms real TTLs.
async fn redis() -> Backend {
    let store = connect_store()
        .await
        .unwrap_or_else(|err| panic!("no Redis to test against: {err}"));
    let limits = RedisConfig::default();
    Backend::new(store, RealTime::new(Duration::from_millis(50)))
        .max_key_size(limits.max_key_size.as_u64() as usize)
        .max_value_size(limits.max_value_size.as_u64() as usize)
}

mod redis {
    cache_core::store_conformance!(super::redis());
}

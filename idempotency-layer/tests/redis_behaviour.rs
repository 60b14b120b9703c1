//! The behavioural suite on Redis: every case of `suite` against a `RedisStore`, each on a key
//! prefix of its own (on `REDIS_URL`'s server, or a private `redis-server` per case).

mod support;
#[macro_use]
mod suite;

use std::sync::Arc;

use cache_core::Store;
use cache_redis::test_support::connect_store;

store_suite!(redis, crate::redis);

/// A `RedisStore` that keeps its server (or its keys, on a shared server) for as long as the case
/// holds it. The suite asks for its store synchronously, from inside the case's runtime.
fn redis() -> Arc<dyn Store> {
    let connect = connect_store();
    let store = tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(connect))
        .expect("a Redis 7 to test against");
    Arc::new(store)
}

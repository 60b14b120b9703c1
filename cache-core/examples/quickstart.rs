//! Run with cargo run -p cache-core --example quickstart
//!
//! A tour of cache-core: a `ShardedCache` with a TTL, eviction and statistics, then the same
//! cache as a `Store` with its atomic primitives, as an idempotency layer uses them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{MockClock, RemovalCause, ShardedCache, Store, StoreError};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    // A mock clock lets the tour move time forward; a service uses the default SystemClock.
    let clock = MockClock::new();

    println!("== A cache of 100 entries, default TTL 30 s ==");
    let cache: ShardedCache<String, String> = ShardedCache::builder()
        .max_capacity(100)
        .time_to_live(Duration::from_secs(30))
        .clock(clock.clone())
        .eviction_listener(|key, _value, cause| {
            if cause == RemovalCause::Expired {
                println!("  listener: {key} expired");
            }
        })
        .build();
    cache.insert("session:alice".into(), "logged in".into());
    cache.insert_with_ttl("otp:alice".into(), "492113".into(), Duration::from_secs(5));
    println!("otp:alice        -> {:?}", cache.get("otp:alice"));
    clock.advance(Duration::from_secs(6));
    println!("6 s later");
    println!(
        "otp:alice        -> {:?} (its own 5 s TTL passed)",
        cache.get("otp:alice")
    );
    println!("session:alice    -> {:?}", cache.get("session:alice"));
    println!("swept {} expired entry", cache.sweep_expired());

    println!("\n== Eviction: 1,000 one-off keys through a cache of 100 ==");
    for round in 0..3 {
        for user in 0..20 {
            let key = format!("user:{user}");
            if round == 0 {
                cache.insert(key.clone(), format!("profile {user}"));
            }
            cache.get(&key);
        }
    }
    for n in 0..1_000 {
        cache.insert(format!("scan:{n}"), String::new());
    }
    let hot_left = (0..20)
        .filter(|user| cache.contains_key(&format!("user:{user}")))
        .count();
    println!("entries: {} (capacity {})", cache.len(), cache.capacity());
    println!("hot user keys still cached: {hot_left} of 20 (S3-FIFO keeps them over the scan)");

    let stats = cache.stats();
    println!("\n== Stats ==");
    println!(
        "hits {}, misses {}, hit ratio {:.2}, inserts {}",
        stats.hits,
        stats.misses,
        stats.hit_ratio(),
        stats.inserts
    );
    println!(
        "removed by size {}, expired {}, replaced {}, removed {}",
        stats.removals.size,
        stats.removals.expired,
        stats.removals.replaced,
        stats.removals.removed
    );

    println!("\n== The same cache as a Store (never evicts: full means an error) ==");
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::builder()
            .max_capacity(2)
            .clock(clock.clone())
            .build_store(),
    );
    let key = Bytes::from_static(b"idem:order-42");
    let claim = Bytes::from_static(b"in-flight:token-7");
    let lease = Some(Duration::from_secs(10));
    let first = store.insert_if_absent(&key, claim.clone(), lease).await?;
    println!("insert_if_absent (first)  -> {first:?}: we own the key");
    let second = store
        .insert_if_absent(&key, Bytes::from_static(b"in-flight:token-8"), lease)
        .await?;
    println!("insert_if_absent (retry)  -> {second:?}: someone holds it");
    let done = Bytes::from_static(b"completed:201");
    let wrong = store
        .compare_and_set(&key, b"in-flight:token-8", done.clone(), None)
        .await?;
    println!("compare_and_set (stale)   -> {wrong}");
    let swapped = store
        .compare_and_set(
            &key,
            &claim,
            done.clone(),
            Some(Duration::from_secs(86_400)),
        )
        .await?;
    println!("compare_and_set (owner)   -> {swapped}");
    println!("get                       -> {:?}", store.get(&key).await?);

    store
        .set(
            &Bytes::from_static(b"other"),
            Bytes::from_static(b"x"),
            lease,
        )
        .await?;
    match store
        .set(&Bytes::from_static(b"third"), Bytes::new(), None)
        .await
    {
        Err(StoreError::CapacityExceeded { capacity }) => {
            println!("set (store full)          -> refused: capacity {capacity}, nothing evicted");
        }
        other => println!("set (store full)          -> unexpected {other:?}"),
    }
    clock.advance(Duration::from_secs(11));
    store
        .set(&Bytes::from_static(b"third"), Bytes::new(), None)
        .await?;
    println!("11 s later, `other` expired and made room: set (third) -> ok");
    let deleted = store.compare_and_delete(&key, &done).await?;
    println!("compare_and_delete        -> {deleted}");
    Ok(())
}

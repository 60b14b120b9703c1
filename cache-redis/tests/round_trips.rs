//! Every primitive is one command from the client, as the server counts them. (Redis also
//! counts the commands a script calls: they show beside the `evalsha`.)

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use cache_core::Store;
use cache_redis::RedisStore;
use cache_redis::test_support::TestRedis;

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(name, n)| ((*name).to_owned(), *n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_primitive_is_one_command() {
    let redis = TestRedis::private(&[]).unwrap();
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let key = Bytes::from_static(b"k");
    let ttl = Some(Duration::from_secs(60));
    // Load both scripts, as the first use after a server start does.
    store
        .compare_and_set(&key, b"-", "-".into(), ttl)
        .await
        .unwrap();
    store.compare_and_delete(&key, b"-").await.unwrap();
    let mut counter = redis.command_counter().await.unwrap();

    assert_eq!(
        store
            .insert_if_absent(&key, "claim".into(), ttl)
            .await
            .unwrap(),
        None
    );
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));

    assert_eq!(
        store
            .insert_if_absent(&key, "other".into(), ttl)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"claim"[..])
    );
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));

    assert!(
        store
            .compare_and_set(&key, b"claim", "done".into(), ttl)
            .await
            .unwrap()
    );
    let script = counts(&[("evalsha", 1), ("get", 1), ("set", 1)]);
    assert_eq!(counter.executed().await.unwrap(), script);

    assert!(store.compare_and_delete(&key, b"done").await.unwrap());
    let script = counts(&[("evalsha", 1), ("get", 1), ("del", 1)]);
    assert_eq!(counter.executed().await.unwrap(), script);

    assert_eq!(store.get(&key).await.unwrap(), None);
    assert_eq!(counter.executed().await.unwrap(), counts(&[("get", 1)]));
    store.set(&key, "v".into(), ttl).await.unwrap();
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));
    assert!(store.delete(&key).await.unwrap());
    assert_eq!(counter.executed().await.unwrap(), counts(&[("del", 1)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_script_is_loaded_once_then_called_by_hash() {
    let redis = TestRedis::private(&[]).unwrap();
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let key = Bytes::from_static(b"k");
    let mut counter = redis.command_counter().await.unwrap();

    assert!(!store.compare_and_delete(&key, b"x").await.unwrap());
    // EVALSHA answered NOSCRIPT, SCRIPT LOAD, EVALSHA again (whose script ran one GET).
    let first = counts(&[("evalsha", 2), ("get", 1), ("script|load", 1)]);
    assert_eq!(counter.executed().await.unwrap(), first);

    assert!(!store.compare_and_delete(&key, b"x").await.unwrap());
    let then = counts(&[("evalsha", 1), ("get", 1)]);
    assert_eq!(counter.executed().await.unwrap(), then);
}

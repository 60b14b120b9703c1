//! The store on a private three-node Redis Cluster: the conformance suite, key placement, and
//! the topology check at connect.
#![cfg(feature = "cluster")]

use std::time::Duration;

use bytes::Bytes;
use cache_core::Store;
use cache_core::conformance::{Backend, RealTime};
use cache_redis::test_support::TestRedis;
use cache_redis::{ConnectError, RedisConfig, RedisStore};

async fn cluster() -> Backend {
    let redis = TestRedis::private_cluster()
        .unwrap_or_else(|err| panic!("no Redis Cluster to test against: {err}"));
    let store = redis.into_store().await.unwrap();
    let limits = RedisConfig::default();
    Backend::new(store, RealTime::new(Duration::from_millis(50)))
        .max_key_size(limits.max_key_size.as_u64() as usize)
        .max_value_size(limits.max_value_size.as_u64() as usize)
}

mod on_a_cluster {
    cache_core::store_conformance!(super::cluster());
}

async fn keyslot(conn: &mut redis::aio::MultiplexedConnection, key: &[u8]) -> u16 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_spread_over_the_nodes_and_a_shared_tag_shares_a_slot() {
    let redis = TestRedis::private_cluster().unwrap();
    let config = redis.config();
    let store = RedisStore::connect(&config).await.unwrap();
    let client = redis::Client::open(config.url.as_str()).unwrap();
    let mut node = client.get_multiplexed_async_connection().await.unwrap();

    let mut nodes = std::collections::BTreeSet::new();
    for i in 0..64 {
        let key = Bytes::from(format!("request-{i}"));
        store.set(&key, "v".into(), None).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));
        // The private cluster splits the slots in three equal ranges, one per node.
        let node_of = match keyslot(&mut node, &store.redis_key(&key)).await {
            0..=5460 => 0,
            5461..=10921 => 1,
            _ => 2,
        };
        nodes.insert(node_of);
    }
    assert_eq!(nodes.len(), 3, "64 keys should reach all three nodes");

    let record = store.redis_key(b"{order-42}:record");
    let body = store.redis_key(b"{order-42}:body");
    assert_eq!(
        keyslot(&mut node, &record).await,
        keyslot(&mut node, &body).await
    );
    assert_eq!(
        keyslot(&mut node, &store.redis_key(b"order-42")).await,
        keyslot(&mut node, b"order-42").await,
        "an untagged key is placed by itself, not by the prefix"
    );
}

#[tokio::test]
async fn the_topology_must_match_the_config() {
    let cluster = TestRedis::private_cluster().unwrap();
    let mut config = cluster.config();
    config.cluster = false;
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Config(e) if e.field() == "cluster"),
        "{err}"
    );

    let single = TestRedis::private(&[]).unwrap();
    let mut config = single.config();
    config.cluster = true;
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Config(e) if e.field() == "cluster"),
        "{err}"
    );
}

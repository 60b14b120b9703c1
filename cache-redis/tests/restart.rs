//! Redis killed and restarted under a running workload: typed errors while it is down, and the
//! same store object recovers by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_core::{Store, StoreError};
use cache_redis::RedisStore;
use cache_redis::test_support::TestRedis;

/// Long enough for any wait of these tests to be a hang, not slowness.
const PATIENCE: Duration = Duration::from_secs(30);

fn assert_unavailable(err: &StoreError) {
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                backend: "redis",
                ..
            }
        ),
        "expected Unavailable, got {err:?}"
    );
}

/// Retries `get` until Redis answers again, failing after [`PATIENCE`].
async fn wait_until_up(store: &RedisStore, key: &Bytes) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match store.get(key).await {
            Ok(_) => return,
            Err(err) => assert_unavailable(&err),
        }
        assert!(Instant::now() < deadline, "the store did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_primitive_fails_typed_while_down_and_works_after_a_restart() {
    let mut redis = TestRedis::private(&[]).expect("a private redis-server");
    let mut config = redis.config();
    config.command_timeout = Duration::from_millis(300);
    let store = RedisStore::connect(&config).await.unwrap();
    let key = Bytes::from_static(b"k");
    let ttl = Some(Duration::from_secs(60));
    store
        .set(&key, Bytes::from_static(b"v1"), ttl)
        .await
        .unwrap();

    redis.server().unwrap().stop();
    assert_unavailable(&store.get(&key).await.unwrap_err());
    assert_unavailable(&store.set(&key, "v".into(), ttl).await.unwrap_err());
    assert_unavailable(&store.delete(&key).await.unwrap_err());
    assert_unavailable(
        &store
            .insert_if_absent(&key, "v".into(), ttl)
            .await
            .unwrap_err(),
    );
    let cas = store.compare_and_set(&key, b"v1", "v2".into(), ttl).await;
    assert_unavailable(&cas.unwrap_err());
    assert_unavailable(&store.compare_and_delete(&key, b"v1").await.unwrap_err());

    redis.server().unwrap().restart().unwrap();
    wait_until_up(&store, &key).await;
    // The server kept nothing (no persistence configured): the records are gone, and the
    // scripts must be loaded again, which EVALSHA's NOSCRIPT fallback does.
    assert_eq!(store.get(&key).await.unwrap(), None);
    assert_eq!(
        store.insert_if_absent(&key, "a".into(), ttl).await.unwrap(),
        None
    );
    assert!(
        store
            .compare_and_set(&key, b"a", "b".into(), ttl)
            .await
            .unwrap()
    );
    assert!(store.compare_and_delete(&key, b"b").await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_survives_a_crash_mid_run() {
    let mut redis = TestRedis::private(&[]).expect("a private redis-server");
    let mut config = redis.config();
    config.command_timeout = Duration::from_millis(300);
    let store = RedisStore::connect(&config).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut ok, mut down) = (0u64, 0u64);
                let mut round = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    let key = Bytes::from(format!("w{worker}:{round}"));
                    let claim = Bytes::from(format!("claim-{round}"));
                    let ttl = Some(Duration::from_secs(30));
                    let outcome = match store.insert_if_absent(&key, claim.clone(), ttl).await {
                        Ok(None) => {
                            store
                                .compare_and_set(&key, &claim, "done".into(), ttl)
                                .await
                        }
                        Ok(Some(existing)) => panic!("fresh key {key:?} held {existing:?}"),
                        Err(err) => Err(err),
                    };
                    match outcome {
                        Ok(swapped) => {
                            assert!(swapped, "our own claim on {key:?} was not there");
                            ok += 1;
                        }
                        Err(err) => {
                            assert_unavailable(&err);
                            down += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                (ok, down)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.server().unwrap().stop();
    tokio::time::sleep(Duration::from_millis(800)).await;
    redis.server().unwrap().restart().unwrap();
    wait_until_up(&store, &Bytes::from_static(b"probe")).await;
    let recovered_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);

    let (mut ok, mut down) = (0, 0);
    for worker in workers {
        let (o, d) = tokio::time::timeout(PATIENCE, worker)
            .await
            .expect("a worker hung")
            .unwrap();
        ok += o;
        down += d;
    }
    assert!(down > 0, "no operation saw the server down");
    assert!(ok > 0, "no operation succeeded");
    // After the recovery, the store serves again without being rebuilt.
    let key = Bytes::from_static(b"after");
    store.set(&key, "x".into(), None).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"x"[..]));
    assert!(recovered_at.elapsed() < PATIENCE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_times_out_typed_and_is_used_again_once_it_answers() {
    let mut redis = TestRedis::private(&[]).expect("a private redis-server");
    let mut config = redis.config();
    config.command_timeout = Duration::from_millis(200);
    let store = RedisStore::connect(&config).await.unwrap();
    let key = Bytes::from_static(b"k");
    store.set(&key, "v".into(), None).await.unwrap();

    redis.server().unwrap().freeze().unwrap();
    let started = Instant::now();
    let err = store.get(&key).await.unwrap_err();
    assert_unavailable(&err);
    assert!(started.elapsed() < PATIENCE, "the timeout did not fire");
    // A write sent now may still be applied once the server resumes ("may or may not have
    // been applied"), so it goes to a key the rest of the test does not read.
    let other = Bytes::from_static(b"other");
    let err = store.set(&other, "x".into(), None).await.unwrap_err();
    assert_unavailable(&err);

    redis.server().unwrap().thaw().unwrap();
    wait_until_up(&store, &key).await;
    // The server kept its data: it was only slow.
    assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));
}

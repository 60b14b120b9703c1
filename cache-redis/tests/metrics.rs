//! With the `metrics` feature, every operation is timed as `cache.operation.duration`, labelled
//! `store="redis"` and its `op`.

#![cfg(feature = "metrics")]

use std::collections::BTreeSet;

use bytes::Bytes;
use cache_core::{Store, StoreOp};
use cache_redis::RedisStore;
use cache_redis::test_support::TestRedis;
use metrics_util::debugging::DebuggingRecorder;

#[tokio::test]
async fn every_operation_is_timed_under_its_name() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let redis = TestRedis::private(&[]).unwrap();
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let key = Bytes::from_static(b"k");
    for _ in 0..2 {
        store.set(&key, "a".into(), None).await.unwrap();
        store.get(&key).await.unwrap();
        store
            .insert_if_absent(&key, "b".into(), None)
            .await
            .unwrap();
        store
            .compare_and_set(&key, b"a", "c".into(), None)
            .await
            .unwrap();
        store.compare_and_delete(&key, b"c").await.unwrap();
        store.delete(&key).await.unwrap();
    }
    let recorded: Vec<(String, usize)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| key.key().name() == "cache.operation.duration")
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let samples = match value {
                metrics_util::debugging::DebugValue::Histogram(samples) => samples.len(),
                other => panic!("not a histogram: {other:?}"),
            };
            (labels.join(","), samples)
        })
        .collect();
    let expected: BTreeSet<(String, usize)> = StoreOp::ALL
        .iter()
        .map(|op| (format!("store=redis,op={}", op.as_str()), 2))
        .collect();
    assert_eq!(recorded.into_iter().collect::<BTreeSet<_>>(), expected);
}

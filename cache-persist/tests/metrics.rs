//! With the `metrics` feature, every documented metric is recorded with `store="durable"`.

#![cfg(feature = "metrics")]

mod common;

use std::collections::BTreeSet;

use cache_core::Store;
use cache_persist::{DurableConfig, DurableStore};
use common::{block_on, value};
use metrics_util::debugging::DebuggingRecorder;

#[test]
fn every_documented_metric_is_recorded() {
    // Global, since the log thread records too.
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = DurableConfig::new(dir.path());
    config.snapshot_interval = None;
    let store = DurableStore::open(config.clone()).unwrap();
    let key = bytes::Bytes::from_static(b"k");
    block_on(async {
        store.set(&key, value(1), None).await.unwrap();
        store.get(&key).await.unwrap();
    });
    store.snapshot().unwrap();
    drop(store);
    drop(DurableStore::open(config).unwrap());
    let expected = [
        "cache.operation.duration",
        "recovery.duration",
        "recovery.records",
        "snapshot.duration",
        "snapshot.size.bytes",
        "wal.append.duration",
        "wal.fsync.duration",
        "wal.group.size",
    ];
    let keys: Vec<metrics::Key> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, ..)| key.key().clone())
        .filter(|key| {
            key.labels()
                .any(|label| label.key() == "store" && label.value() == "durable")
        })
        .collect();
    let names: BTreeSet<&str> = keys.iter().map(metrics::Key::name).collect();
    for name in expected {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    let ops: BTreeSet<&str> = keys
        .iter()
        .filter(|key| key.name() == "cache.operation.duration")
        .flat_map(|key| key.labels().filter(|l| l.key() == "op").map(|l| l.value()))
        .collect();
    assert_eq!(ops, BTreeSet::from(["get", "set"]));
}

//! With the `metrics` feature, every documented metric is recorded with `store="durable"`.

#![cfg(feature = "metrics")]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use cache_core::Store;
use cache_persist::{DurableConfig, DurableStore};
use common::{block_on, value};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

/// Remembers the name of every metric registered with the label `store="durable"`.
#[derive(Debug, Default)]
struct Names(Arc<Mutex<BTreeSet<String>>>);

impl Names {
    fn note(&self, key: &Key) {
        if key
            .labels()
            .any(|label| label.key() == "store" && label.value() == "durable")
        {
            self.0.lock().unwrap().insert(key.name().to_owned());
        }
    }
}

impl Recorder for Names {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.note(key);
        Counter::noop()
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.note(key);
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.note(key);
        Histogram::noop()
    }
}

#[test]
fn every_documented_metric_is_recorded() {
    let names = Arc::new(Mutex::new(BTreeSet::new()));
    metrics::set_global_recorder(Names(Arc::clone(&names))).unwrap();
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
    let names = names.lock().unwrap();
    for name in expected {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
}

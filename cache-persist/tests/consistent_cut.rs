//! Snapshots at a consistent cut: counters advanced by compare-and-set from several tasks while
//! snapshots are taken are exact after recovery.
//!
//! Each round stops the writers right after a snapshot and recovers from it, so the increments
//! that raced the cut are the last ones of their counters: one that landed in neither the snapshot
//! nor the log after it would show as a lost increment.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cache_core::Store;
use cache_persist::{DurableConfig, DurableStore, FsyncPolicy};

const COUNTERS: usize = 4;
const TASKS: usize = 8;
const ROUNDS: usize = 6;
const SNAPSHOTS_PER_ROUND: usize = 3;

fn counter_key(i: usize) -> Bytes {
    Bytes::from(format!("counter-{i}"))
}

fn encode(count: u64) -> Bytes {
    Bytes::copy_from_slice(&count.to_be_bytes())
}

fn decode(value: &Bytes) -> u64 {
    u64::from_be_bytes(value[..].try_into().expect("eight bytes"))
}

/// Adds one to counter `key` by compare-and-set, retrying on conflict.
async fn increment(store: &DurableStore, key: &Bytes) {
    loop {
        let current = store
            .get(key)
            .await
            .unwrap()
            .expect("counters are initialised");
        let next = encode(decode(&current) + 1);
        if store
            .compare_and_set(key, &current, next, None)
            .await
            .unwrap()
        {
            return;
        }
    }
}

/// Increments from `TASKS` tasks until `SNAPSHOTS_PER_ROUND` snapshots were taken; returns the
/// acknowledged increments per counter.
async fn round(store: Arc<DurableStore>) -> Vec<u64> {
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..COUNTERS).map(|_| AtomicU64::new(0)).collect());
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (store, stop, acked) = (Arc::clone(&store), Arc::clone(&stop), Arc::clone(&acked));
            tokio::spawn(async move {
                let mut n = task;
                while !stop.load(Ordering::Acquire) {
                    let counter = n % COUNTERS;
                    increment(&store, &counter_key(counter)).await;
                    acked[counter].fetch_add(1, Ordering::AcqRel);
                    n += 1;
                }
            })
        })
        .collect();
    let snapshotter = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        tokio::task::spawn_blocking(move || {
            for _ in 0..SNAPSHOTS_PER_ROUND {
                std::thread::sleep(Duration::from_millis(20));
                store.snapshot().unwrap();
            }
            stop.store(true, Ordering::Release);
        })
    };
    snapshotter.await.unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    acked
        .iter()
        .map(|count| count.load(Ordering::Acquire))
        .collect()
}

fn run(policy: FsyncPolicy) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = DurableConfig::new(dir.path());
    config.fsync = policy;
    config.snapshot_interval = None;
    config.segment_size = bytesize::ByteSize::kib(8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let mut expected = [0_u64; COUNTERS];
    for round_index in 0..ROUNDS {
        let store = Arc::new(DurableStore::open(config.clone()).unwrap());
        let acked = runtime.block_on(async {
            for (i, count) in expected.iter().enumerate() {
                let found = store
                    .get(&counter_key(i))
                    .await
                    .unwrap()
                    .map(|v| decode(&v));
                assert_eq!(
                    found.unwrap_or(0),
                    *count,
                    "round {round_index}, counter {i}"
                );
                if found.is_none() {
                    store.set(&counter_key(i), encode(0), None).await.unwrap();
                }
            }
            round(Arc::clone(&store)).await
        });
        for (total, more) in expected.iter_mut().zip(acked) {
            *total += more;
        }
        drop(Arc::into_inner(store).expect("every task finished"));
    }
    let store = DurableStore::open(config).unwrap();
    assert!(store.recovery_report().snapshot.is_some());
    runtime.block_on(async {
        for (i, count) in expected.iter().enumerate() {
            let found = decode(&store.get(&counter_key(i)).await.unwrap().unwrap());
            assert_eq!(found, *count, "counter {i}");
        }
    });
    assert!(
        expected.iter().sum::<u64>() > (ROUNDS * TASKS) as u64,
        "the writers made progress"
    );
}

#[test]
fn counters_are_exact_after_recovery_with_group_commit() {
    run(FsyncPolicy::Always);
}

#[test]
fn counters_are_exact_after_recovery_with_interval_sync() {
    run(FsyncPolicy::Interval(Duration::from_millis(5)));
}

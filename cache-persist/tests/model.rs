//! Property test against a model: random operations, snapshots, clock jumps, process crashes and
//! power losses on the simulated file system; every answer and every recovered state must match
//! a plain map with expiry.

mod common;

use std::time::Duration;

use bytes::Bytes;
use cache_core::{Clock, MockClock, Store};
use cache_persist::fs::SimulatedFs;
use cache_persist::{DurableConfig, DurableStore};
use common::{Model, assert_matches, block_on};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8, Option<u8>),
    Delete(u8),
    InsertIfAbsent(u8, u8, Option<u8>),
    CompareAndSet(u8, u8, u8, Option<u8>),
    CompareAndDelete(u8, u8),
    Advance(u8),
    Snapshot,
    Crash { power_loss: bool },
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..6_u8;
    let value = 0..3_u8;
    let ttl = proptest::option::of(1..4_u8);
    prop_oneof![
        4 => (key.clone(), value.clone(), ttl.clone()).prop_map(|(k, v, t)| Op::Set(k, v, t)),
        2 => key.clone().prop_map(Op::Delete),
        2 => (key.clone(), value.clone(), ttl.clone()).prop_map(|(k, v, t)| Op::InsertIfAbsent(k, v, t)),
        2 => (key.clone(), value.clone(), value.clone(), ttl).prop_map(|(k, e, v, t)| Op::CompareAndSet(k, e, v, t)),
        2 => (key, value).prop_map(|(k, e)| Op::CompareAndDelete(k, e)),
        1 => (1..3_u8).prop_map(Op::Advance),
        1 => Just(Op::Snapshot),
        1 => any::<bool>().prop_map(|power_loss| Op::Crash { power_loss }),
    ]
}

fn key(k: u8) -> Bytes {
    Bytes::from(vec![b'k', k])
}

fn value(v: u8) -> Bytes {
    Bytes::from(vec![b'v', v])
}

fn ttl(t: Option<u8>) -> Option<Duration> {
    t.map(|secs| Duration::from_secs(u64::from(secs)))
}

fn open(fs: &SimulatedFs, clock: &MockClock) -> DurableStore {
    let mut config = DurableConfig::new("/model");
    config.snapshot_interval = None;
    config.segment_size = bytesize::ByteSize::kib(4);
    config.retention.keep = 1;
    DurableStore::builder(config)
        .file_system(fs.clone())
        .clock(clock.clone())
        .open()
        .unwrap()
}

fn expiry(clock: &MockClock, t: Option<u8>) -> Option<u64> {
    ttl(t).map(|ttl| clock.now() + ttl.as_nanos() as u64)
}

fn check(ops: Vec<Op>) {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let all_keys: Vec<Bytes> = (0..6).map(key).collect();
    let mut model = Model::default();
    let mut store = open(&fs, &clock);
    for op in ops {
        let now = clock.now();
        block_on(async {
            match op {
                Op::Set(k, v, t) => {
                    store.set(&key(k), value(v), ttl(t)).await.unwrap();
                    model.set(&key(k), &value(v), expiry(&clock, t));
                }
                Op::Delete(k) => {
                    let removed = store.delete(&key(k)).await.unwrap();
                    assert_eq!(removed, model.get(&key(k), now).is_some());
                    model.delete(&key(k));
                }
                Op::InsertIfAbsent(k, v, t) => {
                    let existing = store
                        .insert_if_absent(&key(k), value(v), ttl(t))
                        .await
                        .unwrap();
                    assert_eq!(existing, model.get(&key(k), now));
                    if existing.is_none() {
                        model.set(&key(k), &value(v), expiry(&clock, t));
                    }
                }
                Op::CompareAndSet(k, e, v, t) => {
                    let swapped = store
                        .compare_and_set(&key(k), &value(e), value(v), ttl(t))
                        .await
                        .unwrap();
                    assert_eq!(swapped, model.get(&key(k), now) == Some(value(e)));
                    if swapped {
                        model.set(&key(k), &value(v), expiry(&clock, t));
                    }
                }
                Op::CompareAndDelete(k, e) => {
                    let removed = store.compare_and_delete(&key(k), &value(e)).await.unwrap();
                    assert_eq!(removed, model.get(&key(k), now) == Some(value(e)));
                    if removed {
                        model.delete(&key(k));
                    }
                }
                Op::Advance(secs) => clock.advance(Duration::from_secs(u64::from(secs))),
                Op::Snapshot => {
                    store.snapshot().unwrap();
                }
                Op::Crash { .. } => {}
            }
        });
        if let Op::Crash { power_loss } = op {
            drop(store);
            if power_loss {
                fs.power_loss();
            } else {
                fs.process_crash();
            }
            store = open(&fs, &clock);
            assert!(
                store.recovery_report().dropped.is_empty(),
                "{:?}",
                store.recovery_report()
            );
        }
        block_on(assert_matches(&store, &model, &all_keys, clock.now()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_store_behaves_like_a_map_across_crashes(ops in proptest::collection::vec(op(), 1..60)) {
        check(ops);
    }
}

//! Property tests of `ShardedCache` against a model: a `HashMap` of the last value written under
//! each key with its deadline and last access, on the same `MockClock`, with and without a
//! time-to-idle.
//!
//! Checked after every operation: a read returns exactly the model's live value, never an expired
//! or stale one (the model forgets what the listener reports as evicted for size); the cache never
//! holds more than its capacity; the statistics add up. A rejecting cache never evicts, and
//! refuses exactly the writes the model says do not fit. An evicting cache also runs with a weigher
//! (a value `v` weighs `v + 1`), so that replacements grow and shrink entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cache_core::{CacheStats, Clock, EvictionMode, MockClock, RemovalCause, ShardedCache};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert {
        key: u8,
        value: u32,
        ttl: Option<u64>,
    },
    Get(u8),
    Remove(u8),
    InsertIfAbsent {
        key: u8,
        value: u32,
        ttl: Option<u64>,
    },
    CompareAndSet {
        key: u8,
        expected: u32,
        value: u32,
    },
    CompareAndRemove {
        key: u8,
        expected: u32,
    },
    RetainEven,
    Sweep,
    Advance(u64),
    Clear,
    SetCapacity(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..24;
    let value = 0u32..4;
    let ttl = prop::option::of(1u64..5);
    prop_oneof![
        4 => (key.clone(), value.clone(), ttl.clone()).prop_map(|(key, value, ttl)| Op::Insert { key, value, ttl }),
        4 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::Remove),
        2 => (key.clone(), value.clone(), ttl).prop_map(|(key, value, ttl)| Op::InsertIfAbsent { key, value, ttl }),
        2 => (key.clone(), value.clone(), value.clone()).prop_map(|(key, expected, value)| Op::CompareAndSet { key, expected, value }),
        1 => (key, value).prop_map(|(key, expected)| Op::CompareAndRemove { key, expected }),
        1 => Just(Op::RetainEven),
        1 => Just(Op::Sweep),
        2 => (0u64..3).prop_map(Op::Advance),
        1 => Just(Op::Clear),
        1 => (1u64..16).prop_map(Op::SetCapacity),
    ]
}

/// What the cache must agree with, per key: the last value written, its deadline and its last
/// access (in seconds), under the cache's time-to-idle.
#[derive(Debug, Default)]
struct Model {
    entries: HashMap<u8, Stored>,
    time_to_idle: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Stored {
    value: u32,
    deadline: Option<u64>,
    accessed: u64,
}

impl Model {
    fn put(&mut self, key: u8, value: u32, deadline: Option<u64>, now: u64) {
        let stored = Stored {
            value,
            deadline,
            accessed: now,
        };
        self.entries.insert(key, stored);
    }

    fn is_live(&self, stored: &Stored, now: u64) -> bool {
        stored.deadline.is_none_or(|deadline| now < deadline)
            && self
                .time_to_idle
                .is_none_or(|tti| now < stored.accessed + tti)
    }

    fn live(&self, key: u8, now: u64) -> Option<u32> {
        self.entries
            .get(&key)
            .filter(|stored| self.is_live(stored, now))
            .map(|stored| stored.value)
    }

    /// A read or a write that found the entry live restarts its idle time.
    fn access(&mut self, key: u8, now: u64) {
        if let Some(stored) = self.entries.get_mut(&key) {
            stored.accessed = now;
        }
    }

    fn live_count(&self, now: u64) -> usize {
        self.entries
            .keys()
            .filter(|&&key| self.live(key, now).is_some())
            .count()
    }
}

fn seconds(clock: &MockClock) -> u64 {
    clock.now() / 1_000_000_000
}

/// Checks that the counters add up and that the cache holds no more than `ceiling`.
fn check_stats(stats: &CacheStats, reads: u64, ceiling: u64) {
    let left = stats.removals.replaced
        + stats.removals.size
        + stats.removals.expired
        + stats.removals.removed;
    assert_eq!(
        stats.entries,
        stats.inserts - left,
        "stats do not add up: {stats:?}"
    );
    assert_eq!(stats.hits + stats.misses, reads);
    assert!(stats.weight <= ceiling, "over capacity: {stats:?}");
}

/// How a run's cache weighs its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weights {
    One,
    ValuePlusOne,
}

fn run(
    ops: Vec<Op>,
    mut capacity: u64,
    shards: usize,
    mode: EvictionMode,
    tti: Option<u64>,
    weights: Weights,
) {
    // An evicting cache needs room in every shard.
    let shards = shards.min(1 << capacity.ilog2());
    // The model counts entries: a rejecting cache's refusals are only exact by count.
    assert!(mode == EvictionMode::Evict || weights == Weights::One);
    let clock = MockClock::new();
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&evicted);
    let builder = ShardedCache::builder();
    let builder = match tti {
        Some(tti) => builder.time_to_idle(Duration::from_secs(tti)),
        None => builder,
    };
    let builder = match weights {
        Weights::One => builder,
        Weights::ValuePlusOne => builder.weigher(|_, value: &u32| value + 1),
    };
    let cache: ShardedCache<u8, u32> = builder
        .shards(shards)
        .max_capacity(capacity)
        .eviction_mode(mode)
        .clock(clock.clone())
        .eviction_listener(move |key, _, cause| {
            if cause == RemovalCause::Size {
                seen.lock().unwrap().push(*key);
            }
        })
        .build();
    let exact = mode == EvictionMode::Reject;
    let mut model = Model {
        time_to_idle: tti,
        ..Model::default()
    };
    let mut reads = 0;
    // A rejecting cache keeps what it holds when its capacity shrinks, and admits nothing until
    // it is below the new one.
    let mut ceiling = capacity;
    for op in ops {
        let now = seconds(&clock);
        let ttl = |ttl: Option<u64>| ttl.map(Duration::from_secs);
        let deadline = |ttl: Option<u64>| ttl.map(|ttl| now + ttl);
        let fits = |model: &Model, key: u8| {
            model.live(key, now).is_some() || (model.live_count(now) as u64) < capacity
        };
        match op {
            Op::Insert { key, value, ttl: t } => {
                let outcome = cache.try_insert(key, value, ttl(t));
                if exact {
                    assert_eq!(outcome.is_ok(), fits(&model, key), "insert {key}");
                }
                if outcome.is_ok() {
                    model.put(key, value, deadline(t), now);
                }
            }
            Op::Get(key) => {
                reads += 1;
                let got = cache.get(&key);
                assert_eq!(got, model.live(key, now), "get {key} at {now}s");
                if got.is_some() {
                    model.access(key, now);
                }
            }
            Op::Remove(key) => {
                let removed = cache.remove(&key);
                assert_eq!(removed, model.live(key, now));
                model.entries.remove(&key);
            }
            Op::InsertIfAbsent { key, value, ttl: t } => {
                let outcome = cache.insert_if_absent(key, value, ttl(t));
                let live = model.live(key, now);
                match outcome {
                    Ok(existing) => {
                        assert_eq!(existing, live, "insert_if_absent {key}");
                        if live.is_none() {
                            model.put(key, value, deadline(t), now);
                        } else {
                            model.access(key, now);
                        }
                    }
                    Err(_) => assert!(exact && !fits(&model, key)),
                }
            }
            Op::CompareAndSet {
                key,
                expected,
                value,
            } => {
                let swapped = cache.compare_and_set(&key, &expected, value, None).unwrap();
                let should = model.live(key, now) == Some(expected);
                assert_eq!(swapped, should, "compare_and_set {key}");
                if swapped {
                    model.put(key, value, None, now);
                }
            }
            Op::CompareAndRemove { key, expected } => {
                let removed = cache.compare_and_remove(&key, &expected);
                assert_eq!(removed, model.live(key, now) == Some(expected));
                if removed {
                    model.entries.remove(&key);
                }
            }
            Op::RetainEven => {
                cache.retain(|key, _| key % 2 == 0);
                model.entries.retain(|key, _| key % 2 == 0);
            }
            Op::Sweep => {
                cache.sweep_expired();
            }
            Op::Advance(by) => clock.advance(Duration::from_secs(by)),
            Op::Clear => {
                cache.clear();
                model.entries.clear();
            }
            Op::SetCapacity(to) => {
                capacity = if exact { to } else { to.max(shards as u64) };
                cache.set_capacity(capacity);
                ceiling = if exact {
                    capacity.max(cache.weighted_size())
                } else {
                    capacity
                };
            }
        }
        for key in evicted.lock().unwrap().drain(..) {
            assert!(!exact, "a rejecting cache evicted {key}");
            model.entries.remove(&key);
        }
        let now = seconds(&clock);
        let live: Vec<u8> = model
            .entries
            .iter()
            .filter(|(_, stored)| model.is_live(stored, now))
            .map(|(key, _)| *key)
            .collect();
        model.entries.retain(|key, _| live.contains(key));
        assert_eq!(cache.iter().count(), model.live_count(now));
        assert!(
            cache
                .iter()
                .all(|entry| model.live(entry.key, now) == Some(entry.value))
        );
        let stats = cache.stats();
        ceiling = ceiling.min(capacity.max(stats.weight));
        check_stats(&stats, reads, ceiling);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_evicting_cache_agrees_with_the_model(
        ops in prop::collection::vec(op(), 1..200),
        capacity in 1u64..16,
        shards in prop::sample::select(vec![1usize, 2, 4]),
        tti in prop::option::of(1u64..4),
        weights in prop::sample::select(vec![Weights::One, Weights::ValuePlusOne]),
    ) {
        run(ops, capacity, shards, EvictionMode::Evict, tti, weights);
    }

    #[test]
    fn a_rejecting_cache_agrees_with_the_model_exactly(
        ops in prop::collection::vec(op(), 1..200),
        capacity in 1u64..16,
        shards in prop::sample::select(vec![1usize, 2, 4]),
        tti in prop::option::of(1u64..4),
    ) {
        run(ops, capacity, shards, EvictionMode::Reject, tti, Weights::One);
    }
}

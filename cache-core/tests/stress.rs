//! Heavy-load stress: many tokio tasks run randomized operations against shared caches over a
//! small key set, under a timeout so that a deadlock fails the test; then the invariants are
//! checked: capacity, statistics, no lost update, one winner per claim.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{CacheStats, ShardedCache, Store, SystemClock};

const TASKS: u64 = 16;
const OPS_PER_TASK: u64 = 1_000;
const DEADLINE: Duration = Duration::from_secs(60);

/// A small deterministic generator (xorshift), one per task.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn assert_adds_up(stats: &CacheStats) {
    let left = stats.removals.replaced
        + stats.removals.size
        + stats.removals.expired
        + stats.removals.removed;
    assert_eq!(stats.entries, stats.inserts - left, "{stats:?}");
}

#[test]
fn mixed_operations_keep_the_invariants() {
    const CAPACITY: u64 = 32;
    let cache: ShardedCache<u64, u64> = ShardedCache::builder()
        .shards(4)
        .max_capacity(CAPACITY)
        .clock(SystemClock::ticking(Duration::from_millis(1)))
        .build();
    let loads = Arc::new(AtomicU64::new(0));
    runtime().block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (cache, loads) = (cache.clone(), Arc::clone(&loads));
                tokio::spawn(async move {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (task + 1));
                    for op in 0..OPS_PER_TASK {
                        let key = rng.below(64);
                        // Values encode their key, so a value under the wrong key is caught.
                        let value = key * 1_000 + rng.below(1_000);
                        match rng.below(10) {
                            0..=2 => {
                                if let Some(found) = cache.get(&key) {
                                    assert_eq!(found / 1_000, key);
                                }
                            }
                            3 => cache.insert(key, value),
                            4 => cache.insert_with_ttl(
                                key,
                                value,
                                Duration::from_millis(1 + rng.below(5)),
                            ),
                            5 => {
                                cache.remove(&key);
                            }
                            6 => {
                                let _ = cache.insert_if_absent(key, value, None);
                            }
                            7 => {
                                if let Some(found) = cache.get(&key) {
                                    let _ = cache.compare_and_set(&key, &found, value, None);
                                }
                            }
                            8 => {
                                let loaded = cache
                                    .get_or_insert_with(key, || {
                                        loads.fetch_add(1, Ordering::Relaxed);
                                        async move {
                                            tokio::task::yield_now().await;
                                            value
                                        }
                                    })
                                    .await;
                                assert_eq!(loaded / 1_000, key);
                            }
                            _ => match op % 97 {
                                0 => cache.retain(|key, _| key % 3 != 0),
                                1 => {
                                    cache.sweep_expired();
                                }
                                _ => {
                                    let _ = cache.compare_and_remove(&key, &value);
                                }
                            },
                        }
                        if op % 16 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        tokio::time::timeout(DEADLINE, async {
            for task in tasks {
                task.await.expect("a stress task panicked");
            }
        })
        .await
        .expect("stress tasks did not finish: deadlock?");
    });
    let stats = cache.stats();
    assert!(cache.len() as u64 <= CAPACITY);
    assert!(stats.weight <= CAPACITY);
    assert_adds_up(&stats);
    assert!(stats.hits + stats.misses > 0);
    for entry in cache.iter() {
        assert_eq!(entry.value / 1_000, entry.key);
    }
    assert!(loads.load(Ordering::Relaxed) > 0);
}

#[test]
fn compare_and_set_counters_lose_no_update() {
    const KEYS: u64 = 4;
    let cache: ShardedCache<u64, u64> = ShardedCache::builder().shards(2).max_capacity(64).build();
    (0..KEYS).for_each(|key| cache.insert(key, 0));
    let successes = Arc::new(AtomicU64::new(0));
    runtime().block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (cache, successes) = (cache.clone(), Arc::clone(&successes));
                tokio::spawn(async move {
                    let mut rng = Rng(task + 7);
                    for op in 0..OPS_PER_TASK {
                        let key = rng.below(KEYS);
                        let current = cache.get(&key).expect("counters are never evicted");
                        if cache.compare_and_set(&key, &current, current + 1, None) == Ok(true) {
                            successes.fetch_add(1, Ordering::Relaxed);
                        }
                        if op % 8 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        tokio::time::timeout(DEADLINE, async {
            for task in tasks {
                task.await.expect("a counter task panicked");
            }
        })
        .await
        .expect("counter tasks did not finish: deadlock?");
    });
    let total: u64 = (0..KEYS).map(|key| cache.get(&key).unwrap()).sum();
    assert_eq!(
        total,
        successes.load(Ordering::Relaxed),
        "an update was lost"
    );
    assert!(total > 0);
}

#[test]
fn store_claims_have_one_winner_per_round() {
    const ROUNDS: u64 = 1_000;
    const CLAIMANTS: u64 = 8;
    let store = Arc::new(ShardedCache::builder().max_capacity(ROUNDS).build_store());
    let wins = runtime().block_on(async {
        let tasks: Vec<_> = (0..CLAIMANTS)
            .map(|claimant| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut won = Vec::new();
                    for round in 0..ROUNDS {
                        let key = Bytes::from(format!("round-{round}"));
                        let claim = Bytes::from(claimant.to_string());
                        if store
                            .insert_if_absent(&key, claim, None)
                            .await
                            .unwrap()
                            .is_none()
                        {
                            won.push(round);
                        }
                        if round % 8 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                    won
                })
            })
            .collect();
        tokio::time::timeout(DEADLINE, async {
            let mut wins = Vec::new();
            for task in tasks {
                wins.extend(task.await.expect("a claimant panicked"));
            }
            wins
        })
        .await
        .expect("claimants did not finish: deadlock?")
    });
    let mut rounds = wins.clone();
    rounds.sort_unstable();
    rounds.dedup();
    assert_eq!(wins.len() as u64, ROUNDS, "exactly one winner per round");
    assert_eq!(rounds.len() as u64, ROUNDS);
    assert_eq!(store.cache().len() as u64, ROUNDS);
}

#[test]
fn a_byte_bounded_store_never_overbooks_its_capacity() {
    const CAPACITY: u64 = 2_048;
    let store = Arc::new(
        ShardedCache::builder()
            .shards(4)
            .max_capacity(CAPACITY)
            .weigher(|key: &Bytes, value: &Bytes| (key.len() + value.len()) as u32)
            .clock(SystemClock::ticking(Duration::from_millis(1)))
            .build_store(),
    );
    let refusals = Arc::new(AtomicU64::new(0));
    runtime().block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (store, refusals) = (Arc::clone(&store), Arc::clone(&refusals));
                tokio::spawn(async move {
                    let mut rng = Rng(0xC0FF_EE00 + task);
                    for op in 0..OPS_PER_TASK {
                        let key = Bytes::from(format!("k{}", rng.below(48)));
                        let value = Bytes::from(vec![b'v'; rng.below(200) as usize]);
                        let ttl =
                            (rng.below(2) == 0).then(|| Duration::from_millis(1 + rng.below(3)));
                        let outcome = match rng.below(4) {
                            0 => store.set(&key, value, ttl).await.map(drop),
                            1 => store.insert_if_absent(&key, value, ttl).await.map(drop),
                            2 => match store.get(&key).await.unwrap() {
                                Some(current) => store
                                    .compare_and_set(&key, &current, value, ttl)
                                    .await
                                    .map(drop),
                                None => Ok(()),
                            },
                            _ => store.delete(&key).await.map(drop),
                        };
                        match outcome {
                            Ok(()) => {}
                            Err(cache_core::StoreError::CapacityExceeded { .. }) => {
                                refusals.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(other) => panic!("unexpected store error: {other}"),
                        }
                        if op % 8 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        tokio::time::timeout(DEADLINE, async {
            for task in tasks {
                task.await.expect("a store task panicked");
            }
        })
        .await
        .expect("store tasks did not finish: deadlock?");
    });
    // Summed shard by shard, so only meaningful once the writers are done.
    assert!(store.cache().weighted_size() <= CAPACITY);
    let live: u64 = store
        .iter()
        .map(|entry| (entry.key.len() + entry.value.len()) as u64)
        .sum();
    assert!(live <= CAPACITY);
    assert!(
        refusals.load(Ordering::Relaxed) > 0,
        "the workload never filled the store"
    );
    assert_adds_up(&store.cache().stats());
    // Every reservation was given back: an empty store takes a record of exactly its capacity.
    store.cache().clear();
    let whole = Bytes::from(vec![0; CAPACITY as usize - 1]);
    runtime()
        .block_on(store.set(&Bytes::from_static(b"k"), whole, None))
        .expect("capacity leaked by the concurrent writes");
}

#[test]
fn concurrent_reads_of_one_shard_are_all_counted() {
    const THREADS: u64 = 4;
    const READS_PER_THREAD: u64 = 50_000;
    let cache: ShardedCache<u64, u64> = ShardedCache::builder().shards(1).max_capacity(64).build();
    // Even keys are present and odd ones never are, so every read's outcome is known.
    (0..8).step_by(2).for_each(|key| cache.insert(key, key));
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let cache = &cache;
            scope.spawn(move || {
                for read in 0..READS_PER_THREAD {
                    let key = (read + thread) % 8;
                    assert_eq!(cache.get(&key), (key % 2 == 0).then_some(key));
                }
            });
        }
    });
    let stats = cache.stats();
    let reads = THREADS * READS_PER_THREAD;
    assert_eq!(
        (stats.hits, stats.misses),
        (reads / 2, reads / 2),
        "{stats:?}"
    );
}

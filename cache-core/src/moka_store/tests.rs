//! MokaStore's own guarantees beyond the conformance suite: the capacity ledger under moka's real
//! expiry and under concurrent writers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::MokaStore;
use crate::{InputError, Store, StoreError};

fn key(name: impl std::fmt::Display) -> Bytes {
    Bytes::from(name.to_string())
}

fn records(store: &MokaStore) -> u64 {
    store.ledger.as_ref().expect("a bounded store").records()
}

#[tokio::test]
async fn overwriting_an_expired_unreclaimed_record_counts_once() {
    let store = MokaStore::builder().max_capacity(2).build();
    let short = Some(Duration::from_millis(20));
    store.set(&key("a"), Bytes::new(), short).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    // moka hides "a" but has not reclaimed it: this write claims a slot and replaces the hidden
    // record, whose slot the ledger must give back.
    store.set(&key("a"), Bytes::new(), None).await.unwrap();
    assert_eq!(records(&store), 1);
    store.set(&key("b"), Bytes::new(), None).await.unwrap();
    let full = store.set(&key("c"), Bytes::new(), None).await;
    assert!(matches!(
        full,
        Err(StoreError::CapacityExceeded { capacity: 2 })
    ));
}

#[tokio::test]
async fn rejected_and_failed_writes_take_no_slot() {
    let store = MokaStore::builder()
        .max_capacity(1)
        .max_value_size(4)
        .build();
    let too_large = store
        .set(&key("k"), Bytes::from_static(b"12345"), None)
        .await;
    assert!(matches!(
        too_large,
        Err(StoreError::InvalidInput(InputError::ValueTooLarge {
            size: 5,
            limit: 4
        }))
    ));
    assert!(
        !store
            .compare_and_set(&key("k"), b"", Bytes::new(), None)
            .await
            .unwrap()
    );
    assert!(!store.delete(&key("k")).await.unwrap());
    assert_eq!(records(&store), 0);
    store.set(&key("k"), Bytes::new(), None).await.unwrap();
    assert!(store.compare_and_delete(&key("k"), b"").await.unwrap());
    assert_eq!(records(&store), 0, "compare_and_delete gives the slot back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_fill_exactly_the_capacity() {
    const CAPACITY: u64 = 200;
    let store = Arc::new(MokaStore::builder().max_capacity(CAPACITY).build());
    let writers = (0..4).map(|writer| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut stored = Vec::new();
            for index in 0..CAPACITY {
                let name = key(format!("{writer}-{index}"));
                match store.insert_if_absent(&name, name.clone(), None).await {
                    Ok(None) => stored.push(name),
                    Ok(Some(_)) => unreachable!("every writer uses its own keys"),
                    Err(StoreError::CapacityExceeded { .. }) => {}
                    Err(other) => panic!("unexpected failure: {other}"),
                }
            }
            stored
        })
    });
    let mut stored = Vec::new();
    for writer in writers {
        stored.extend(writer.await.expect("writer panicked"));
    }
    assert_eq!(
        stored.len() as u64,
        CAPACITY,
        "admitted more or fewer than the capacity"
    );
    for name in &stored {
        assert_eq!(
            store.get(name).await.unwrap().as_ref(),
            Some(name),
            "a live record vanished"
        );
    }
    assert_eq!(records(&store), CAPACITY);
}

#[tokio::test]
async fn a_century_long_ttl_is_kept_as_none() {
    let store = MokaStore::builder().build();
    let ttl = Some(Duration::from_secs(u64::MAX));
    store
        .set(&key("k"), Bytes::from_static(b"v"), ttl)
        .await
        .unwrap();
    let record = store.cache.get(&key("k")).await.expect("stored");
    assert_eq!(record.ttl, None);
}

#[test]
#[should_panic(expected = "at least one record")]
fn a_zero_capacity_is_refused() {
    let _ = MokaStore::builder().max_capacity(0).build();
}

#[test]
fn debug_shows_the_configuration() {
    let store = MokaStore::builder().max_capacity(7).max_key_size(9).build();
    let shown = format!("{store:?}");
    assert!(shown.contains("max_capacity: Some(7)") && shown.contains("max_key_size: 9"));
}

/// Random writes with short TTLs from four tasks over a few keys of a small store: the ledger never
/// counts past the capacity, and once every TTL has passed and moka has reclaimed the expired
/// records, it counts exactly the records still readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_matches_the_records_after_a_concurrent_storm() {
    const CAPACITY: u64 = 32;
    const KEYS: u64 = 64;
    const OPERATIONS: u64 = 2_500;
    let store = Arc::new(MokaStore::builder().max_capacity(CAPACITY).build());
    let tasks = (1..=4_u64).map(|seed| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut random = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for _ in 0..OPERATIONS {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                let name = key(random % KEYS);
                let value = Bytes::copy_from_slice(&(random % 3).to_be_bytes());
                let ttl = (random % 4 != 0).then(|| Duration::from_millis(random % 20 + 1));
                let outcome = match random % 5 {
                    0 => store.set(&name, value, ttl).await.map(drop),
                    1 => store.insert_if_absent(&name, value, ttl).await.map(drop),
                    2 => store
                        .compare_and_set(&name, &value, value.clone(), ttl)
                        .await
                        .map(drop),
                    3 => store.compare_and_delete(&name, &value).await.map(drop),
                    _ => store.delete(&name).await.map(drop),
                };
                match outcome {
                    Ok(()) | Err(StoreError::CapacityExceeded { .. }) => {}
                    Err(other) => panic!("unexpected failure: {other}"),
                }
                assert!(records(&store) <= CAPACITY, "counted past the capacity");
            }
        })
    });
    for task in tasks {
        task.await.expect("a task panicked");
    }
    // Past every TTL and at least one tick of moka's timer wheel (about 1.07 s).
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    store.cache.run_pending_tasks().await;
    let mut readable = 0;
    for index in 0..KEYS {
        readable += u64::from(store.get(&key(index)).await.unwrap().is_some());
    }
    assert_eq!(records(&store), readable);
}

//! Atomicity under real contention: two OS threads meet before every round and race on one key.

use std::sync::Arc;

use bytes::Bytes;

use super::super::Backend;
use super::super::keys::Keys;
use super::super::race::{CONTENDERS, race};
use super::super::verdict::ok;
use crate::StoreError;

/// Contended rounds per atomicity case.
pub const CONTENDED_ROUNDS: u64 = 10_000;
/// Increments per contender in the lost-update case.
const INCREMENTS: u64 = 2_000;

/// Each round, both threads `insert_if_absent` one fresh key: exactly one inserts, and the other
/// is handed the winner's value, which is what the key then holds.
pub async fn insert_if_absent_has_one_winner(backend: &Backend) {
    let (store, keys) = (
        backend.checked(),
        Keys::new("insert_if_absent_has_one_winner"),
    );
    let contended = (Arc::clone(backend.store()), keys.clone());
    let outcomes = race(CONTENDED_ROUNDS, move |contender, round| {
        let (store, key) = (Arc::clone(&contended.0), contended.1.nth(round));
        async move { store.insert_if_absent(&key, claim(contender), None).await }
    })
    .await;
    for (round, outcome) in (0..).zip(outcomes) {
        let outcome = outcome.map(|result| ok(result, "insert_if_absent"));
        let winner = insert_winner(&outcome).unwrap_or_else(|why| panic!("round {round}: {why}"));
        let held = store.get(&keys.nth(round)).await;
        assert_eq!(
            held,
            Some(claim(winner)),
            "round {round}: the loser's value"
        );
    }
}

/// Each round, both threads `compare_and_set` one key from the same expected value: exactly one
/// swaps, and the key ends at the round count.
pub async fn compare_and_set_has_one_winner(backend: &Backend) {
    let (store, key) = (
        backend.checked(),
        Keys::new("compare_and_set_has_one_winner").key("k"),
    );
    store.set(&key, counter(0), None).await;
    let contended = (Arc::clone(backend.store()), key.clone());
    let outcomes = race(CONTENDED_ROUNDS, move |_, round| {
        let (store, key) = (Arc::clone(&contended.0), contended.1.clone());
        async move {
            let (expected, new) = (counter(round), counter(round + 1));
            store.compare_and_set(&key, &expected, new, None).await
        }
    })
    .await;
    for (round, outcome) in (0..).zip(outcomes) {
        let outcome = outcome.map(|result| ok(result, "compare_and_set"));
        single_winner(&outcome).unwrap_or_else(|why| panic!("round {round}: {why}"));
    }
    assert_eq!(store.get(&key).await, Some(counter(CONTENDED_ROUNDS)));
}

/// Each round, both threads `compare_and_delete` one live record: exactly one deletes it.
pub async fn compare_and_delete_has_one_winner(backend: &Backend) {
    let (store, keys) = (
        backend.checked(),
        Keys::new("compare_and_delete_has_one_winner"),
    );
    for round in 0..CONTENDED_ROUNDS {
        store.set(&keys.nth(round), counter(round), None).await;
    }
    let contended = (Arc::clone(backend.store()), keys.clone());
    let outcomes = race(CONTENDED_ROUNDS, move |_, round| {
        let (store, key) = (Arc::clone(&contended.0), contended.1.nth(round));
        async move { store.compare_and_delete(&key, &counter(round)).await }
    })
    .await;
    for (round, outcome) in (0..).zip(outcomes) {
        let outcome = outcome.map(|result| ok(result, "compare_and_delete"));
        single_winner(&outcome).unwrap_or_else(|why| panic!("round {round}: {why}"));
        assert_eq!(
            store.get(&keys.nth(round)).await,
            None,
            "round {round}: still there"
        );
    }
}

/// Each round, one thread `set`s a key while the other `compare_and_set`s it from its previous
/// value: in either order the `set` lands last or the swap fails, so the key always ends with the
/// `set`'s value. A swap that read before the `set` and wrote after it would lose that write.
pub async fn set_is_never_lost_to_a_racing_compare_and_set(backend: &Backend) {
    let store = backend.checked();
    let keys = Keys::new("set_is_never_lost_to_a_racing_compare_and_set");
    for round in 0..CONTENDED_ROUNDS {
        store.set(&keys.nth(round), counter(0), None).await;
    }
    let contended = (Arc::clone(backend.store()), keys.clone());
    let outcomes = race(CONTENDED_ROUNDS, move |contender, round| {
        let (store, key) = (Arc::clone(&contended.0), contended.1.nth(round));
        async move {
            if contender == 0 {
                store.set(&key, counter(1), None).await.map(|()| true)
            } else {
                store
                    .compare_and_set(&key, &counter(0), counter(2), None)
                    .await
            }
        }
    })
    .await;
    for (round, [set, swap]) in (0..).zip(outcomes) {
        ok(set, "set");
        ok(swap, "compare_and_set");
        let held = store.get(&keys.nth(round)).await;
        assert_eq!(
            held,
            Some(counter(1)),
            "round {round}: the set was lost to the swap"
        );
    }
}

/// Both threads increment one counter by read-then-`compare_and_set` loops: with an atomic
/// compare-and-set no increment is lost, so the counter ends at the total.
pub async fn compare_and_set_loses_no_update(backend: &Backend) {
    let (store, key) = (
        backend.checked(),
        Keys::new("compare_and_set_loses_no_update").key("n"),
    );
    store.set(&key, counter(0), None).await;
    let contended = (Arc::clone(backend.store()), key.clone());
    let failures = race(INCREMENTS, move |_, _| {
        let (store, key) = (Arc::clone(&contended.0), contended.1.clone());
        async move { increment(&*store, &key).await }
    })
    .await;
    if let Some(why) = failures.into_iter().flatten().find_map(Result::err) {
        panic!("increment failed: {why}");
    }
    let total = store.get(&key).await.and_then(|value| read_counter(&value));
    let expected = INCREMENTS * CONTENDERS as u64;
    assert_eq!(total, Some(expected), "increments were lost");
}

/// Adds one to the counter under `key`; a failure is returned, not raised, so that the other
/// contender is not left waiting.
async fn increment(store: &dyn crate::Store, key: &Bytes) -> Result<(), String> {
    let failed = |err: StoreError| err.to_string();
    loop {
        let current = store.get(key).await.map_err(failed)?;
        let current = current.ok_or("the counter vanished during the race")?;
        let read = read_counter(&current).ok_or("the counter is not 8 bytes long")?;
        let next = counter(read + 1);
        if store
            .compare_and_set(key, &current, next, None)
            .await
            .map_err(failed)?
        {
            return Ok(());
        }
    }
}

/// The value contender `contender` tries to insert.
fn claim(contender: usize) -> Bytes {
    Bytes::from(format!("claimed-by-{contender}"))
}

fn counter(value: u64) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

fn read_counter(value: &[u8]) -> Option<u64> {
    value.try_into().ok().map(u64::from_be_bytes)
}

/// Which contender won an `insert_if_absent` round: the one that got `None`, while the other got
/// the winner's value.
fn insert_winner(outcome: &[Option<Bytes>; CONTENDERS]) -> Result<usize, String> {
    match outcome {
        [None, Some(seen)] if *seen == claim(0) => Ok(0),
        [Some(seen), None] if *seen == claim(1) => Ok(1),
        [None, None] => Err("both contenders inserted".into()),
        other => Err(format!(
            "no single winner handing over its value: {other:?}"
        )),
    }
}

/// Exactly one contender succeeded.
fn single_winner(outcome: &[bool; CONTENDERS]) -> Result<(), String> {
    match outcome.iter().filter(|&&won| won).count() {
        1 => Ok(()),
        winners => Err(format!(
            "{winners} contenders succeeded, expected exactly one"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_winner_is_the_one_that_found_nothing() {
        assert_eq!(insert_winner(&[None, Some(claim(0))]), Ok(0));
        assert_eq!(insert_winner(&[Some(claim(1)), None]), Ok(1));
    }

    #[test]
    fn insert_rounds_without_exactly_one_winner_are_caught() {
        assert!(insert_winner(&[None, None]).is_err(), "both won");
        assert!(
            insert_winner(&[Some(claim(1)), Some(claim(0))]).is_err(),
            "nobody won"
        );
        assert!(
            insert_winner(&[None, Some(claim(1))]).is_err(),
            "loser saw its own value"
        );
    }

    #[test]
    fn single_winner_counts_successes() {
        assert!(single_winner(&[true, false]).is_ok());
        assert!(single_winner(&[false, true]).is_ok());
        assert!(single_winner(&[true, true]).is_err());
        assert!(single_winner(&[false, false]).is_err());
    }

    #[test]
    fn counters_round_trip() {
        assert_eq!(read_counter(&counter(40_001)), Some(40_001));
        assert_eq!(read_counter(b"short"), None);
    }
}

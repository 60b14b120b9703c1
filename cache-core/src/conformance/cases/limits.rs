//! Sizes: large values, the configured key and value limits, and what happens past them.

use bytes::Bytes;

use super::super::Backend;
use super::super::keys::Keys;
use super::super::verdict::rejected;
use crate::{InputError, StoreError};

/// The size of the large-value case when the backend states no smaller value limit.
const LARGE_VALUE: usize = 1 << 20;
/// The key size checked on a backend that states no key limit.
const UNLIMITED_KEY: usize = 64 << 10;
/// The value size checked on a backend that states no value limit.
const UNLIMITED_VALUE: usize = 4 << 20;
/// Values up to this size are written at the limit; beyond it only the rejection is checked.
const WRITTEN_AT_LIMIT: usize = 16 << 20;

/// A 1 MiB value (or the value limit, when smaller) round-trips byte for byte through every
/// primitive.
pub async fn large_value_round_trips(backend: &Backend) {
    let (store, key) = (
        backend.checked(),
        Keys::new("large_value_round_trips").key("k"),
    );
    let size = backend
        .value_limit()
        .map_or(LARGE_VALUE, |limit| limit.min(LARGE_VALUE));
    let (first, second) = (patterned(size, 7), patterned(size, 11));
    // Compared with `assert!`, not `assert_eq!`, so that a failure does not print a mebibyte.
    store.set(&key, first.clone(), None).await;
    assert!(
        store.get(&key).await == Some(first.clone()),
        "get altered the value"
    );
    let existing = store.insert_if_absent(&key, Bytes::new(), None).await;
    assert!(
        existing == Some(first.clone()),
        "insert_if_absent altered the value"
    );
    assert!(
        store
            .compare_and_set(&key, &first, second.clone(), None)
            .await,
        "cas"
    );
    assert!(
        store.get(&key).await == Some(second.clone()),
        "cas stored an altered value"
    );
    assert!(store.compare_and_delete(&key, &second).await, "cad");
}

/// A key one byte over the stated limit is rejected by every write, naming its size and the
/// limit, and nothing is written; a key at the limit works. Without a stated limit, a 64 KiB key
/// works.
pub async fn oversized_key_is_rejected(backend: &Backend) {
    let (store, raw) = (backend.checked(), backend.store());
    let keys = Keys::new("oversized_key_is_rejected");
    let Some(limit) = backend.key_limit() else {
        let key = keys.of_len(UNLIMITED_KEY);
        store.set(&key, "v", None).await;
        assert_eq!(store.get(&key).await, Some(Bytes::from("v")));
        return;
    };
    let at_limit = keys.of_len(limit);
    store.set(&at_limit, "v", None).await;
    assert_eq!(store.get(&at_limit).await, Some(Bytes::from("v")));

    let (over, value) = (keys.of_len(limit + 1), Bytes::from("v"));
    let too_large = InputError::KeyTooLarge {
        size: limit + 1,
        limit,
    };
    rejected(raw.set(&over, value.clone(), None).await, &too_large, "set");
    let inserted = raw.insert_if_absent(&over, value.clone(), None).await;
    rejected(inserted, &too_large, "insert_if_absent");
    let swapped = raw.compare_and_set(&over, b"v", value, None).await;
    rejected(swapped, &too_large, "compare_and_set");
    match raw.get(&over).await {
        Ok(None) | Err(StoreError::InvalidInput(InputError::KeyTooLarge { .. })) => {}
        other => panic!("get of an oversized key: expected nothing or KeyTooLarge, got {other:?}"),
    }
}

/// A value one byte over the stated limit is rejected by every write, naming its size and the
/// limit, and nothing is written; a value at the limit works. Without a stated limit, a 4 MiB
/// value works.
pub async fn oversized_value_is_rejected(backend: &Backend) {
    let (store, raw) = (backend.checked(), backend.store());
    let keys = Keys::new("oversized_value_is_rejected");
    let Some(limit) = backend.value_limit() else {
        let (key, value) = (keys.key("unlimited"), patterned(UNLIMITED_VALUE, 3));
        store.set(&key, value.clone(), None).await;
        assert!(
            store.get(&key).await == Some(value),
            "get altered a 4 MiB value"
        );
        return;
    };
    if limit <= WRITTEN_AT_LIMIT {
        let (key, value) = (keys.key("at-limit"), patterned(limit, 5));
        store.set(&key, value.clone(), None).await;
        assert!(
            store.get(&key).await == Some(value),
            "get altered a value at the limit"
        );
    }

    let (key, held, over) = (
        keys.key("k"),
        keys.key("held"),
        Bytes::from(vec![0; limit + 1]),
    );
    let too_large = InputError::ValueTooLarge {
        size: limit + 1,
        limit,
    };
    rejected(raw.set(&key, over.clone(), None).await, &too_large, "set");
    let inserted = raw.insert_if_absent(&key, over.clone(), None).await;
    rejected(inserted, &too_large, "insert_if_absent");
    assert_eq!(store.get(&key).await, None, "a rejected write wrote");
    store.set(&held, "small", None).await;
    let swapped = raw.compare_and_set(&held, b"small", over, None).await;
    rejected(swapped, &too_large, "compare_and_set");
    assert_eq!(
        store.get(&held).await,
        Some(Bytes::from("small")),
        "a rejected cas wrote"
    );
}

/// `size` bytes of a pattern that shifts with `seed`, so a truncated, shifted or swapped value
/// does not compare equal by accident.
fn patterned(size: usize, seed: u8) -> Bytes {
    (0..size).map(|i| (i % 251) as u8 ^ seed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_differ_by_seed_and_are_not_periodic_in_bytes() {
        assert_eq!(patterned(1000, 7).len(), 1000);
        assert_ne!(patterned(1000, 7), patterned(1000, 11));
        let value = patterned(600, 0);
        assert_ne!(
            value[..256],
            value[256..512],
            "a one-byte shift must change the value"
        );
    }
}

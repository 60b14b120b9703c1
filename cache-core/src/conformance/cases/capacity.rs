//! No eviction: a full store refuses new records instead of dropping live ones.

use bytes::Bytes;

use super::super::Backend;
use super::super::keys::Keys;
use super::super::verdict::full;

/// How many records a case writes to a backend that states no capacity.
const UNBOUNDED_FILL: u64 = 1_000;

/// At its stated capacity a store refuses new keys with `CapacityExceeded`, keeps every live
/// record, still serves writes to existing keys, and takes a new key once one is deleted.
/// Without a stated capacity, a thousand records all stay readable.
pub async fn full_store_refuses_new_records(backend: &Backend) {
    let (store, raw) = (backend.checked(), backend.store());
    let keys = Keys::new("full_store_refuses_new_records");
    let capacity = backend.capacity().unwrap_or(UNBOUNDED_FILL);
    for index in 0..capacity {
        store.set(&keys.nth(index), record(index), None).await;
    }
    let mut kept = 0..capacity;
    if backend.capacity().is_some() {
        let (first, extra) = (keys.nth(0), keys.key("extra"));
        full(raw.set(&extra, record(0), None).await, "set of a new key");
        let inserted = raw.insert_if_absent(&extra, record(0), None).await;
        full(inserted, "insert_if_absent of a new key");
        assert_eq!(store.get(&extra).await, None, "a refused write wrote");

        store.set(&first, record(1), None).await;
        let existing = store.insert_if_absent(&first, record(2), None).await;
        assert_eq!(
            existing,
            Some(record(1)),
            "insert_if_absent of an existing key at capacity"
        );
        assert!(
            store
                .compare_and_set(&first, record(1), record(0), None)
                .await,
            "cas at capacity"
        );
        assert!(store.delete(&first).await, "delete at capacity");
        store.set(&extra, record(0), None).await;
        full(
            raw.set(&first, record(0), None).await,
            "set of the deleted key, new again",
        );
        assert_eq!(store.get(&extra).await, Some(record(0)));
        kept = 1..capacity;
    }
    for index in kept {
        let held = store.get(&keys.nth(index)).await;
        assert_eq!(
            held,
            Some(record(index)),
            "record {index} of {capacity} was evicted"
        );
    }
}

/// Expired records make room: a store filled with expiring records takes as many new ones once
/// they have expired. Without a stated capacity, the expired records are simply gone.
pub async fn expired_records_make_room(backend: &Backend) {
    let (store, keys) = (backend.checked(), Keys::new("expired_records_make_room"));
    let unit = backend.time().ttl_unit();
    let capacity = backend.capacity().unwrap_or(UNBOUNDED_FILL);
    for index in 0..capacity {
        let key = keys.key(&format!("old-{index}"));
        store.set(&key, record(index), Some(unit)).await;
    }
    backend.time().advance(unit * 2).await;
    for index in 0..capacity {
        store
            .set(&keys.key(&format!("new-{index}")), record(index), None)
            .await;
        let expired = store.get(&keys.key(&format!("old-{index}"))).await;
        assert_eq!(expired, None, "an expired record was returned");
    }
}

/// The small value of the capacity cases: eight bytes.
fn record(index: u64) -> Bytes {
    Bytes::copy_from_slice(&index.to_be_bytes())
}

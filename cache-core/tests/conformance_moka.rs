//! The `Store` conformance suite, run against `MokaStore`.

use std::time::Duration;

use cache_core::MokaStore;
use cache_core::conformance::{Backend, RealTime};

const MAX_KEY_SIZE: usize = 512;
const MAX_VALUE_SIZE: usize = 2 << 20;
const CAPACITY: u64 = 300;

/// An unbounded store with input limits, on 50 ms real TTLs.
async fn unbounded() -> Backend {
    let store = MokaStore::builder()
        .max_key_size(MAX_KEY_SIZE)
        .max_value_size(MAX_VALUE_SIZE)
        .build();
    Backend::new(store, RealTime::new(Duration::from_millis(50)))
        .max_key_size(MAX_KEY_SIZE)
        .max_value_size(MAX_VALUE_SIZE)
}

/// A store bounded to [`CAPACITY`] records, on TTLs of one second: moka reclaims expired records
/// on its timer wheel's tick of about a second, so the capacity case that waits for expired
/// records to make room waits two.
async fn bounded() -> Backend {
    let store = MokaStore::builder().max_capacity(CAPACITY).build();
    Backend::new(store, RealTime::new(Duration::from_secs(1))).max_capacity(CAPACITY)
}

cache_core::store_conformance!(unbounded(), capacity: bounded());

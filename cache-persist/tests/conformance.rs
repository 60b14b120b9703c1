//! The cache-core conformance suite against a `DurableStore` on a real directory.

use cache_core::MockClock;
use cache_core::conformance::{Backend, Guarded};
use cache_persist::{DurableConfig, DurableStore};

const MAX_KEY: u64 = 512;
const MAX_VALUE: u64 = 4 << 20;
const CAPACITY: u64 = 1_000;

/// A fresh store in a fresh directory, holding at most `capacity` records.
fn backend(capacity: u64) -> Backend {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let clock = MockClock::new();
    let mut config = DurableConfig::new(dir.path());
    config.max_key_size = bytesize::ByteSize::b(MAX_KEY);
    config.max_value_size = bytesize::ByteSize::b(MAX_VALUE);
    config.max_entries = capacity;
    config.snapshot_interval = None;
    let store = DurableStore::builder(config)
        .clock(clock.clone())
        .open()
        .expect("the store opens");
    // The directory is removed when the case drops the store.
    Backend::new(Guarded::new(store, dir), clock)
        .max_key_size(MAX_KEY as usize)
        .max_value_size(MAX_VALUE as usize)
}

/// Roomy enough for the race cases, which write 10,000 keys each.
async fn roomy_backend() -> Backend {
    backend(1_000_000)
}

/// Small and stated, for the capacity cases.
async fn bounded_backend() -> Backend {
    backend(CAPACITY).max_capacity(CAPACITY)
}

mod durable_conformance {
    cache_core::store_conformance!(super::roomy_backend(), capacity: super::bounded_backend());
}

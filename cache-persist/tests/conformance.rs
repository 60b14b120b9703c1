//! The cache-core conformance suite against a `DurableStore` on a real directory.

use std::time::Duration;

use bytes::Bytes;
use cache_core::conformance::Backend;
use cache_core::{MockClock, Store, StoreFuture};
use cache_persist::{DurableConfig, DurableStore};
use tempfile::TempDir;

const MAX_KEY: u64 = 512;
const MAX_VALUE: u64 = 4 << 20;
const CAPACITY: u64 = 1_000;

/// The store and the directory it lives in, removed when the case ends.
#[derive(Debug)]
struct InTempDir {
    store: DurableStore,
    _dir: TempDir,
}

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
    Backend::new(InTempDir { store, _dir: dir }, clock)
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

impl Store for InTempDir {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        self.store.get(key)
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        self.store.set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        self.store.delete(key)
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        self.store.insert_if_absent(key, value, ttl)
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.store.compare_and_set(key, expected, new, ttl)
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        self.store.compare_and_delete(key, expected)
    }
}

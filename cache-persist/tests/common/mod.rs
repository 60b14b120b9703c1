//! Helpers shared by the integration tests: a runtime, a model of the store, and a comparison.

#![allow(dead_code, reason = "each test binary uses its own subset")]

use std::collections::BTreeMap;
use std::future::Future;

use bytes::Bytes;
use cache_core::Store;
use cache_persist::DurableStore;

/// Runs `future` to completion on a fresh current-thread runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// What the store should hold: key to (value, expiry in clock nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Model {
    pub(crate) entries: BTreeMap<Bytes, (Bytes, Option<u64>)>,
}

impl Model {
    /// The live value under `key` at `now`.
    pub(crate) fn get(&self, key: &[u8], now: u64) -> Option<Bytes> {
        let (value, expires_at) = self.entries.get(key)?;
        expires_at.is_none_or(|at| at > now).then(|| value.clone())
    }

    pub(crate) fn set(&mut self, key: &Bytes, value: &Bytes, expires_at: Option<u64>) {
        self.entries
            .insert(key.clone(), (value.clone(), expires_at));
    }

    pub(crate) fn delete(&mut self, key: &[u8]) {
        self.entries.remove(key);
    }
}

/// Asserts that `store` answers like `model` at `now` for every key in `keys`.
pub(crate) async fn assert_matches(store: &DurableStore, model: &Model, keys: &[Bytes], now: u64) {
    for key in keys {
        let found = store.get(key).await.expect("get");
        assert_eq!(found, model.get(key, now), "key {key:?}");
    }
}

/// `n` distinct keys.
pub(crate) fn keys(n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(format!("key-{i:04}"))).collect()
}

/// A value of about 100 bytes that names `seed`.
pub(crate) fn value(seed: u64) -> Bytes {
    Bytes::from(format!("{seed:0>100}"))
}

//! A store that keeps what it runs on alive, for harnesses that hold only the store.

use std::time::Duration;

use bytes::Bytes;

use crate::{Store, StoreFuture};

/// A store together with a guard it depends on (the temporary directory of a durable store, the
/// test server of a remote one), dropped with it. Every operation goes to the store.
///
/// [`store_conformance!`](crate::store_conformance) keeps only the store of a
/// [`Backend`](super::Backend); wrapping the store in a `Guarded` keeps its directory or server
/// for exactly as long.
///
/// ```
/// use cache_core::conformance::Guarded;
/// use cache_core::{ShardedCache, Store};
///
/// # cache_core::conformance::block_on(async {
/// let guard = String::from("what the store needs");
/// let store = Guarded::new(ShardedCache::builder().max_capacity(10).build_store(), guard);
/// let key = bytes::Bytes::from_static(b"k");
/// store.set(&key, bytes::Bytes::from_static(b"v"), None).await.unwrap();
/// assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Guarded<S, G> {
    store: S,
    guard: G,
}

impl<S, G> Guarded<S, G> {
    /// `store`, keeping `guard` alive as long as it lives.
    pub fn new(store: S, guard: G) -> Self {
        Self { store, guard }
    }

    /// The store itself.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The guard.
    pub fn guard(&self) -> &G {
        &self.guard
    }
}

impl<S: Store, G: Send + Sync + std::fmt::Debug> Store for Guarded<S, G> {
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

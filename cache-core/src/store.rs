//! The storage contract: opaque byte keys and values with an optional TTL, and the few atomic
//! primitives that correctness above needs.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;

use crate::StoreError;

/// The future every [`Store`] method returns: boxed, so that `Arc<dyn Store>` works.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A key-value store with expiry and atomic primitives, implemented by every storage backend.
///
/// Keys and values are opaque bytes. A `ttl` of `None` means the record never expires; a record
/// whose TTL has elapsed is never returned. On a remote backend each method is one round trip.
///
/// A `Store` never drops a live record to make room: at capacity a write fails with
/// [`StoreError::CapacityExceeded`], because a record lost early (an idempotency claim, say) is a
/// correctness bug above, not a cache miss.
///
/// The trait is dyn-compatible: the application picks a backend and hands it to the layers above
/// as an `Arc<dyn Store>`.
///
/// # Example
///
/// A claim taken by insert-if-absent, completed by compare-and-set:
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use bytes::Bytes;
/// use cache_core::{ShardedCache, Store};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cache = ShardedCache::builder().max_capacity(10_000);
/// let store: Arc<dyn Store> = Arc::new(cache.build_store());
/// let key = Bytes::from_static(b"order-42");
/// let claim = Bytes::from_static(b"in-flight:token-7");
/// match store.insert_if_absent(&key, claim.clone(), Some(Duration::from_secs(60))).await? {
///     None => {
///         // We own the key: do the work, then record its outcome against our claim.
///         let done = Bytes::from_static(b"completed:201");
///         let a_day = Some(Duration::from_secs(86_400));
///         let swapped = store.compare_and_set(&key, &claim, done, a_day).await?;
///         assert!(swapped);
///     }
///     Some(existing) => println!("someone else holds it: {existing:?}"),
/// }
/// // A second claim finds the completed record.
/// let again = store.insert_if_absent(&key, claim, Some(Duration::from_secs(60))).await?;
/// assert_eq!(again.as_deref(), Some(&b"completed:201"[..]));
/// # Ok::<(), cache_core::StoreError>(())
/// # }).unwrap();
/// ```
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The live value under `key`, if any.
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>>;

    /// Stores `value` under `key`, replacing any previous record and its TTL.
    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()>;

    /// Removes the record under `key`; true when a live record was removed.
    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool>;

    /// Stores `value` only when no live record exists under `key`.
    ///
    /// Returns `None` when this call inserted, or `Some(existing)` with the live value that
    /// prevented it (Redis 7: `SET key value NX GET`).
    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>>;

    /// Replaces the live value under `key` with `new` (and its TTL with `ttl`) only when it equals
    /// `expected`; true when it did.
    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool>;

    /// Removes the record under `key` only when its live value equals `expected`; true when it did.
    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool>;
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        (**self).get(key)
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        (**self).set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        (**self).delete(key)
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        (**self).insert_if_absent(key, value, ttl)
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        (**self).compare_and_set(key, expected, new, ttl)
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        (**self).compare_and_delete(key, expected)
    }
}

/// One of the [`Store`] operations, by the name backends give it in the `op` label of their
/// `cache.operation.duration` metric.
///
/// ```
/// use cache_core::StoreOp;
///
/// assert_eq!(StoreOp::InsertIfAbsent.as_str(), "insert_if_absent");
/// assert_eq!(StoreOp::ALL[StoreOp::Delete.index()], StoreOp::Delete);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreOp {
    /// [`Store::get`].
    Get,
    /// [`Store::set`].
    Set,
    /// [`Store::delete`].
    Delete,
    /// [`Store::insert_if_absent`].
    InsertIfAbsent,
    /// [`Store::compare_and_set`].
    CompareAndSet,
    /// [`Store::compare_and_delete`].
    CompareAndDelete,
}

impl StoreOp {
    /// How many operations there are.
    pub const COUNT: usize = 6;

    /// Every operation, each at its [`StoreOp::index`].
    pub const ALL: [StoreOp; StoreOp::COUNT] = [
        StoreOp::Get,
        StoreOp::Set,
        StoreOp::Delete,
        StoreOp::InsertIfAbsent,
        StoreOp::CompareAndSet,
        StoreOp::CompareAndDelete,
    ];

    /// The method's name: `get`, `set`, `delete`, `insert_if_absent`, `compare_and_set` or
    /// `compare_and_delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Set => "set",
            StoreOp::Delete => "delete",
            StoreOp::InsertIfAbsent => "insert_if_absent",
            StoreOp::CompareAndSet => "compare_and_set",
            StoreOp::CompareAndDelete => "compare_and_delete",
        }
    }

    /// A position below [`StoreOp::COUNT`], distinct for each operation: an index into a
    /// per-operation table, such as one of metric handles.
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod store_op_tests {
    use super::StoreOp;

    #[test]
    fn every_operation_sits_at_its_index_under_a_distinct_name() {
        for (index, op) in StoreOp::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), index);
        }
        let names: std::collections::HashSet<_> = StoreOp::ALL.map(StoreOp::as_str).into();
        assert_eq!(names.len(), StoreOp::COUNT);
    }
}

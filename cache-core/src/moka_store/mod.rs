//! [`MokaStore`]: a [`Store`] over [`moka::future::Cache`] (feature `moka`).

mod builder;
mod config;
mod instrument;
mod ledger;
mod record;
#[cfg(test)]
mod tests;

use std::fmt;
use std::future::{Future, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};

pub use builder::MokaStoreBuilder;
pub use config::MokaStoreConfig;
use ledger::{Ledger, Slot};
use record::{LONGEST_TTL, Record, RecordTtl};

use crate::{InputError, Store, StoreError, StoreFuture, StoreOp};

/// A [`Store`] over [`moka::future::Cache`]: in-process, concurrent, with a TTL per record.
///
/// Each write runs under moka's per-key computation (`and_compute_with`), which moka runs one at
/// a time per key, so insert-if-absent and the compare primitives are atomic, and so is their
/// interleaving with `set` and `delete`.
///
/// # No eviction
///
/// moka evicts at its capacity, and a `Store` must not drop a live record, so the moka cache
/// underneath is built unbounded and never evicts. A capacity set with
/// [`MokaStoreBuilder::max_capacity`] is enforced by the store itself: a write of a new key that
/// would go past it fails with [`StoreError::CapacityExceeded`]. Where moka sets limits:
///
/// - moka hides a record the moment its TTL passes but reclaims it on its timer wheel, which
///   advances in ticks of about 1.07 seconds. Until then an expired record still takes a slot. A
///   full store has moka reclaim what is due before refusing a write, so the slots of expired
///   records are free again one to two seconds after they expired, not at once.
/// - A write cancelled (its future dropped) while moka applies it keeps its slot counted even when
///   moka did not store the record: the count errs towards refusing writes, never towards holding
///   more records than the capacity.
/// - The capacity counts records, not bytes: the memory a full store holds is bounded by the
///   capacity times the key and value limits.
///
/// TTLs longer than a hundred years are kept as no TTL.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use bytes::Bytes;
/// use cache_core::{MokaStore, Store, StoreError};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MokaStore::builder().max_capacity(1).max_key_size(64).build();
/// let key = Bytes::from_static(b"order-42");
/// let claim = Bytes::from_static(b"in-flight");
/// let lease = Some(Duration::from_secs(30));
/// assert_eq!(store.insert_if_absent(&key, claim.clone(), lease).await?, None);
/// assert!(store.compare_and_set(&key, &claim, Bytes::from_static(b"done"), None).await?);
///
/// // Full: a new key is refused rather than evicting "order-42".
/// let refused = store.set(&Bytes::from_static(b"order-43"), Bytes::new(), None).await;
/// assert!(matches!(refused, Err(StoreError::CapacityExceeded { capacity: 1 })));
/// assert_eq!(store.get(&key).await?, Some(Bytes::from_static(b"done")));
/// # Ok::<(), StoreError>(())
/// # }).unwrap();
/// ```
pub struct MokaStore {
    cache: Cache<Bytes, Record>,
    /// Present when the store has a capacity.
    ledger: Option<Arc<Ledger>>,
    /// The id of the next record written to a bounded store.
    next_id: AtomicU64,
    max_key_size: usize,
    max_value_size: usize,
    instruments: instrument::Instruments,
}

/// What a write does with the live value it finds.
enum Intent {
    Put(Bytes, Option<Duration>),
    Remove,
    Keep,
}

impl MokaStore {
    /// A builder, with the defaults of [`MokaStoreBuilder`].
    pub fn builder() -> MokaStoreBuilder {
        MokaStoreBuilder::default()
    }

    fn from_builder(builder: MokaStoreBuilder) -> Self {
        let ledger = builder
            .max_capacity
            .map(|capacity| Arc::new(Ledger::new(capacity)));
        let mut cache = Cache::builder().expire_after(RecordTtl);
        if let Some(ledger) = &ledger {
            let ledger = Arc::clone(ledger);
            cache = cache.eviction_listener(move |key: Arc<Bytes>, old: Record, cause| {
                ledger.on_removal(&key, &old, cause);
            });
        }
        Self {
            cache: cache.build(),
            ledger,
            next_id: AtomicU64::new(0),
            max_key_size: builder.max_key_size,
            max_value_size: builder.max_value_size,
            instruments: instrument::Instruments::default(),
        }
    }

    /// Applies `decide` to the live value under `key`, as one computation of moka's on that key.
    ///
    /// A put of a new key into a full store reclaims expired records and tries once more.
    async fn compute(
        &self,
        key: &Bytes,
        decide: impl Fn(Option<&Bytes>) -> Intent,
    ) -> Result<CompResult<Bytes, Record>, StoreError> {
        let mut reclaimed = false;
        loop {
            let slot = self
                .ledger
                .as_deref()
                .map(|ledger| ledger.slot(key, self.next_id.fetch_add(1, Ordering::Relaxed)));
            let id = slot.as_ref().map_or(0, Slot::id);
            // The capacity that refused this write's new record, if one did.
            let mut refused = None;
            let outcome = self
                .cache
                .entry(key.clone())
                .and_compute_with(|entry| {
                    let live = entry.as_ref().map(|entry| &entry.value().value);
                    let op = match (decide(live), &slot) {
                        (Intent::Keep, _) => Op::Nop,
                        (Intent::Remove, _) => Op::Remove,
                        (Intent::Put(..), Some(slot)) if live.is_none() && !slot.claim() => {
                            refused = Some(slot.capacity());
                            Op::Nop
                        }
                        (Intent::Put(value, ttl), _) => Op::Put(Record { value, ttl, id }),
                    };
                    ready(op)
                })
                .await;
            drop(slot);
            let Some(capacity) = refused else {
                return Ok(outcome);
            };
            if reclaimed {
                return Err(StoreError::CapacityExceeded { capacity });
            }
            self.reclaim_expired().await;
            reclaimed = true;
        }
    }

    /// Has moka reclaim the expired records that are due, as long as that frees slots.
    async fn reclaim_expired(&self) {
        let Some(ledger) = &self.ledger else { return };
        loop {
            let before = ledger.records();
            self.cache.run_pending_tasks().await;
            if ledger.records() >= before || ledger.records() < ledger.capacity() {
                return;
            }
        }
    }

    /// Runs one operation, instrumented.
    fn timed<'a, T: 'a>(
        &'a self,
        op: StoreOp,
        work: impl Future<Output = T> + Send + 'a,
    ) -> impl Future<Output = T> + Send + 'a {
        self.instruments
            .timed(op, || self.cache.entry_count(), work)
    }

    fn check_key(&self, key: &[u8]) -> Result<(), InputError> {
        match key.len() {
            size if size > self.max_key_size => Err(InputError::KeyTooLarge {
                size,
                limit: self.max_key_size,
            }),
            _ => Ok(()),
        }
    }

    fn check_write(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<Option<Duration>, InputError> {
        self.check_key(key)?;
        if value.len() > self.max_value_size {
            return Err(InputError::ValueTooLarge {
                size: value.len(),
                limit: self.max_value_size,
            });
        }
        match ttl {
            Some(ttl) if ttl.is_zero() => Err(InputError::ZeroTtl),
            Some(ttl) if ttl > LONGEST_TTL => Ok(None),
            ttl => Ok(ttl),
        }
    }
}

impl fmt::Debug for MokaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MokaStore")
            .field("max_capacity", &self.ledger.as_ref().map(|l| l.capacity()))
            .field("records", &self.ledger.as_ref().map(|l| l.records()))
            .field("max_key_size", &self.max_key_size)
            .field("max_value_size", &self.max_value_size)
            .finish_non_exhaustive()
    }
}

impl Store for MokaStore {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(self.timed(StoreOp::Get, async move {
            self.check_key(key)?;
            Ok(self.cache.get(key).await.map(|record| record.value))
        }))
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.timed(StoreOp::Set, async move {
            let ttl = self.check_write(key, &value, ttl)?;
            self.compute(key, |_| Intent::Put(value.clone(), ttl))
                .await?;
            Ok(())
        }))
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        Box::pin(self.timed(StoreOp::Delete, async move {
            self.check_key(key)?;
            let outcome = self
                .compute(key, |live| live.map_or(Intent::Keep, |_| Intent::Remove))
                .await?;
            Ok(matches!(outcome, CompResult::Removed(_)))
        }))
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(self.timed(StoreOp::InsertIfAbsent, async move {
            let ttl = self.check_write(key, &value, ttl)?;
            let decide = |live: Option<&Bytes>| match live {
                Some(_) => Intent::Keep,
                None => Intent::Put(value.clone(), ttl),
            };
            match self.compute(key, decide).await? {
                CompResult::Unchanged(existing) => Ok(Some(existing.into_value().value)),
                _ => Ok(None),
            }
        }))
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.timed(StoreOp::CompareAndSet, async move {
            let ttl = self.check_write(key, &new, ttl)?;
            let decide = |live: Option<&Bytes>| match live {
                Some(live) if live == expected => Intent::Put(new.clone(), ttl),
                _ => Intent::Keep,
            };
            let outcome = self.compute(key, decide).await?;
            Ok(matches!(outcome, CompResult::ReplacedWith(_)))
        }))
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.timed(StoreOp::CompareAndDelete, async move {
            self.check_key(key)?;
            let decide = |live: Option<&Bytes>| match live {
                Some(live) if live == expected => Intent::Remove,
                _ => Intent::Keep,
            };
            let outcome = self.compute(key, decide).await?;
            Ok(matches!(outcome, CompResult::Removed(_)))
        }))
    }
}

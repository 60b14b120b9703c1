//! The backend under test: a store, how time passes for it, and the limits it was built with.

use std::sync::Arc;

use super::TimeControl;
use super::checked::Checked;
use crate::Store;

/// A store handed to the conformance cases, with what the cases need to know about it.
///
/// The limits are hints the backend states about its own configuration: a case checks a limit
/// only when it is stated, and otherwise checks that the store behaves as unlimited.
///
/// ```
/// use cache_core::MockClock;
/// use cache_core::conformance::Backend;
/// # use std::sync::Arc;
/// # fn store(_clock: MockClock) -> Arc<dyn cache_core::Store> { unimplemented!() }
/// # fn _example() {
/// let clock = MockClock::new();
/// let backend = Backend::new(store(clock.clone()), clock)
///     .max_key_size(512)
///     .max_value_size(1 << 20)
///     .max_capacity(1_000);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Backend {
    store: Arc<dyn Store>,
    time: Arc<dyn TimeControl>,
    max_key_size: Option<usize>,
    max_value_size: Option<usize>,
    max_capacity: Option<u64>,
}

impl Backend {
    /// `store`, whose records expire as `time` passes. Every case gets a fresh `Backend`.
    pub fn new(store: impl Store + 'static, time: impl TimeControl + 'static) -> Self {
        Self {
            store: Arc::new(store),
            time: Arc::new(time),
            max_key_size: None,
            max_value_size: None,
            max_capacity: None,
        }
    }

    /// States the longest key the store accepts, in bytes; longer keys must be rejected with
    /// [`InputError::KeyTooLarge`](crate::InputError::KeyTooLarge).
    #[must_use]
    pub fn max_key_size(mut self, bytes: usize) -> Self {
        self.max_key_size = Some(bytes);
        self
    }

    /// States the longest value the store accepts, in bytes; longer values must be rejected with
    /// [`InputError::ValueTooLarge`](crate::InputError::ValueTooLarge).
    #[must_use]
    pub fn max_value_size(mut self, bytes: usize) -> Self {
        self.max_value_size = Some(bytes);
        self
    }

    /// States that the store, empty when handed over, holds exactly `records` of the small records
    /// the capacity cases write (keys under 64 bytes, 8-byte values), and refuses the next one with
    /// [`StoreError::CapacityExceeded`](crate::StoreError::CapacityExceeded). Keep it small (a few
    /// thousand at most): the cases fill the store and read every record back.
    ///
    /// Only the capacity cases ([`full_store_refuses_new_records`](super::full_store_refuses_new_records)
    /// and [`expired_records_make_room`](super::expired_records_make_room)) respect it: give such a
    /// backend to [`store_conformance!`](crate::store_conformance) as its `capacity:` backend, and
    /// an unbounded or large one for the other cases, since the atomicity cases alone write
    /// 10,000 keys each.
    #[must_use]
    pub fn max_capacity(mut self, records: u64) -> Self {
        self.max_capacity = Some(records);
        self
    }

    /// The store under test.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How time passes for the store.
    pub fn time(&self) -> &dyn TimeControl {
        &*self.time
    }

    /// The store, with errors turned into panics.
    pub(crate) fn checked(&self) -> Checked<'_> {
        Checked(&*self.store)
    }

    pub(crate) fn key_limit(&self) -> Option<usize> {
        self.max_key_size
    }

    pub(crate) fn value_limit(&self) -> Option<usize> {
        self.max_value_size
    }

    pub(crate) fn capacity(&self) -> Option<u64> {
        self.max_capacity
    }
}

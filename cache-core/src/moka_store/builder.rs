//! Configuration of a [`MokaStore`](super::MokaStore).

use super::MokaStore;
use crate::{DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_VALUE_SIZE};

/// Builds a [`MokaStore`]: unbounded by default, with the same input limits as
/// [`CacheStore`](crate::CacheStore): [`DEFAULT_MAX_KEY_SIZE`] and [`DEFAULT_MAX_VALUE_SIZE`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MokaStoreBuilder {
    pub(super) max_capacity: Option<u64>,
    pub(super) max_key_size: usize,
    pub(super) max_value_size: usize,
}

impl Default for MokaStoreBuilder {
    fn default() -> Self {
        Self {
            max_capacity: None,
            max_key_size: DEFAULT_MAX_KEY_SIZE,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
        }
    }
}

impl MokaStoreBuilder {
    /// Holds at most `records` records; a write of a new key beyond that fails with
    /// [`StoreError::CapacityExceeded`](crate::StoreError::CapacityExceeded) instead of evicting.
    ///
    /// Expired records count until moka reclaims them (see [`MokaStore`]'s docs).
    pub fn max_capacity(mut self, records: u64) -> Self {
        self.max_capacity = Some(records);
        self
    }

    /// Rejects keys longer than `bytes` with
    /// [`InputError::KeyTooLarge`](crate::InputError::KeyTooLarge).
    pub fn max_key_size(mut self, bytes: usize) -> Self {
        self.max_key_size = bytes;
        self
    }

    /// Rejects values longer than `bytes` with
    /// [`InputError::ValueTooLarge`](crate::InputError::ValueTooLarge).
    pub fn max_value_size(mut self, bytes: usize) -> Self {
        self.max_value_size = bytes;
        self
    }

    /// The store.
    ///
    /// # Panics
    ///
    /// When the capacity is zero: such a store could hold nothing.
    pub fn build(self) -> MokaStore {
        assert!(
            self.max_capacity != Some(0),
            "MokaStore max_capacity must be at least one record"
        );
        MokaStore::from_builder(self)
    }
}

//! The one way a write to a rejecting cache can fail.

/// A write refused because live entries already use the whole capacity of a cache in
/// [`EvictionMode::Reject`](super::EvictionMode::Reject). Nothing was written.
///
/// A cache in the default evicting mode never returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cache is at its capacity of {capacity} and does not evict live entries")]
pub struct CapacityExceeded {
    /// The capacity, in entries or in weight units when a weigher is set.
    pub capacity: u64,
}

impl From<CapacityExceeded> for crate::StoreError {
    fn from(full: CapacityExceeded) -> Self {
        crate::StoreError::CapacityExceeded {
            capacity: full.capacity,
        }
    }
}

//! What the examples' handlers do: count the payments they charge.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The payments made so far. Clones share the count.
///
/// ```
/// let ledger = example_support::Ledger::default();
/// assert_eq!(ledger.charge(), 1);
/// assert_eq!(ledger.clone().charge(), 2);
/// assert_eq!(ledger.payments(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ledger(Arc<AtomicU64>);

impl Ledger {
    /// How many times a handler has charged.
    pub fn payments(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Charges one payment, returning its number (1 for the first).
    pub fn charge(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

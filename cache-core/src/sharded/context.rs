//! What a shard operation needs besides its arguments: the time, the idle limit, and where the
//! capacity is accounted.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Clock;

/// A clock reading taken at most once per operation, and only if an entry can expire.
///
/// The cache hands it the `Arc<dyn Clock>` it holds, not the clock behind it: finding the value
/// inside an `Arc` of a trait object takes a few instructions (its offset depends on the
/// vtable's alignment) that every read and write would pay, while the clock is read only when
/// an entry can expire; `Arc<C>` is a [`Clock`] itself.
pub(crate) struct Now<'a> {
    clock: &'a dyn Clock,
    reading: Cell<Option<u64>>,
}

impl<'a> Now<'a> {
    #[inline]
    pub(crate) fn new(clock: &'a dyn Clock) -> Self {
        Self {
            clock,
            reading: Cell::new(None),
        }
    }

    /// The coarse time ([`Clock::recent`]), read on first use.
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        match self.reading.get() {
            Some(now) => now,
            None => {
                let now = self.clock.recent();
                self.reading.set(Some(now));
                now
            }
        }
    }
}

/// Where a write's weight is charged.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Budget<'a> {
    /// Each shard owns a slice of the capacity and evicts to stay within it.
    Evict,
    /// One capacity shared by every shard; a write that does not fit is refused.
    Reject { used: &'a AtomicU64, capacity: u64 },
}

impl Budget<'_> {
    /// Takes `weight` from the shared capacity; always succeeds when evicting.
    pub(crate) fn try_reserve(&self, weight: u64) -> bool {
        match self {
            Budget::Evict => true,
            Budget::Reject { used, capacity } => used
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                    current
                        .checked_add(weight)
                        .filter(|total| total <= capacity)
                })
                .is_ok(),
        }
    }

    /// Gives `weight` back to the shared capacity.
    pub(crate) fn release(&self, weight: u64) {
        if let Budget::Reject { used, .. } = self {
            used.fetch_sub(weight, Ordering::AcqRel);
        }
    }
}

/// Everything a shard write needs to know beyond its arguments.
pub(crate) struct WriteContext<'a> {
    pub(crate) now: Now<'a>,
    pub(crate) time_to_idle: u64,
    pub(crate) budget: Budget<'a>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::MockClock;

    #[test]
    fn the_clock_is_read_once() {
        let clock = MockClock::new();
        let now = Now::new(&clock);
        let first = now.get();
        clock.advance(Duration::from_secs(1));
        assert_eq!(now.get(), first);
    }

    #[test]
    fn reject_budget_never_goes_over() {
        let used = AtomicU64::new(0);
        let budget = Budget::Reject {
            used: &used,
            capacity: 3,
        };
        assert!(budget.try_reserve(2));
        assert!(!budget.try_reserve(2));
        assert!(budget.try_reserve(1));
        budget.release(3);
        assert_eq!(used.load(Ordering::Relaxed), 0);
        assert!(Budget::Evict.try_reserve(u64::MAX));
    }
}

//! Hot-shard warnings: a rate-limited `tracing` warning when one shard takes more than twice the
//! mean share of the operations since the previous check.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::stats::hot_shards;

/// Checks shard shares at most once per interval and warns about the hot ones.
#[derive(Debug)]
pub(crate) struct HotShardMonitor {
    interval: u64,
    next_check: AtomicU64,
    previous: Mutex<Vec<u64>>,
}

impl HotShardMonitor {
    pub(crate) fn new(interval: u64, shards: usize) -> Self {
        Self {
            interval,
            next_check: AtomicU64::new(0),
            previous: Mutex::new(vec![0; shards]),
        }
    }

    /// When a check is due at `now`, compares the operations counted per shard (cumulative,
    /// from `operations`) against the previous check's, warns, and returns the hot shards.
    pub(crate) fn check(
        &self,
        now: u64,
        operations: impl FnOnce() -> Vec<u64>,
    ) -> Option<Vec<usize>> {
        let due = self.next_check.load(Ordering::Relaxed);
        if now < due
            || self
                .next_check
                .compare_exchange(
                    due,
                    now.saturating_add(self.interval),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return None;
        }
        let current = operations();
        let window: Vec<u64> = {
            let mut previous = self.previous.lock();
            let window = current
                .iter()
                .zip(previous.iter())
                .map(|(now, before)| now.saturating_sub(*before))
                .collect();
            *previous = current;
            window
        };
        let hot = hot_shards(&window);
        if !hot.is_empty() {
            let total: u64 = window.iter().sum();
            let busiest = hot.iter().map(|&shard| window[shard]).max().unwrap_or(0);
            tracing::warn!(
                hot_shards = ?hot,
                shards = window.len(),
                busiest_share = busiest as f64 / total as f64,
                "cache shards take more than twice the mean share of operations: a few hot keys \
                 dominate; more shards will not help, a local copy of those keys may"
            );
        }
        Some(hot)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::Once;

    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    use super::*;

    thread_local! {
        /// The warnings emitted on this thread.
        static WARNINGS: Cell<usize> = const { Cell::new(0) };
    }

    /// Counts each thread's warnings. Installed once, as the global subscriber: a subscriber set
    /// for one test's scope makes `tracing` recompute callsite interest when the scope starts and
    /// ends, and a test running beside that can miss its own events.
    struct Warnings;

    impl Subscriber for Warnings {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            if *event.metadata().level() == Level::WARN {
                WARNINGS.with(|warnings| warnings.set(warnings.get() + 1));
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    /// The warnings `work` emits on this thread.
    fn warnings_of(work: impl FnOnce()) -> usize {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(Warnings).expect("the only global subscriber");
        });
        let before = WARNINGS.with(Cell::get);
        work();
        WARNINGS.with(Cell::get) - before
    }

    #[test]
    fn a_hot_shard_is_warned_about_once_per_interval() {
        let monitor = HotShardMonitor::new(1_000, 4);
        let warnings = warnings_of(|| {
            monitor.check(0, || vec![10_000, 10, 10, 10]);
            monitor.check(10, || vec![20_000, 20, 20, 20]);
            monitor.check(1_000, || vec![10_100, 1_010, 1_010, 1_010]);
        });
        assert_eq!(warnings, 1);
    }

    #[test]
    fn checks_are_rate_limited_and_windowed() {
        let monitor = HotShardMonitor::new(1_000, 4);
        assert_eq!(
            monitor.check(0, || vec![4000, 1000, 1000, 1000]),
            Some(vec![0])
        );
        assert_eq!(monitor.check(500, || unreachable!("not due yet")), None);
        // The window since the previous check is balanced, although the totals are not.
        assert_eq!(
            monitor.check(1_000, || vec![5000, 2000, 2000, 2000]),
            Some(vec![])
        );
        assert_eq!(
            monitor.check(2_000, || vec![5000, 2000, 9000, 2000]),
            Some(vec![2])
        );
    }
}

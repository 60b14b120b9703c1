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
    use std::sync::atomic::AtomicUsize;

    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    use super::*;

    /// Counts the warnings emitted while it is the default subscriber.
    #[derive(Debug, Default)]
    struct Warnings(AtomicUsize);

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
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn a_hot_shard_is_warned_about_once_per_interval() {
        let warnings = std::sync::Arc::new(Warnings::default());
        let monitor = HotShardMonitor::new(1_000, 4);
        tracing::subscriber::with_default(std::sync::Arc::clone(&warnings), || {
            monitor.check(0, || vec![10_000, 10, 10, 10]);
            monitor.check(10, || vec![20_000, 20, 20, 20]);
            monitor.check(1_000, || vec![10_100, 1_010, 1_010, 1_010]);
        });
        assert_eq!(warnings.0.load(Ordering::SeqCst), 1);
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

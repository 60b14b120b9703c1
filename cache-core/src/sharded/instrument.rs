//! `metrics` instrumentation (feature `metrics`): operation and lock-wait durations, entries,
//! approximate memory and evictions, labelled `store = "sharded"`. Without the feature every
//! function here compiles to nothing.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::stats::RemovalCounts;
use crate::Clock;

#[cfg(feature = "metrics")]
const STORE: &str = "sharded";

/// Takes the read lock, recording how long it waited when it had to.
#[cfg(feature = "metrics")]
pub(crate) fn read<'a, T>(lock: &'a RwLock<T>, clock: &dyn Clock) -> RwLockReadGuard<'a, T> {
    lock.try_read().unwrap_or_else(|| {
        let start = clock.now();
        let guard = lock.read();
        lock_wait(start, clock);
        guard
    })
}

/// Takes the read lock.
#[cfg(not(feature = "metrics"))]
pub(crate) fn read<'a, T>(lock: &'a RwLock<T>, _clock: &dyn Clock) -> RwLockReadGuard<'a, T> {
    lock.read()
}

/// Takes the write lock, recording how long it waited when it had to.
#[cfg(feature = "metrics")]
pub(crate) fn write<'a, T>(lock: &'a RwLock<T>, clock: &dyn Clock) -> RwLockWriteGuard<'a, T> {
    lock.try_write().unwrap_or_else(|| {
        let start = clock.now();
        let guard = lock.write();
        lock_wait(start, clock);
        guard
    })
}

/// Takes the write lock.
#[cfg(not(feature = "metrics"))]
pub(crate) fn write<'a, T>(lock: &'a RwLock<T>, _clock: &dyn Clock) -> RwLockWriteGuard<'a, T> {
    lock.write()
}

#[cfg(feature = "metrics")]
fn lock_wait(start: u64, clock: &dyn Clock) {
    metrics::histogram!("cache.lock.wait.duration", "store" => STORE)
        .record(seconds_since(start, clock));
}

#[cfg(feature = "metrics")]
fn seconds_since(start: u64, clock: &dyn Clock) -> f64 {
    clock.now().saturating_sub(start) as f64 / 1e9
}

/// Times one public operation, recording `cache.operation.duration` when dropped.
#[derive(Debug)]
pub(crate) struct OperationTimer<'a> {
    #[cfg(feature = "metrics")]
    op: &'static str,
    #[cfg(feature = "metrics")]
    start: u64,
    #[cfg(feature = "metrics")]
    clock: &'a dyn Clock,
    #[cfg(not(feature = "metrics"))]
    clock: std::marker::PhantomData<&'a dyn Clock>,
}

impl<'a> OperationTimer<'a> {
    pub(crate) fn start(op: &'static str, clock: &'a dyn Clock) -> Self {
        #[cfg(feature = "metrics")]
        {
            Self {
                op,
                start: clock.now(),
                clock,
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = (op, clock);
            Self {
                clock: std::marker::PhantomData,
            }
        }
    }
}

#[cfg(feature = "metrics")]
impl Drop for OperationTimer<'_> {
    fn drop(&mut self) {
        metrics::histogram!("cache.operation.duration", "store" => STORE, "op" => self.op)
            .record(seconds_since(self.start, self.clock));
    }
}

/// Records a write's effect: the change in entries and approximate memory, and its removals.
pub(crate) fn write_effect(entries_delta: i64, bytes_per_entry: usize, removals: &RemovalCounts) {
    #[cfg(feature = "metrics")]
    {
        if entries_delta != 0 {
            let delta = entries_delta as f64;
            metrics::gauge!("cache.entries", "store" => STORE).increment(delta);
            metrics::gauge!("cache.memory.bytes", "store" => STORE)
                .increment(delta * bytes_per_entry as f64);
        }
        for (cause, count) in [
            ("expired", removals.expired),
            ("size", removals.size),
            ("replaced", removals.replaced),
            ("removed", removals.removed),
        ] {
            if count > 0 {
                metrics::counter!("cache.evictions", "store" => STORE, "cause" => cause)
                    .increment(count);
            }
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (entries_delta, bytes_per_entry, removals);
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use metrics_util::debugging::DebuggingRecorder;

    use crate::ShardedCache;

    #[test]
    fn operations_report_the_agreed_metric_names() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let cache: ShardedCache<u32, u32> =
                ShardedCache::builder().shards(1).max_capacity(1).build();
            cache.insert(1, 1);
            cache.insert(2, 2);
            cache.get(&2);
        });
        let seen: Vec<(String, Vec<String>)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, ..)| {
                let key = key.key();
                let labels = key.labels().map(|l| format!("{}={}", l.key(), l.value()));
                (key.name().to_owned(), labels.collect())
            })
            .collect();
        let has = |name: &str, label: &str| {
            seen.iter()
                .any(|(n, labels)| n == name && labels.iter().any(|l| l == label))
        };
        assert!(has("cache.operation.duration", "op=get"), "{seen:?}");
        assert!(has("cache.operation.duration", "op=insert"), "{seen:?}");
        assert!(has("cache.entries", "store=sharded"), "{seen:?}");
        assert!(has("cache.memory.bytes", "store=sharded"), "{seen:?}");
        assert!(has("cache.evictions", "cause=size"), "{seen:?}");
    }
}

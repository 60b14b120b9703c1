//! `metrics` instrumentation (feature `metrics`): `cache.operation.duration` per operation and the
//! `cache.entries` gauge, labelled `store = "moka"`. Without the feature, only the work is done.

use std::future::Future;

#[cfg(feature = "metrics")]
const STORE: &str = "moka";

/// Runs `work`, recording its duration as `op` and the entries moka reports after it.
#[cfg(feature = "metrics")]
pub(super) async fn timed<T>(
    op: &'static str,
    entries: impl FnOnce() -> u64 + Send,
    work: impl Future<Output = T>,
) -> T {
    let start = std::time::Instant::now();
    let output = work.await;
    metrics::histogram!("cache.operation.duration", "store" => STORE, "op" => op)
        .record(start.elapsed().as_secs_f64());
    metrics::gauge!("cache.entries", "store" => STORE).set(entries() as f64);
    output
}

/// Runs `work`.
#[cfg(not(feature = "metrics"))]
pub(super) async fn timed<T>(
    _op: &'static str,
    _entries: impl FnOnce() -> u64 + Send,
    work: impl Future<Output = T>,
) -> T {
    work.await
}

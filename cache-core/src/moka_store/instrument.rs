//! `metrics` instrumentation (feature `metrics`): `cache.operation.duration` per operation and the
//! `cache.entries` gauge, labelled `store = "moka"`. Each store registers its handles once, on
//! first use: registering looks the key up in the recorder's registry, which costs more than the
//! operation. Without the feature, only the work is done.

use std::future::Future;

use crate::StoreOp;

/// One store's metric handles, each registered with the installed recorder on its first use.
#[derive(Debug, Default)]
pub(super) struct Instruments {
    #[cfg(feature = "metrics")]
    operations: [std::sync::OnceLock<metrics::Histogram>; StoreOp::COUNT],
    #[cfg(feature = "metrics")]
    entries: std::sync::OnceLock<metrics::Gauge>,
}

#[cfg(feature = "metrics")]
const STORE: &str = "moka";

impl Instruments {
    /// Runs `work`, recording its duration as `op` and the entries moka reports after it.
    #[cfg(feature = "metrics")]
    pub(super) async fn timed<T>(
        &self,
        op: StoreOp,
        entries: impl FnOnce() -> u64 + Send,
        work: impl Future<Output = T>,
    ) -> T {
        let start = std::time::Instant::now();
        let output = work.await;
        let name = "cache.operation.duration";
        self.operations[op.index()]
            .get_or_init(|| metrics::histogram!(name, "store" => STORE, "op" => op.as_str()))
            .record(start.elapsed().as_secs_f64());
        self.entries
            .get_or_init(|| metrics::gauge!("cache.entries", "store" => STORE))
            .set(entries() as f64);
        output
    }

    /// Runs `work`.
    #[cfg(not(feature = "metrics"))]
    pub(super) async fn timed<T>(
        &self,
        _op: StoreOp,
        _entries: impl FnOnce() -> u64 + Send,
        work: impl Future<Output = T>,
    ) -> T {
        work.await
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use bytes::Bytes;

    use crate::recorded::metrics_of;
    use crate::{MokaStore, Store};

    #[test]
    fn operations_are_timed_under_their_names_and_entries_reported() {
        let store = MokaStore::builder().build();
        let key = Bytes::from_static(b"k");
        let seen = metrics_of(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                store
                    .set(&key, Bytes::from_static(b"v"), None)
                    .await
                    .unwrap();
                store.get(&key).await.unwrap();
                store.get(&key).await.unwrap();
            });
        });
        let labels = |pairs: &[&str]| pairs.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(
            seen,
            [
                (String::from("cache.entries"), labels(&["store=moka"])),
                (
                    String::from("cache.operation.duration"),
                    labels(&["store=moka", "op=get"])
                ),
                (
                    String::from("cache.operation.duration"),
                    labels(&["store=moka", "op=set"])
                ),
            ]
        );
    }
}

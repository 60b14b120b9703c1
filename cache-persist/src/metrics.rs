//! Instrumentation through the `metrics` facade (feature `metrics`), labelled `store="durable"`;
//! without the feature every function here compiles to nothing.

#[cfg(feature = "metrics")]
mod enabled {
    use std::sync::OnceLock;
    use std::time::Duration;

    use cache_core::StoreOp;
    use metrics::Histogram;

    const STORE: (&str, &str) = ("store", "durable");

    /// The log thread's histograms, each registered on its first use: the thread records into
    /// them on every group commit.
    #[derive(Debug, Default)]
    pub(crate) struct LogMetrics {
        append: OnceLock<Histogram>,
        fsync: OnceLock<Histogram>,
        group: OnceLock<Histogram>,
    }

    impl LogMetrics {
        pub(crate) fn new() -> Self {
            Self::default()
        }

        /// One batch written to the log file (`write`, before any fsync).
        pub(crate) fn append(&self, took: Duration) {
            self.append
                .get_or_init(|| metrics::histogram!("wal.append.duration", &[STORE]))
                .record(took.as_secs_f64());
        }

        /// One `fdatasync` of the log, and the number of records it made durable.
        pub(crate) fn fsync(&self, took: Duration, group: u64) {
            self.fsync
                .get_or_init(|| metrics::histogram!("wal.fsync.duration", &[STORE]))
                .record(took.as_secs_f64());
            self.group
                .get_or_init(|| metrics::histogram!("wal.group.size", &[STORE]))
                .record(group as f64);
        }
    }

    /// One snapshot written, renamed and synced.
    pub(crate) fn snapshot(took: Duration, bytes: u64) {
        metrics::histogram!("snapshot.duration", &[STORE]).record(took.as_secs_f64());
        metrics::gauge!("snapshot.size.bytes", &[STORE]).set(bytes as f64);
    }

    /// One recovery, and the snapshot entries and log records it applied.
    pub(crate) fn recovery(took: Duration, records: u64) {
        metrics::histogram!("recovery.duration", &[STORE]).record(took.as_secs_f64());
        metrics::counter!("recovery.records", &[STORE]).increment(records);
    }

    /// The `cache.operation.duration` histogram of each operation, registered once per store, on
    /// its first use: registering looks the key up in the recorder's registry, which with the
    /// Prometheus exporter costs more than an in-memory `get` itself.
    #[derive(Debug)]
    pub(crate) struct Operations([OnceLock<Histogram>; StoreOp::COUNT]);

    impl Operations {
        pub(crate) fn new() -> Self {
            Self(Default::default())
        }
    }

    /// Times one store operation from start to acknowledgement.
    #[derive(Debug)]
    pub(crate) struct OperationTimer {
        op: StoreOp,
        started: std::time::Instant,
    }

    impl OperationTimer {
        pub(crate) fn start(op: StoreOp) -> Self {
            Self {
                op,
                started: std::time::Instant::now(),
            }
        }

        /// Records the operation's duration in its histogram among `operations`.
        pub(crate) fn finish(self, operations: &Operations) {
            let op = self.op.as_str();
            operations.0[self.op.index()]
                .get_or_init(|| {
                    metrics::histogram!("cache.operation.duration", &[STORE, ("op", op)])
                })
                .record(self.started.elapsed().as_secs_f64());
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod enabled {
    use std::time::Duration;

    /// Nothing to register without the feature.
    #[derive(Debug)]
    pub(crate) struct LogMetrics;

    impl LogMetrics {
        pub(crate) fn new() -> Self {
            Self
        }

        pub(crate) fn append(&self, _: Duration) {}
        pub(crate) fn fsync(&self, _: Duration, _: u64) {}
    }

    pub(crate) fn snapshot(_: Duration, _: u64) {}
    pub(crate) fn recovery(_: Duration, _: u64) {}

    /// Nothing to register without the feature.
    #[derive(Debug)]
    pub(crate) struct Operations;

    impl Operations {
        pub(crate) fn new() -> Self {
            Self
        }
    }

    /// Reads no clock without the feature.
    #[derive(Debug)]
    pub(crate) struct OperationTimer;

    impl OperationTimer {
        pub(crate) fn start(_: cache_core::StoreOp) -> Self {
            Self
        }

        pub(crate) fn finish(self, _: &Operations) {}
    }
}

pub(crate) use enabled::*;

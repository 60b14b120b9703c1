//! Instrumentation through the `metrics` facade (feature `metrics`), labelled `store="durable"`;
//! without the feature every function here compiles to nothing.

#[cfg(feature = "metrics")]
mod enabled {
    use std::time::Duration;

    const STORE: (&str, &str) = ("store", "durable");

    /// One batch written to the log file (`write`, before any fsync).
    pub(crate) fn wal_append(took: Duration) {
        metrics::histogram!("wal.append.duration", &[STORE]).record(took.as_secs_f64());
    }

    /// One `fdatasync` of the log, and the number of records it made durable.
    pub(crate) fn wal_fsync(took: Duration, group: u64) {
        metrics::histogram!("wal.fsync.duration", &[STORE]).record(took.as_secs_f64());
        metrics::histogram!("wal.group.size", &[STORE]).record(group as f64);
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

    /// Times one store operation, by name, from start to acknowledgement.
    #[derive(Debug)]
    pub(crate) struct OperationTimer {
        op: &'static str,
        started: std::time::Instant,
    }

    impl OperationTimer {
        pub(crate) fn start(op: &'static str) -> Self {
            Self {
                op,
                started: std::time::Instant::now(),
            }
        }

        pub(crate) fn finish(self) {
            metrics::histogram!("cache.operation.duration", &[STORE, ("op", self.op)])
                .record(self.started.elapsed().as_secs_f64());
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod enabled {
    use std::time::Duration;

    pub(crate) fn wal_append(_: Duration) {}
    pub(crate) fn wal_fsync(_: Duration, _: u64) {}
    pub(crate) fn snapshot(_: Duration, _: u64) {}
    pub(crate) fn recovery(_: Duration, _: u64) {}

    /// Reads no clock without the feature.
    #[derive(Debug)]
    pub(crate) struct OperationTimer;

    impl OperationTimer {
        pub(crate) fn start(_: &'static str) -> Self {
            Self
        }

        pub(crate) fn finish(self) {}
    }
}

pub(crate) use enabled::*;

//! Instrumentation through the `metrics` facade (feature `metrics`), labelled `store="durable"`;
//! without the feature every function here compiles to nothing.

/// A store operation, timed as `cache.operation.duration` with its name as the `op` label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Get,
    Set,
    Delete,
    InsertIfAbsent,
    CompareAndSet,
    CompareAndDelete,
}

#[cfg(feature = "metrics")]
mod enabled {
    use std::sync::OnceLock;
    use std::time::Duration;

    use metrics::Histogram;

    use super::Op;

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

    /// The `cache.operation.duration` histogram of each operation, registered once per store, on
    /// its first use: registering looks the key up in the recorder's registry, which with the
    /// Prometheus exporter costs more than an in-memory `get` itself.
    #[derive(Debug)]
    pub(crate) struct Operations([OnceLock<Histogram>; Op::COUNT]);

    impl Operations {
        pub(crate) fn new() -> Self {
            Self(Default::default())
        }
    }

    impl Op {
        const COUNT: usize = 6;

        fn register(self) -> Histogram {
            let name = "cache.operation.duration";
            match self {
                Op::Get => metrics::histogram!(name, &[STORE, ("op", "get")]),
                Op::Set => metrics::histogram!(name, &[STORE, ("op", "set")]),
                Op::Delete => metrics::histogram!(name, &[STORE, ("op", "delete")]),
                Op::InsertIfAbsent => {
                    metrics::histogram!(name, &[STORE, ("op", "insert_if_absent")])
                }
                Op::CompareAndSet => metrics::histogram!(name, &[STORE, ("op", "compare_and_set")]),
                Op::CompareAndDelete => {
                    metrics::histogram!(name, &[STORE, ("op", "compare_and_delete")])
                }
            }
        }
    }

    /// Times one store operation from start to acknowledgement.
    #[derive(Debug)]
    pub(crate) struct OperationTimer {
        op: Op,
        started: std::time::Instant,
    }

    impl OperationTimer {
        pub(crate) fn start(op: Op) -> Self {
            Self {
                op,
                started: std::time::Instant::now(),
            }
        }

        /// Records the operation's duration in its histogram among `operations`.
        pub(crate) fn finish(self, operations: &Operations) {
            operations.0[self.op as usize]
                .get_or_init(|| self.op.register())
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
        pub(crate) fn start(_: super::Op) -> Self {
            Self
        }

        pub(crate) fn finish(self, _: &Operations) {}
    }
}

pub(crate) use enabled::*;

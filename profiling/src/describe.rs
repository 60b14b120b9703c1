//! Descriptions and units of every metric, registered with the installed recorder.
//!
//! The Prometheus exporter appends a metric's unit to its name (`_seconds`) only when the metric
//! was described with one, so describe after installing the recorder.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use crate::names::*;

/// Describes the HTTP server metrics.
pub fn http() {
    describe_histogram!(
        HTTP_SERVER_REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP server requests, to the response head."
    );
    describe_gauge!(
        HTTP_SERVER_ACTIVE_REQUESTS,
        Unit::Count,
        "Number of active HTTP server requests."
    );
}

/// Describes the RPC server metrics.
pub fn rpc() {
    describe_histogram!(
        RPC_SERVER_CALL_DURATION,
        Unit::Seconds,
        "Duration of inbound RPCs, to the end of the response stream."
    );
}

/// Describes the operation metric.
pub fn operation() {
    describe_histogram!(
        OPERATION_DURATION,
        Unit::Seconds,
        "Duration of named application operations."
    );
}

/// Describes the metrics the storage crates record.
pub fn storage() {
    let seconds = [
        (CACHE_OPERATION_DURATION, "Duration of store operations."),
        (
            CACHE_LOCK_WAIT_DURATION,
            "Time spent waiting for a shard lock.",
        ),
        (WAL_APPEND_DURATION, "Duration of write-ahead-log appends."),
        (WAL_FSYNC_DURATION, "Duration of write-ahead-log fsyncs."),
        (SNAPSHOT_DURATION, "Duration of writing a snapshot."),
        (RECOVERY_DURATION, "Duration of recovery at open."),
    ];
    for (name, text) in seconds {
        describe_histogram!(name, Unit::Seconds, text);
    }
    describe_histogram!(WAL_GROUP_SIZE, Unit::Count, "Records per group commit.");
    describe_gauge!(CACHE_ENTRIES, Unit::Count, "Live entries in a store.");
    describe_gauge!(
        CACHE_MEMORY_BYTES,
        Unit::Bytes,
        "Approximate memory held by a store's entries."
    );
    describe_gauge!(
        SNAPSHOT_SIZE_BYTES,
        Unit::Bytes,
        "Size of the newest snapshot."
    );
    describe_counter!(
        CACHE_EVICTIONS,
        Unit::Count,
        "Entries removed by the cache."
    );
    describe_counter!(
        RECOVERY_RECORDS,
        Unit::Count,
        "Records replayed by recovery."
    );
}

/// Describes every metric of the naming scheme.
pub fn all() {
    http();
    rpc();
    operation();
    storage();
}

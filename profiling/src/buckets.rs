//! Histogram bucket upper bounds.
//!
//! Exporters that keep explicit buckets (Prometheus) need them set per metric; the
//! `metrics-exporter-prometheus` recorder renders summaries unless they are.

/// The OpenTelemetry HTTP semconv buckets for request and call durations, in seconds.
pub const HTTP_DURATION_SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Buckets for storage latencies, in seconds: from a microsecond (an in-memory lookup) to ten
/// seconds (a large snapshot or recovery).
pub const STORAGE_DURATION_SECONDS: &[f64] = &[
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
];

/// Buckets for counts of records in one batch (a group commit), powers of two up to 4096.
pub const BATCH_SIZE: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0,
];

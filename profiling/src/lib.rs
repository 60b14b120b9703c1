//! Where time goes, at a cost nobody notices: OpenTelemetry HTTP and gRPC server metrics,
//! slow-request warnings, and operation timers, through the `metrics` and `tracing` facades.
//!
//! - [`HttpMetricsLayer`]: `http.server.request.duration` and `http.server.active_requests` per
//!   the HTTP semantic conventions, and one WARN per request slower than the threshold.
//! - [`GrpcMetricsLayer`]: `rpc.server.call.duration` per the RPC semantic conventions.
//! - [`Operations`]: a guard or future wrapper timing the application's own work.
//! - [`prometheus`] (feature `prometheus`): the exporter set up with histogram buckets (not
//!   summaries) and Prometheus names.
//!
//! Nothing here is global: the application installs the metrics recorder and the tracing
//! subscriber, and hands each component its [`ProfilingConfig`] and, in tests, a mock clock.
//! Metric handles are cached per label set, so a request does no registry lookup, and the clock
//! (`quanta`, injected) is read twice per request.
//!
//! # Example
//!
//! An axum service with its metrics on `/metrics`:
//!
//! ```
//! # #[cfg(all(feature = "axum", feature = "prometheus"))] {
//! use axum::{Router, routing::get};
//! use profiling::{HttpMetricsLayer, ProfilingConfig};
//!
//! let config = ProfilingConfig::default();
//! let recorder = profiling::prometheus::builder(&config).unwrap().build_recorder();
//! let handle = recorder.handle();
//! // An application calls `profiling::prometheus::install(&config)` instead.
//! let _guard = metrics::set_default_local_recorder(&recorder);
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "a user" }))
//!     .layer(HttpMetricsLayer::from_config(&config).unwrap())
//!     // After the layer: scrapes are not measured.
//!     .route("/metrics", get(move || std::future::ready(handle.render())));
//! # }
//! ```
//!
//! # The metric naming scheme
//!
//! One table for the whole workspace. Names are dotted as OpenTelemetry writes them; the
//! Prometheus exporter (set up by [`prometheus::builder`]) turns dots into underscores and appends
//! the unit, so `http.server.request.duration` is scraped as
//! `http_server_request_duration_seconds` and counters end in `_total`. Durations are in seconds.
//! The constants are in [`names`].
//!
//! | name | kind | unit | labels | recorded by |
//! |---|---|---|---|---|
//! | `http.server.request.duration` | histogram | s | `http.request.method`, `url.scheme`, `http.response.status_code`, `http.route`, `error.type` (failures only) | [`HttpMetricsLayer`] |
//! | `http.server.active_requests` | gauge | requests | `http.request.method`, `url.scheme` | [`HttpMetricsLayer`] |
//! | `rpc.server.call.duration` | histogram | s | `rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`, `error.type` (failures only) | [`GrpcMetricsLayer`] |
//! | `operation.duration` | histogram | s | `operation`, and the operation's own | [`Operation`] |
//! | `cache.operation.duration` | histogram | s | `store`, `op` | storage crates |
//! | `cache.lock.wait.duration` | histogram | s | `store` | storage crates |
//! | `cache.entries` | gauge | entries | `store` | storage crates |
//! | `cache.memory.bytes` | gauge | bytes (approximate) | `store` | storage crates |
//! | `cache.evictions` | counter | entries | `store`, `cause` | storage crates |
//! | `wal.append.duration` | histogram | s | `store` | `cache-persist` |
//! | `wal.fsync.duration` | histogram | s | `store` | `cache-persist` |
//! | `wal.group.size` | histogram | records | `store` | `cache-persist` |
//! | `snapshot.duration` | histogram | s | `store` | `cache-persist` |
//! | `snapshot.size.bytes` | gauge | bytes | `store` | `cache-persist` |
//! | `recovery.duration` | histogram | s | `store` | `cache-persist` |
//! | `recovery.records` | counter | records | `store` | `cache-persist` |
//!
//! `store` names the backend (`sharded`, `durable`, `redis`); `op` the store operation (`get`,
//! `set`, `delete`, `insert_if_absent`, `compare_and_set`, `compare_and_delete`). The storage
//! crates record these with the `metrics` macros behind their own `metrics` feature and do not
//! depend on this crate. Buckets: [`buckets::HTTP_DURATION_SECONDS`] (or the configured ones) for
//! request, call and operation durations, [`buckets::STORAGE_DURATION_SECONDS`] for storage
//! latencies, [`buckets::BATCH_SIZE`] for `wal.group.size`.
//!
//! # Slow warnings
//!
//! A request, call or operation longer than [`ProfilingConfig::slow_threshold`] (default 100 ms)
//! logs exactly one WARN event (`slow request`, `slow call`, `slow operation`) with its route or
//! name, method, status, `latency_ms` and the request id (from the configured header, default
//! `x-request-id`, or a [`RequestId`] extension).
//!
//! # Features
//!
//! - `axum` (default): `http.route` from axum's `MatchedPath`.
//! - `prometheus` (default): the [`prometheus`] module.
//! - `full`: every feature.

#![forbid(unsafe_code)]

pub mod buckets;
mod cache;
mod config;
pub mod describe;
mod error;
pub mod grpc;
pub mod http;
pub mod names;
mod operation;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod request_id;

pub use crate::config::{Attributes, ProfilingConfig, Scheme};
pub use crate::error::ConfigError;
pub use crate::grpc::GrpcMetricsLayer;
pub use crate::http::HttpMetricsLayer;
pub use crate::operation::{Instrumented, Operation, OperationGuard, Operations};
pub use crate::request_id::RequestId;

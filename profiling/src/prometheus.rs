//! `metrics-exporter-prometheus` set up with this crate's buckets and names (feature `prometheus`).
//!
//! The exporter renders every histogram as a summary unless buckets are set for it; these helpers
//! set the configured (semconv) buckets for the request, call and operation durations, microsecond
//! buckets for the storage latencies, and Prometheus' recommended naming (units and `_total`).
//!
//! The layers keep their histogram handles for the life of the process, so do not set the
//! exporter's `idle_timeout` for histograms: a series it drops stops being exported while the
//! layer still records into its old handle.
//!
//! # Example
//!
//! ```
//! use profiling::{HttpMetricsLayer, ProfilingConfig};
//!
//! let config = ProfilingConfig::default();
//! let recorder = profiling::prometheus::builder(&config)?.build_recorder();
//! let handle = recorder.handle();
//! metrics::with_local_recorder(&recorder, || {
//!     // Build layers with the recorder installed (an application installs it globally with
//!     // `profiling::prometheus::install(&config)`).
//!     let _layer = HttpMetricsLayer::from_config(&config)?;
//!     Ok::<_, profiling::ConfigError>(())
//! })?;
//! // Serve this on `/metrics`.
//! let _exposition: String = handle.render();
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::buckets::{BATCH_SIZE, STORAGE_DURATION_SECONDS};
use crate::config::ProfilingConfig;
use crate::error::ConfigError;
use crate::names::*;

/// Why the exporter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The exporter refused its settings, or a global recorder was already installed.
    #[error("prometheus exporter: {0}")]
    Exporter(#[from] BuildError),
}

/// A [`PrometheusBuilder`] with recommended naming, set up by [`with_buckets`].
pub fn builder(config: &ProfilingConfig) -> Result<PrometheusBuilder, PrometheusError> {
    with_buckets(
        PrometheusBuilder::new().with_recommended_naming(true),
        config,
    )
}

/// Sets the buckets of every histogram of the naming scheme on `builder`: `config.buckets` for
/// request, call and operation durations, [`STORAGE_DURATION_SECONDS`] for storage latencies,
/// [`BATCH_SIZE`] for group commit sizes.
pub fn with_buckets(
    builder: PrometheusBuilder,
    config: &ProfilingConfig,
) -> Result<PrometheusBuilder, PrometheusError> {
    config.validate()?;
    let sets: [(&[&str], &[f64]); 3] = [
        (
            &[
                HTTP_SERVER_REQUEST_DURATION,
                RPC_SERVER_CALL_DURATION,
                OPERATION_DURATION,
            ],
            &config.buckets,
        ),
        (
            &[
                CACHE_OPERATION_DURATION,
                CACHE_LOCK_WAIT_DURATION,
                WAL_APPEND_DURATION,
                WAL_FSYNC_DURATION,
                SNAPSHOT_DURATION,
                RECOVERY_DURATION,
            ],
            STORAGE_DURATION_SECONDS,
        ),
        (&[WAL_GROUP_SIZE], BATCH_SIZE),
    ];
    let mut builder = builder;
    for (names, bounds) in sets {
        for name in names {
            builder = builder.set_buckets_for_metric(Matcher::Full((*name).to_owned()), bounds)?;
        }
    }
    Ok(builder)
}

/// Installs the exporter as the global recorder and describes every metric of the naming scheme;
/// serve [`PrometheusHandle::render`] on `/metrics`. The caller runs
/// [`PrometheusHandle::run_upkeep`] periodically (every few seconds) to drain histograms.
pub fn install(config: &ProfilingConfig) -> Result<PrometheusHandle, PrometheusError> {
    let handle = builder(config)?.install_recorder()?;
    crate::describe::all();
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buckets::HTTP_DURATION_SECONDS;

    /// The `le` bounds of `metric`'s buckets in `exposition`, without `+Inf`.
    fn bounds(exposition: &str, metric: &str) -> Vec<f64> {
        let prefix = format!("{metric}_bucket{{");
        exposition
            .lines()
            .filter(|line| line.starts_with(&prefix))
            .filter_map(|line| line.split("le=\"").nth(1)?.split('"').next())
            .filter(|bound| *bound != "+Inf")
            .map(|bound| bound.parse().unwrap())
            .collect()
    }

    #[test]
    fn each_family_gets_its_buckets_and_unit_suffix() {
        let recorder = builder(&ProfilingConfig::default())
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            crate::describe::all();
            metrics::histogram!(OPERATION_DURATION).record(0.01);
            metrics::histogram!(CACHE_OPERATION_DURATION, STORE => "sharded", OP => "get")
                .record(0.000_003);
            metrics::histogram!(WAL_GROUP_SIZE, STORE => "durable").record(12.0);
            metrics::counter!(CACHE_EVICTIONS, STORE => "sharded", CAUSE => "expired").increment(1);
        });
        let exposition = handle.render();
        let operation = bounds(&exposition, "operation_duration_seconds");
        let storage = bounds(&exposition, "cache_operation_duration_seconds");
        let group = bounds(&exposition, "wal_group_size");
        assert_eq!(operation, HTTP_DURATION_SECONDS, "{exposition}");
        assert_eq!(storage, STORAGE_DURATION_SECONDS, "{exposition}");
        assert_eq!(group, BATCH_SIZE, "{exposition}");
        assert!(
            exposition.contains("cache_evictions_total{"),
            "{exposition}"
        );
    }

    #[test]
    fn configured_buckets_replace_the_semconv_ones_and_are_validated() {
        let config = ProfilingConfig {
            buckets: vec![0.5, 1.0],
            ..Default::default()
        };
        let recorder = builder(&config).unwrap().build_recorder();
        metrics::with_local_recorder(&recorder, || {
            metrics::histogram!(HTTP_SERVER_REQUEST_DURATION).record(0.7);
        });
        let exposition = recorder.handle().render();
        assert_eq!(
            bounds(&exposition, "http_server_request_duration"),
            [0.5, 1.0]
        );
        let invalid = ProfilingConfig {
            buckets: vec![],
            ..Default::default()
        };
        assert!(matches!(
            builder(&invalid),
            Err(PrometheusError::Config(ConfigError::EmptyBuckets))
        ));
    }
}

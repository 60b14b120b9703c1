//! The [`GrpcMetricsLayer`].

use std::sync::Arc;

use quanta::Clock;
use tower_layer::Layer;

use super::recorder::GrpcRecorder;
use super::service::GrpcMetrics;
use crate::config::ProfilingConfig;
use crate::error::ConfigError;

/// Wraps a gRPC service in [`GrpcMetrics`]. Every service it builds shares one handle cache.
///
/// As for [`HttpMetricsLayer`](crate::HttpMetricsLayer), build it after installing the recorder.
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    recorder: Arc<GrpcRecorder>,
}

impl GrpcMetricsLayer {
    /// A layer with the default [`ProfilingConfig`] and the real clock.
    ///
    /// Not `const`, unlike most layers: it registers the metric description with the recorder.
    pub fn new() -> Self {
        Self::from_config(&ProfilingConfig::default())
            .expect("the default profiling config is valid")
    }

    /// A layer configured by `config`, once it is validated.
    pub fn from_config(config: &ProfilingConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            recorder: Arc::new(GrpcRecorder::new(config.validated()?, Clock::new())),
        })
    }

    /// The same layer reading time from `clock` (tests pass `quanta::Clock::mock()`).
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        let config = self.recorder.config().clone();
        Self {
            recorder: Arc::new(GrpcRecorder::new(config, clock)),
        }
    }
}

impl Default for GrpcMetricsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics::new(inner, Arc::clone(&self.recorder))
    }
}

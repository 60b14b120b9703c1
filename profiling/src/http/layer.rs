//! The [`HttpMetricsLayer`].

use std::sync::Arc;

use quanta::Clock;
use tower_layer::Layer;

use super::recorder::HttpRecorder;
use super::service::HttpMetrics;
use crate::config::ProfilingConfig;
use crate::error::ConfigError;

/// Wraps a service in [`HttpMetrics`]. Every service it builds shares one handle cache.
///
/// Build it after installing the metrics recorder: histogram handles are bound to the recorder
/// installed when a label set is first seen, and the metric descriptions (which give the
/// Prometheus name its `_seconds` suffix) are registered when the layer is built.
#[derive(Debug, Clone)]
pub struct HttpMetricsLayer {
    recorder: Arc<HttpRecorder>,
}

impl HttpMetricsLayer {
    /// A layer with the default [`ProfilingConfig`] and the real clock.
    ///
    /// Not `const`, unlike most layers: it registers the metric descriptions with the recorder.
    pub fn new() -> Self {
        Self::from_config(&ProfilingConfig::default())
            .expect("the default profiling config is valid")
    }

    /// A layer configured by `config`, once it is validated.
    pub fn from_config(config: &ProfilingConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            recorder: Arc::new(HttpRecorder::new(config.validated()?, Clock::new())),
        })
    }

    /// The same layer reading time from `clock` (tests pass `quanta::Clock::mock()`).
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        let config = self.recorder.config().clone();
        Self {
            recorder: Arc::new(HttpRecorder::new(config, clock)),
        }
    }
}

impl Default for HttpMetricsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetrics::new(inner, Arc::clone(&self.recorder))
    }
}

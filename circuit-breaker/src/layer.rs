//! The layer: one breaker, shared by every service it wraps.

use std::sync::Arc;

use tower_layer::Layer;

use crate::breaker::Breaker;
use crate::builder::Builder;
use crate::classify::ServerErrorsAsFailures;
use crate::config::{CircuitBreakerConfig, ConfigError};
use crate::handle::BreakerHandle;
use crate::service::CircuitBreaker;

/// Wraps services in a [`CircuitBreaker`].
///
/// One layer value is one breaker: every service it builds, and every clone of those, shares
/// the same state. Build one layer value per dependency you guard; clone it freely.
///
/// # Example
///
/// In an axum router, behind the error-mapping layer so that a rejection is a `503`
/// problem with `Retry-After`:
///
/// ```
/// use axum::Router;
/// use axum::routing::get;
/// use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, ServiceBuilderExt};
/// use error_mapping::ErrorMappingLayer;
/// use tower::ServiceBuilder;
///
/// # fn main() -> Result<(), circuit_breaker::ConfigError> {
/// let config = CircuitBreakerConfig { name: "inventory-db".into(), ..Default::default() };
/// let breaker = CircuitBreakerLayer::new(config)?;
/// let readiness = breaker.handle();
///
/// let app: Router = Router::new()
///     .route("/inventory", get(|| async { "in stock" }))
///     .layer(ServiceBuilder::new().layer(ErrorMappingLayer::new()).circuit_breaker(breaker));
/// assert!(!readiness.is_open());
/// # drop(app);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerLayer<C = ServerErrorsAsFailures> {
    breaker: Arc<Breaker>,
    classifier: C,
}

impl CircuitBreakerLayer {
    /// A breaker configured by `config`, with the default classifier, listener and clock.
    pub fn new(config: CircuitBreakerConfig) -> Result<Self, ConfigError> {
        Self::builder(config).build()
    }

    /// A builder to set the classifier, listener or clock before validating `config`.
    pub fn builder(config: CircuitBreakerConfig) -> Builder {
        Builder::new(config)
    }
}

impl<C> CircuitBreakerLayer<C> {
    pub(crate) fn from_parts(breaker: Breaker, classifier: C) -> Self {
        Self {
            breaker: Arc::new(breaker),
            classifier,
        }
    }

    /// A handle to read and force this breaker's state.
    pub fn handle(&self) -> BreakerHandle {
        BreakerHandle::new(self.breaker.clone())
    }
}

impl<S, C: Clone> Layer<S> for CircuitBreakerLayer<C> {
    type Service = CircuitBreaker<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreaker::new(inner, self.classifier.clone(), self.breaker.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WindowConfig;

    #[test]
    fn debug_output_stays_short_whatever_the_window() {
        let config = CircuitBreakerConfig {
            name: "big".into(),
            window: WindowConfig::Count { size: 1_000_000 },
            ..CircuitBreakerConfig::default()
        };
        let layer = CircuitBreakerLayer::new(config).unwrap();
        let debug = format!("{layer:?} {:?}", layer.handle());
        assert!(debug.len() < 2_000, "{} bytes", debug.len());
        assert!(debug.contains("big") && debug.contains("Closed"), "{debug}");
    }
}

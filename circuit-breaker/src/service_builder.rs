//! [`ServiceBuilder`] method for the breaker, in the style of tower-http.

use tower::ServiceBuilder;
use tower_layer::Stack;

use crate::layer::CircuitBreakerLayer;

mod sealed {
    pub trait Sealed {}
    impl<L> Sealed for tower::ServiceBuilder<L> {}
}

/// Adds a [`CircuitBreakerLayer`] to a [`ServiceBuilder`].
///
/// The breaker's place in a stack, outermost first: request ids and error mapping (which
/// renders an open breaker's rejection as a `503` with `Retry-After`), then metrics (so
/// rejections are measured), then the breaker (an open breaker turns a request away before
/// idempotency claims its key, so no in-flight record is left for the client's retry to run
/// into), then idempotency, then the handler. The profiling and idempotency layers come from their own crates; any layer stands
/// in for them here.
///
/// ```
/// use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, ServiceBuilderExt};
/// use error_mapping::ErrorMappingLayer;
/// use http::{Request, Response, StatusCode};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
/// # use tower::layer::util::Identity as HttpMetricsLayer;
/// # use tower::layer::util::Identity as IdempotencyLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = CircuitBreakerConfig { name: "orders-db".into(), ..Default::default() };
/// let breaker = CircuitBreakerLayer::new(config)?;
/// let handle = breaker.handle();
///
/// let service = ServiceBuilder::new()
///     .layer(ErrorMappingLayer::new())
///     .layer(HttpMetricsLayer::new())
///     .circuit_breaker(breaker)
///     .layer(IdempotencyLayer::new())
///     .service(service_fn(|_: Request<String>| async {
///         Ok::<_, std::io::Error>(Response::new(String::from("stored")))
///     }));
///
/// handle.force_open();
/// let response = service.oneshot(Request::new(String::new())).await?;
/// assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// # Ok(())
/// # }
/// ```
pub trait ServiceBuilderExt<L>: sealed::Sealed {
    /// Wraps the services built next in `layer`'s breaker.
    fn circuit_breaker<C>(
        self,
        layer: CircuitBreakerLayer<C>,
    ) -> ServiceBuilder<Stack<CircuitBreakerLayer<C>, L>>;
}

impl<L> ServiceBuilderExt<L> for ServiceBuilder<L> {
    fn circuit_breaker<C>(
        self,
        layer: CircuitBreakerLayer<C>,
    ) -> ServiceBuilder<Stack<CircuitBreakerLayer<C>, L>> {
        self.layer(layer)
    }
}

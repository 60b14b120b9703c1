//! The layer that wraps a service in [`ErrorMapping`].

use std::sync::Arc;

use http::HeaderName;
use tower_layer::Layer;

use super::ErrorMapping;
use super::respond::Responder;
use crate::ProblemRegistry;
use crate::config::{ConfigError, ErrorMappingConfig};
use crate::request_id::IdGenerator;

/// Applies [`ErrorMapping`] to a service: request ids, and every error, panic and bare error
/// response turned into a problem. Put it outermost, so it sees what every other layer returns.
///
/// This layer wraps a service so that
/// - each request has a [`RequestId`](crate::RequestId): the client's (from `x-request-id` by
///   default) when it is valid, else a generated one (see [`RequestId`](crate::RequestId) for
///   what is valid). It goes into the request's extensions (where handlers read it), the
///   `request` span of `tracing`, the response's header and every problem body. A generated id
///   replaces an invalid one in the request's header too, so no service inside sees an id the
///   logs lack;
/// - the inner service's errors become problems through the
///   [`ProblemRegistry`](crate::ProblemRegistry), so the service's error type is
///   [`Infallible`](std::convert::Infallible) and axum needs no `HandleErrorLayer`;
/// - a panic, in `call` or while the response future is polled, becomes a 500 problem that still
///   carries the request id (a panic in `poll_ready` is left to unwind: no request exists yet);
/// - an empty-bodied error response (a router's 404 or 405) becomes a problem, unless
///   [`rewrite_bare_responses`](crate::ErrorMappingConfig::rewrite_bare_responses) is off.
///
/// It answers with responses rather than errors because it is the last place that knows the
/// request id: an error that leaves it would reach the server with nothing to tie it to the logs.
/// A request whose `content-type` is `application/grpc` gets its problem as a gRPC status
/// (`grpc-status`, `grpc-message`; see [`crate::grpc`] for the codes), any other request gets
/// `application/problem+json`. A 5xx body never holds the inner error's text: the error chain
/// is logged, with the request id, in one `tracing` event per problem.
///
/// # Example
///
/// ```
/// use std::time::Duration;
///
/// use error_mapping::ErrorMappingLayer;
/// use http::{Request, Response, StatusCode};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
/// use tower::timeout::TimeoutLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let handler = service_fn(|_request: Request<String>| async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok::<_, std::convert::Infallible>(Response::new(String::from("done")))
/// });
/// // Outermost first: the error-mapping layer sees the timeout's error.
/// let service = ServiceBuilder::new()
///     .layer(ErrorMappingLayer::new())
///     .layer(TimeoutLayer::new(Duration::from_millis(10)))
///     .service(handler);
///
/// let request = Request::builder()
///     .header("x-request-id", "abc-123")
///     .body(String::new())
///     .unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// assert_eq!(response.headers()["x-request-id"], "abc-123");
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ErrorMappingLayer {
    header: HeaderName,
    max_len: usize,
    rewrite_bare_responses: bool,
    registry: ProblemRegistry,
}

impl ErrorMappingLayer {
    /// The layer with the default configuration and the built-in mappings.
    pub fn new() -> Self {
        Self::from_config(&ErrorMappingConfig::default())
            .expect("the default configuration is valid")
    }

    /// The layer configured by `config`, or the first field that is not valid.
    pub fn from_config(config: &ErrorMappingConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            header: config.header_name()?,
            max_len: config.request_id_max_len,
            rewrite_bare_responses: config.rewrite_bare_responses,
            registry: ProblemRegistry::new(),
        })
    }

    /// Replaces the mappings of errors the application does not own.
    pub fn registry(mut self, registry: ProblemRegistry) -> Self {
        self.registry = registry;
        self
    }
}

impl Default for ErrorMappingLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for ErrorMappingLayer {
    type Service = ErrorMapping<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let responder = Responder {
            header: self.header.clone(),
            max_len: self.max_len,
            rewrite_bare_responses: self.rewrite_bare_responses,
            registry: self.registry.clone(),
            generator: IdGenerator::new(),
        };
        ErrorMapping::new(inner, Arc::new(responder))
    }
}

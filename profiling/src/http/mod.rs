//! HTTP server metrics per the OpenTelemetry HTTP semantic conventions, and slow-request warnings.
//!
//! For every request, [`HttpMetrics`] records `http.server.request.duration` (seconds) with
//! `http.request.method`, `url.scheme`, `http.response.status_code`, `http.route` and, on
//! failures only, `error.type`; and counts the request in `http.server.active_requests` while it
//! runs. A request slower than the threshold logs one WARN (`slow request`) with its route,
//! method, status, latency and request id.
//!
//! # What is measured
//!
//! The duration runs from the call into the inner service to the moment it produces the response
//! head (or fails). Streaming the body is not included: for a handler that answers with a
//! stream, the histogram shows the time to first byte. The clock is read twice per request.
//!
//! # Labels
//!
//! - `http.request.method`: the nine RFC 9110 methods and PATCH by name, every other as `_OTHER`.
//! - `url.scheme`: from the request URI when it has one (HTTP/2), else the configured default.
//! - `http.route`: only a route template from the router (axum's `MatchedPath`, feature `axum`),
//!   so the layer must run inside the router: apply it with `Router::layer`. A request no route
//!   matched (a 404 from the fallback) has no `http.route`. The raw path is never a label.
//! - `error.type`: the status code of a 5xx response, or `_OTHER` when the inner service failed.
//!
//! So the number of series stays bounded by what the service defines (ten methods, two schemes,
//! the status codes it answers, its routes), whatever clients send.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{Router, routing::get};
//! use profiling::HttpMetricsLayer;
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "a user" }))
//!     // Inside the router, so the layer sees the matched route template.
//!     .layer(HttpMetricsLayer::new());
//! # }
//! ```
//!
//! In a tower stack, with a validated configuration:
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use profiling::{HttpMetricsLayer, ProfilingConfig};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ProfilingConfig { request_id_header: "x-trace-id".into(), ..Default::default() };
//! let service = ServiceBuilder::new()
//!     .layer(HttpMetricsLayer::from_config(&config)?)
//!     .service(service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
//! let response = service.oneshot(Request::new(())).await?;
//! assert!(response.status().is_success());
//! # Ok(()) }
//! ```

mod attributes;
pub mod future;
mod layer;
mod recorder;
mod route;
mod service;

pub use self::layer::HttpMetricsLayer;
pub use self::service::HttpMetrics;

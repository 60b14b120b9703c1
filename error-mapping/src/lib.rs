//! The vocabulary of failure of resync-rs: an RFC 9457 [`Problem`] that every error of the stack
//! becomes, and the outermost layer that renders them with a correlation id.
//!
//! - [`Problem`] is what a client is told: status, `type`, `title`, `detail`, extension members,
//!   headers such as `Retry-After`, and the [`GrpcCode`] a gRPC client sees.
//! - An error that knows its problem implements [`IntoProblem`]; the layers of the workspace
//!   return a boxed [`ProblemError`], which carries the problem and the error behind it.
//! - Errors the application does not own are mapped by the typed downcasts of a
//!   [`ProblemRegistry`], tried along the error's `source()` chain; anything unknown is a 500
//!   that shows nothing of the error.
//! - [`ErrorMappingLayer`] goes outermost: it sets the [`RequestId`], and turns inner errors,
//!   panics and bare error responses into `application/problem+json` (or a gRPC status for gRPC
//!   requests), with one `tracing` event per problem. It is configured by
//!   [`ErrorMappingConfig`].
//!
//! # Example
//!
//! ```
//! use error_mapping::{ErrorMappingLayer, Problem, ProblemError};
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let handler = service_fn(|_request: Request<String>| async {
//!     let problem = Problem::new(StatusCode::CONFLICT)
//!         .with_type("https://example.com/problems/out-of-stock")
//!         .with_title("Out of stock");
//!     Err::<Response<String>, _>(ProblemError::new(problem))
//! });
//! let service = ServiceBuilder::new()
//!     .layer(ErrorMappingLayer::new())
//!     .service(handler);
//!
//! let response = service.oneshot(Request::new(String::new())).await.unwrap();
//! assert_eq!(response.status(), StatusCode::CONFLICT);
//! let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
//! let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
//! let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
//! assert_eq!(body["title"], "Out of stock");
//! assert_eq!(body["status"], 409);
//! assert_eq!(body["request_id"], request_id.as_str());
//! # }
//! ```

#![forbid(unsafe_code)]

#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "axum")]
mod axum;
mod body;
#[cfg(feature = "tower")]
mod builder;
mod carried;
mod config;
mod extension;
pub mod grpc;
mod log;
mod middleware;
mod problem;
mod registry;
mod render;
mod request_id;

pub use body::ResponseBody;
#[cfg(feature = "tower")]
pub use builder::ServiceBuilderExt;
pub use config::{ConfigError, ErrorMappingConfig, MAX_REQUEST_ID_LEN, MIN_REQUEST_ID_LEN};
pub use extension::ExtensionNameError;
pub use grpc::GrpcCode;
pub use middleware::{ErrorMapping, ErrorMappingLayer, future};
pub use problem::{BoxError, IntoProblem, Problem, ProblemError};
pub use registry::ProblemRegistry;
pub use render::PROBLEM_JSON;
pub use request_id::RequestId;

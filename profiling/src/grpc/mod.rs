//! gRPC server metrics per the OpenTelemetry RPC semantic conventions, and slow-call warnings.
//!
//! [`GrpcMetrics`] is generic over `http` requests and bodies, so it wraps a tonic server (or any
//! gRPC-over-HTTP/2 service) without depending on tonic. For every call it records
//! `rpc.server.call.duration` in seconds (the older `rpc.server.duration` in milliseconds is
//! deprecated) with `rpc.system` = `grpc`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`
//! and, when the server failed, `error.type`. A call slower than the threshold logs one WARN
//! (`slow call`).
//!
//! # What is measured
//!
//! A call lasts until its status is sent: at once for a trailers-only response (`grpc-status` in
//! the headers, as tonic answers errors), else when the response body yields its trailers, so a
//! streaming call is timed to its end. A stream that ends without trailers is `UNKNOWN` (2); one
//! dropped before its end is `CANCELLED` (1).
//!
//! # Labels
//!
//! `rpc.service` and `rpc.method` come from the `/package.Service/Method` path, and only for a
//! call the server answered as gRPC (an HTTP 200 head) with a status other than `UNIMPLEMENTED`
//! (how a server answers a service or method it does not have). Any other call (a malformed path,
//! an unknown name, a plain HTTP error, a failed inner service, a call dropped before its head)
//! is labelled `_OTHER`, so clients cannot mint series. `error.type` is the status code for the
//! codes that mean the server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
//! UNAVAILABLE, DATA_LOSS), or `_OTHER` when the inner service failed.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use profiling::GrpcMetricsLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // With tonic: `Server::builder().layer(GrpcMetricsLayer::new()).add_service(...)`.
//! let service = ServiceBuilder::new()
//!     .layer(GrpcMetricsLayer::new())
//!     .service(service_fn(|_: Request<()>| async {
//!         let mut response = Response::new(());
//!         response.headers_mut().insert("grpc-status", "5".parse().unwrap());
//!         Ok::<_, Infallible>(response)
//!     }));
//! let request = Request::post("/shop.Orders/Get").body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.headers()["grpc-status"], "5");
//! # Ok(()) }
//! ```

mod attributes;
mod body;
pub mod future;
mod layer;
mod recorder;
mod service;

pub use self::body::ResponseBody;
pub use self::layer::GrpcMetricsLayer;
pub use self::service::GrpcMetrics;

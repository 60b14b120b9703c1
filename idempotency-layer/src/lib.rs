//! Idempotency-Key semantics for axum, hyper and tonic services: a retried request replays the
//! first response, and the handler runs once.
//!
//! [`IdempotencyLayer`] follows draft-ietf-httpapi-idempotency-key-header on any
//! [`cache_core::Store`] the application picks (in-memory, durable, Redis):
//!
//! 1. the `Idempotency-Key` header (an RFC 8941 sf-string, or a bare token) is validated; a bad
//!    key is a 400 and nothing is written;
//! 2. the key is scoped by the request's principal ([`PrincipalHook`]) and hashed with BLAKE3, so
//!    raw keys never reach the store;
//! 3. the request (method, path, chosen headers, body) is fingerprinted with xxh3-128;
//! 4. the key is claimed by insert-if-absent of an in-flight record whose time-to-live in the
//!    store is the lease, renewed by compare-and-set while a slow handler runs;
//! 5. a kept response (by default 2xx-4xx except 408, 409, 425 and 429) replaces the claim by
//!    compare-and-set; anything else (a 5xx, an error, a dropped request) releases it by
//!    compare-and-delete, so a retry runs again;
//! 6. a retry with the same fingerprint replays the stored status, allow-listed headers and body
//!    (plus `Idempotent-Replayed: true`); another fingerprint is a 422; a duplicate of a request
//!    still running is a 409 with `Retry-After` (or waits, when configured).
//!
//! Rejections are errors: each an [`error_mapping::ProblemError`] carrying an RFC 9457 problem
//! with a stable `type` under [`PROBLEM_TYPE_PREFIX`], rendered by the error-mapping layer
//! outside this one as `application/problem+json`, or as a gRPC status for a gRPC request.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use cache_core::{ShardedCache, Store};
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Full;
//! use idempotency_layer::IdempotencyLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let store: Arc<dyn Store> = Arc::new(
//!     ShardedCache::<Bytes, Bytes>::builder().max_capacity(100_000).build_store(),
//! );
//! let layer = IdempotencyLayer::builder(store)
//!     .configure(|config| config.require_key = true)
//!     .build()?;
//! let service = ServiceBuilder::new().layer(layer).service(service_fn(
//!     |_: Request<Full<Bytes>>| async {
//!         Response::builder()
//!             .status(StatusCode::CREATED)
//!             .body(Full::new(Bytes::from("order 42")))
//!     },
//! ));
//!
//! let order = || {
//!     Request::post("/orders")
//!         .header("idempotency-key", "\"8e03978e-40d5\"")
//!         .body(Full::new(Bytes::from("{\"sku\":1}")))
//!         .unwrap()
//! };
//! let first = service.clone().oneshot(order()).await?;
//! let retry = service.clone().oneshot(order()).await?;
//! assert_eq!(first.status(), StatusCode::CREATED);
//! assert_eq!(retry.status(), StatusCode::CREATED);
//! assert_eq!(retry.headers()["idempotent-replayed"], "true");
//! # Ok(()) }
//! ```
//!
//! # In a stack
//!
//! Under axum's `Router::layer`, the layer's errors must become responses first, which the
//! error-mapping layer (or axum's `HandleErrorLayer`) does; enable the `axum` feature so the
//! layer can rebuild `axum::body::Body` requests. Under a tonic server, enable `tonic`.
//!
//! `Router::layer` boxes each route again, which costs every request about 100 ns whatever the
//! layer. The same stack can instead wrap the whole router, once, and be served by `axum::serve`
//! through axum's `ServiceExt::into_make_service`:
//! `ServiceBuilder::new().map_response(IntoResponse::into_response).layer(ErrorMappingLayer::new())
//! .layer(idempotency).service(router)`. It then sees every route, so name the ones it covers
//! with [`IdempotencyLayerBuilder::predicate`]. `cargo xtask bench idempotency` measures both.
//!
//! # Features
//!
//! - `axum`: [`RequestBody`] for `axum::body::Body`, for `Router::layer`.
//! - `tonic`: [`RequestBody`] for `tonic::body::Body`, for a tonic server's layers. gRPC unary
//!   calls get the same semantics: the key travels in `idempotency-key` metadata, the trailers
//!   (`grpc-status`, `grpc-message`) are recorded and replayed, and a response is kept by its
//!   gRPC code ([`KeepConfig::grpc_codes`]).
//!
//! # Limits
//!
//! A request with a key is read whole before the handler runs (to fingerprint it); a kept
//! response is read whole before it is returned (so a retry that follows a response always finds
//! it recorded). Both count against [`IdempotencyConfig::body_budget`]. If the client goes away
//! after the handler returned, the recording finishes in a task of its own; if it goes away
//! before, the claim is released the same way. Those two cases are the only ones that spawn.
//!
//! # Observability
//!
//! Every request the layer handles gets an `idempotency` span (debug level) whose `outcome` is one
//! of `executed`, `replayed`, `conflict`, `mismatch`, `rejected` or `fail-open`; a request it
//! passes through gets no span, to cost no more than a header lookup. Every outcome, `pass-through`
//! included, is counted by the `idempotency.requests` counter (label `outcome`). Store failures
//! count in `idempotency.store.errors` (label `op`); claims lost to an expired lease in
//! `idempotency.claims.lost` (label `when`). Each layer registers its outcome counters once, on
//! their first use, so the `metrics` recorder must be installed before the first request.

#![forbid(unsafe_code)]

mod body;
mod budget;
mod builder;
mod claim;
mod config;
mod error;
mod execute;
mod fingerprint;
mod flow;
pub mod future;
mod hooks;
mod key;
mod layer;
mod local;
mod outcome;
mod policy;
mod record;
mod recording;
mod replay;
mod scope;
mod service;
mod settings;
mod shared;

pub use body::{ReplayBody, RequestBody};
pub use builder::IdempotencyLayerBuilder;
pub use config::{
    FingerprintConfig, IdempotencyConfig, InFlightConfig, InFlightMode, KeepConfig,
    LocalCacheConfig, OversizedResponse, ReplayConfig, StoreFailure,
};
pub use error::{ConfigError, PROBLEM_TYPE_PREFIX, Rejection};
pub use hooks::{PrincipalHook, ReplaySanitizer, RequestPredicate};
pub use key::KeyError;
pub use layer::IdempotencyLayer;
pub use record::RecordError;
pub use replay::IDEMPOTENT_REPLAYED;
pub use service::Idempotency;

//! The router and the middleware stack around it.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use circuit_breaker::CircuitBreakerLayer;
use error_mapping::ErrorMappingLayer;
use idempotency_layer::IdempotencyLayer;
use metrics_exporter_prometheus::PrometheusHandle;
use profiling::HttpMetricsLayer;
use tower::ServiceBuilder;

use crate::backend::Backend;
use crate::{admin, health, orders};

/// Everything the routes share.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The orders executed so far.
    pub book: Arc<orders::OrderBook>,
    /// The store, for readiness.
    pub backend: Arc<Backend>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}

/// The layers, outermost first: request id and error mapping, HTTP metrics, the circuit
/// breaker, idempotency.
#[derive(Debug, Clone)]
pub struct Layers {
    /// Request ids and RFC 9457 problem responses for every error.
    pub errors: ErrorMappingLayer,
    /// OpenTelemetry HTTP metrics and slow-request warnings.
    pub metrics: HttpMetricsLayer,
    /// Fails fast with 503 while the handlers keep failing.
    pub breaker: CircuitBreakerLayer,
    /// `Idempotency-Key` semantics for `POST /orders`; `None` serves without them, for load
    /// comparisons.
    pub idempotency: Option<IdempotencyLayer>,
}

/// The demo's router: the orders API under the full stack, and the operational routes
/// (health, readiness, metrics, the breaker's admin) under error mapping alone.
pub fn router(parts: Parts, layers: Layers) -> Router {
    let readiness = health::Readiness {
        backend: parts.backend,
        breaker: layers.breaker.handle(),
    };
    let orders = Router::new()
        .route("/orders", get(orders::list).post(orders::create))
        .route("/orders/{id}", get(orders::show))
        .with_state(parts.book);
    let outer = ServiceBuilder::new()
        .layer(layers.errors.clone())
        .layer(layers.metrics);
    let orders = match layers.idempotency {
        Some(idempotency) => orders.layer(outer.layer(layers.breaker).layer(idempotency)),
        None => orders.layer(outer.layer(layers.breaker)),
    };
    let operations = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready).with_state(readiness.clone()))
        .route(
            "/admin/breaker",
            get(admin::show).with_state(readiness.breaker.clone()),
        )
        .route(
            "/admin/breaker/{action}",
            post(admin::act).with_state(readiness.breaker),
        )
        .route("/metrics", get(render_metrics).with_state(parts.metrics))
        .layer(layers.errors);
    orders.merge(operations)
}

async fn render_metrics(State(handle): State<PrometheusHandle>) -> String {
    handle.render()
}

//! A payments API whose one write endpoint, `POST /payments`, is safe to retry.
//!
//! The stack, outermost first: [`ErrorMappingLayer`] (every rejection becomes an RFC 9457
//! problem), [`IdempotencyLayer`] on the in-memory store of cache-core, then the route. A payment
//! needs an `Idempotency-Key`; a retry with the same key and body replays the first response
//! with `Idempotent-Replayed: true`, and the handler charges once.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ErrorMappingLayer;
use idempotency_layer::{ConfigError, IdempotencyLayer};
use tower::ServiceBuilder;

pub use example_support::Ledger;

/// The application: `POST /payments` under idempotency and error mapping, recording in `ledger`.
pub fn app(ledger: Ledger) -> Result<Router, ConfigError> {
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(100_000)
            .build_store(),
    );
    let idempotency = IdempotencyLayer::builder(store)
        .configure(|config| config.require_key = true)
        .build()?;
    Ok(Router::new()
        .route("/payments", post(create_payment))
        .layer(
            ServiceBuilder::new()
                .layer(ErrorMappingLayer::new())
                .layer(idempotency),
        )
        .with_state(ledger))
}

/// Charges once per call: not idempotent by itself.
async fn create_payment(State(ledger): State<Ledger>, body: Bytes) -> impl IntoResponse {
    let id = ledger.charge();
    let payment = format!("{{\"payment\":{id},\"request_bytes\":{}}}", body.len());
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        payment,
    )
}

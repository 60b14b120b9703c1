//! Liveness and readiness.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use circuit_breaker::{BreakerHandle, State as BreakerState};
use serde::Serialize;

use crate::backend::Backend;

/// What readiness looks at: the store and the breaker.
#[derive(Debug, Clone)]
pub(crate) struct Readiness {
    pub(crate) backend: Arc<Backend>,
    pub(crate) breaker: BreakerHandle,
}

/// `GET /health`: the process is up and serving.
pub(crate) async fn health() -> &'static str {
    "ok"
}

/// What `GET /ready` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Ready {
    ready: bool,
    /// Why the service is not ready; absent when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// `GET /ready`: 200 while the store takes writes and the breaker lets calls through; 503 with
/// the reason otherwise.
pub(crate) async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Ready>) {
    let breaker = match readiness.breaker.state() {
        state @ (BreakerState::Open | BreakerState::ForcedOpen) => Some(format!(
            "the circuit breaker `{}` is {state:?}",
            readiness.breaker.name()
        )),
        _ => None,
    };
    match breaker.or(readiness.backend.unready_reason().await) {
        None => (
            StatusCode::OK,
            Json(Ready {
                ready: true,
                reason: None,
            }),
        ),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Ready {
                ready: false,
                reason: Some(reason),
            }),
        ),
    }
}

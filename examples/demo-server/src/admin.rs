//! `/admin/breaker`: read the circuit breaker's state, and force it from outside.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use circuit_breaker::BreakerHandle;
use error_mapping::{Problem, ProblemError};
use serde::Serialize;

/// The breaker as `GET /admin/breaker` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct BreakerView {
    name: String,
    state: String,
}

fn view(handle: &BreakerHandle) -> BreakerView {
    BreakerView {
        name: handle.name().to_owned(),
        state: format!("{:?}", handle.state()),
    }
}

/// `GET /admin/breaker`.
pub(crate) async fn show(State(handle): State<BreakerHandle>) -> Json<BreakerView> {
    Json(view(&handle))
}

/// `POST /admin/breaker/{force-open|disable|metrics-only|reset}`.
pub(crate) async fn act(
    State(handle): State<BreakerHandle>,
    Path(action): Path<String>,
) -> Result<(StatusCode, Json<BreakerView>), ProblemError> {
    let changed = match action.as_str() {
        "force-open" => handle.force_open(),
        "disable" => handle.disable(),
        "metrics-only" => handle.metrics_only(),
        "reset" => handle.reset(),
        other => {
            let detail = format!(
                "unknown action `{other}`: expected force-open, disable, metrics-only or reset"
            );
            return Err(ProblemError::new(
                Problem::new(StatusCode::NOT_FOUND).with_detail(detail),
            ));
        }
    };
    let status = if changed {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((status, Json(view(&handle))))
}

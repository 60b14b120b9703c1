//! axum responses for [`Problem`] and [`ProblemError`], so handlers can return them.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};

use crate::carried::CarriedProblem;
use crate::{Problem, ProblemError};

impl IntoResponse for ProblemError {
    /// The problem as `application/problem+json`. Under the error-mapping layer, the layer
    /// renders it again with the `request_id` and logs the error's chain.
    fn into_response(self) -> Response {
        let mut response = self.problem().to_response().into_response();
        response
            .extensions_mut()
            .insert(CarriedProblem(Arc::new(self)));
        response
    }
}

impl IntoResponse for Problem {
    /// The problem as `application/problem+json`, as for [`ProblemError`].
    fn into_response(self) -> Response {
        ProblemError::new(self).into_response()
    }
}

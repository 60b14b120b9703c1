//! The errors of the layer: every refusal is a [`Rejection`], returned as an
//! [`error_mapping::ProblemError`] inside the service's `BoxError`, with a stable `type` URI per
//! case so clients can branch on it.

use std::time::Duration;

use error_mapping::{GrpcCode, IntoProblem, Problem, ProblemError};
use http::StatusCode;

use crate::key::KeyError;
use crate::record::RecordError;

/// The prefix of every problem `type` this layer answers with.
pub const PROBLEM_TYPE_PREFIX: &str = "https://resync.dev/problems/idempotency/";

/// Why the layer answered instead of the handler (or alongside it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The `Idempotency-Key` header is missing where required, or is not a valid key (400).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The key was first used by a request with another method, path, headers or body (422).
    #[error("this idempotency key was first used with a different request")]
    FingerprintMismatch,
    /// The first request with this key is still running (409, with `Retry-After`).
    #[error("a request with this idempotency key is still in flight; retry after {retry_after:?}")]
    InFlight {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
    /// The first response was too large to keep, so it cannot be replayed (410).
    #[error("the response to the first request with this key was {status} but too large to keep")]
    NotRecorded {
        /// The status the first execution answered with.
        status: StatusCode,
    },
    /// The request body exceeds the limit (413); the handler did not run.
    #[error("the request body exceeds the limit of {limit} bytes")]
    RequestBodyTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// The request body could not be read; the handler did not run (400).
    #[error("the request body could not be read")]
    RequestBodyUnreadable,
    /// The budget for buffered bodies across all requests in flight is spent (503).
    #[error("the server is buffering too many request and response bodies; retry later")]
    BudgetExhausted,
    /// The store failed and the layer fails closed (503); the handler did not run.
    #[error("the idempotency store is unavailable")]
    StoreUnavailable,
    /// The stored record cannot be read by this build (500); never replayed as something else.
    #[error(transparent)]
    UnreadableRecord(#[from] RecordError),
}

impl Rejection {
    /// The stable problem `type` of this case, under [`PROBLEM_TYPE_PREFIX`].
    pub fn type_suffix(&self) -> &'static str {
        match self {
            Rejection::Key(KeyError::Missing { .. }) => "key-missing",
            Rejection::Key(KeyError::Repeated { .. }) => "key-repeated",
            Rejection::Key(KeyError::Empty) => "key-empty",
            Rejection::Key(KeyError::TooLong { .. }) => "key-too-long",
            Rejection::Key(KeyError::InvalidCharacter { .. }) => "key-invalid-character",
            Rejection::Key(KeyError::List) => "key-list",
            Rejection::Key(KeyError::Malformed { .. }) => "key-malformed",
            Rejection::FingerprintMismatch => "fingerprint-mismatch",
            Rejection::InFlight { .. } => "in-flight",
            Rejection::NotRecorded { .. } => "response-not-recorded",
            Rejection::RequestBodyTooLarge { .. } => "request-body-too-large",
            Rejection::RequestBodyUnreadable => "request-body-unreadable",
            Rejection::BudgetExhausted => "body-budget-exhausted",
            Rejection::StoreUnavailable => "store-unavailable",
            Rejection::UnreadableRecord(RecordError::UnknownVersion { .. }) => {
                "record-version-unknown"
            }
            Rejection::UnreadableRecord(_) => "record-corrupt",
        }
    }

    /// The HTTP status this case answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Key(_) | Rejection::RequestBodyUnreadable => StatusCode::BAD_REQUEST,
            Rejection::FingerprintMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::InFlight { .. } => StatusCode::CONFLICT,
            Rejection::NotRecorded { .. } => StatusCode::GONE,
            Rejection::RequestBodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BudgetExhausted | Rejection::StoreUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Rejection::UnreadableRecord(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Rejection::Key(KeyError::Missing { .. }) => "Idempotency key required",
            Rejection::Key(_) => "Invalid idempotency key",
            Rejection::FingerprintMismatch => "Idempotency key reused",
            Rejection::InFlight { .. } => "Request in flight",
            Rejection::NotRecorded { .. } => "Response not recorded",
            Rejection::RequestBodyTooLarge { .. } => "Request body too large",
            Rejection::RequestBodyUnreadable => "Request body unreadable",
            Rejection::BudgetExhausted => "Server busy",
            Rejection::StoreUnavailable => "Idempotency store unavailable",
            Rejection::UnreadableRecord(_) => "Idempotency record unreadable",
        }
    }
}

impl IntoProblem for Rejection {
    fn to_problem(&self) -> Problem {
        let problem = Problem::new(self.status())
            .with_type(format!("{PROBLEM_TYPE_PREFIX}{}", self.type_suffix()))
            .with_title(self.title())
            .with_grpc_code(self.grpc_code());
        // The detail of a 5xx stays generic: the cause is logged, never shown.
        let problem = if self.status().is_server_error() {
            problem
        } else {
            problem.with_detail(self.to_string())
        };
        match self {
            Rejection::InFlight { retry_after } => problem.with_retry_after(*retry_after),
            _ => problem,
        }
    }

    fn grpc_code(&self) -> GrpcCode {
        match self {
            Rejection::Key(_) => GrpcCode::InvalidArgument,
            Rejection::InFlight { .. } => GrpcCode::Aborted,
            Rejection::FingerprintMismatch | Rejection::NotRecorded { .. } => {
                GrpcCode::FailedPrecondition
            }
            other => GrpcCode::from_http_status(other.status()),
        }
    }
}

impl Rejection {
    /// This rejection as the layer returns it: a [`ProblemError`] in a `BoxError`.
    pub fn into_box_error(self) -> error_mapping::BoxError {
        Box::new(ProblemError::from(self))
    }
}

/// A configuration the layer refuses to be built with; names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid idempotency configuration: `{field}` {reason}")]
pub struct ConfigError {
    field: &'static str,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The field at fault, dotted relative to [`IdempotencyConfig`](crate::IdempotencyConfig)
    /// (e.g. `in_flight.max_wait`).
    pub fn field(&self) -> &str {
        self.field
    }

    /// What is wrong with the field.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_case_has_a_stable_type_and_a_status() {
        let in_flight = Rejection::InFlight {
            retry_after: Duration::from_millis(200),
        }
        .to_problem();
        assert_eq!(in_flight.status(), StatusCode::CONFLICT);
        assert_eq!(
            in_flight.type_uri(),
            "https://resync.dev/problems/idempotency/in-flight"
        );
        assert_eq!(in_flight.headers()[http::header::RETRY_AFTER], "1");
        assert_eq!(in_flight.grpc_code(), GrpcCode::Aborted);
        let mismatch = Rejection::FingerprintMismatch.to_problem();
        assert_eq!(mismatch.grpc_code(), GrpcCode::FailedPrecondition);
        let store = Rejection::StoreUnavailable.to_problem();
        assert_eq!(store.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(store.detail(), None);
        let key = Rejection::from(KeyError::Empty).to_problem();
        assert_eq!(key.status(), StatusCode::BAD_REQUEST);
        assert!(key.type_uri().ends_with("/key-empty"));
        assert_eq!(key.grpc_code(), GrpcCode::InvalidArgument);
    }

    #[test]
    fn boxed_rejections_downcast_to_problem_errors() {
        let boxed = Rejection::FingerprintMismatch.into_box_error();
        let problem = boxed.downcast_ref::<ProblemError>().unwrap().problem();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

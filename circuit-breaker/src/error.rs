//! Error types.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use error_mapping::{GrpcCode, IntoProblem, Problem};
use http::StatusCode;

use crate::State;

pub use error_mapping::BoxError;

/// The problem type URI of a call rejected by a breaker.
pub const CIRCUIT_OPEN_TYPE: &str = "https://resync.dev/problems/circuit-breaker/open";

/// A call rejected by a breaker without reaching the inner service: it is open, forced open, or
/// half-open with every probe slot taken.
///
/// The service returns it inside an [`error_mapping::ProblemError`] (as its source), which the
/// error-mapping layer renders as `503 Service Unavailable` with `Retry-After`; find it in a
/// [`BoxError`] with [`CircuitOpen::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitOpen {
    breaker: Arc<str>,
    state: State,
    retry_after: Option<Duration>,
}

impl CircuitOpen {
    pub(crate) fn new(breaker: Arc<str>, state: State, retry_after: Option<Duration>) -> Self {
        Self {
            breaker,
            state,
            retry_after,
        }
    }

    /// The name of the breaker that rejected the call.
    pub fn breaker(&self) -> &str {
        &self.breaker
    }

    /// The breaker's state when it rejected the call.
    pub fn state(&self) -> State {
        self.state
    }

    /// How long until the breaker lets calls through: the time left in an open breaker's
    /// wait; one second when half-open with every probe slot taken (the probes, usually quick,
    /// decide); `None` when forced open, which lasts until it is forced otherwise.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Finds a `CircuitOpen` in `error` or its chain of sources.
    pub fn find<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a CircuitOpen> {
        let mut next = Some(error);
        while let Some(error) = next {
            if let Some(open) = error.downcast_ref::<CircuitOpen>() {
                return Some(open);
            }
            next = error.source();
        }
        None
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker `{}` is {}: the call was rejected",
            self.breaker, self.state
        )
    }
}

impl Error for CircuitOpen {}

impl IntoProblem for CircuitOpen {
    /// `503` (gRPC `UNAVAILABLE`) with `Retry-After` in whole seconds, rounded up, at least 1.
    /// The breaker's name stays in the logs: clients learn only that a dependency is unavailable.
    fn to_problem(&self) -> Problem {
        let problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_type(CIRCUIT_OPEN_TYPE)
            .with_title("Dependency unavailable")
            .with_detail("a dependency is failing; calls to it are paused")
            .with_grpc_code(GrpcCode::Unavailable);
        match self.retry_after {
            Some(wait) => problem.with_retry_after(wait.max(Duration::from_secs(1))),
            None => problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use error_mapping::ProblemError;
    use http::header;

    use super::*;

    #[test]
    fn renders_as_503_with_retry_after_rounded_up() {
        let open = CircuitOpen::new("db".into(), State::Open, Some(Duration::from_millis(2_100)));
        let problem = open.to_problem();
        assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem.type_uri(), CIRCUIT_OPEN_TYPE);
        assert_eq!(problem.headers()[header::RETRY_AFTER], "3");
        assert_eq!(problem.grpc_code(), GrpcCode::Unavailable);
    }

    #[test]
    fn an_elapsed_wait_still_asks_for_a_second() {
        let open = CircuitOpen::new("db".into(), State::Open, Some(Duration::ZERO));
        assert_eq!(open.to_problem().headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn forced_open_has_no_retry_after() {
        let open = CircuitOpen::new("db".into(), State::ForcedOpen, None);
        assert!(
            open.to_problem()
                .headers()
                .get(header::RETRY_AFTER)
                .is_none()
        );
    }

    #[test]
    fn is_found_behind_a_problem_error() {
        let open = CircuitOpen::new("db".into(), State::HalfOpen, None);
        let boxed: BoxError = Box::new(ProblemError::from(open.clone()));
        assert_eq!(CircuitOpen::find(&*boxed), Some(&open));
    }
}

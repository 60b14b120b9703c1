//! What a call's result means to the breaker: success, failure, or not counted at all.

use std::time::Duration;

/// How one call's result counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The dependency did its job.
    Success,
    /// The dependency failed: counts toward the failure rate.
    Failure,
    /// Counted in neither rate (e.g. a 404 or a validation error: the caller's fault). An
    /// ignored half-open probe frees its slot for another.
    Ignored,
}

/// Classifies a call's result, and says whether it was slow.
///
/// Implemented for [`ServerErrorsAsFailures`] (HTTP), [`ErrorsAsFailures`] (any service), and
/// closures `Fn(Result<&Res, &E>) -> Outcome`:
///
/// ```
/// use circuit_breaker::Outcome;
/// use std::io;
///
/// let classify = |result: Result<&u16, &io::Error>| match result {
///     Err(error) if error.kind() == io::ErrorKind::InvalidInput => Outcome::Ignored,
///     Err(_) => Outcome::Failure,
///     Ok(_) => Outcome::Success,
/// };
/// # let _: &dyn circuit_breaker::Classify<u16, io::Error> = &classify;
/// ```
pub trait Classify<Res, E> {
    /// The outcome of a call that returned `result`.
    fn classify(&self, result: Result<&Res, &E>) -> Outcome;

    /// Whether a call that took `elapsed` is slow, given the configured slow-call duration
    /// (asked only when slow-call detection is on). Slow calls count toward the slow-call rate
    /// whatever their outcome.
    fn is_slow(&self, elapsed: Duration, threshold: Duration) -> bool {
        elapsed >= threshold
    }
}

impl<F, Res, E> Classify<Res, E> for F
where
    F: Fn(Result<&Res, &E>) -> Outcome,
{
    fn classify(&self, result: Result<&Res, &E>) -> Outcome {
        self(result)
    }
}

/// The default for HTTP: inner errors and `5xx` responses are failures, everything else a
/// success.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerErrorsAsFailures;

impl<B, E> Classify<http::Response<B>, E> for ServerErrorsAsFailures {
    fn classify(&self, result: Result<&http::Response<B>, &E>) -> Outcome {
        match result {
            Ok(response) if !response.status().is_server_error() => Outcome::Success,
            _ => Outcome::Failure,
        }
    }
}

/// The default for any service: an inner error is a failure, any response a success.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorsAsFailures;

impl<Res, E> Classify<Res, E> for ErrorsAsFailures {
    fn classify(&self, result: Result<&Res, &E>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use http::{Response, StatusCode};

    use super::*;

    fn response(status: StatusCode) -> Response<()> {
        Response::builder().status(status).body(()).unwrap()
    }

    #[test]
    fn server_errors_and_inner_errors_are_failures() {
        let classify = |result: Result<Response<()>, &str>| {
            Classify::<Response<()>, &str>::classify(&ServerErrorsAsFailures, result.as_ref())
        };
        assert_eq!(classify(Ok(response(StatusCode::OK))), Outcome::Success);
        assert_eq!(
            classify(Ok(response(StatusCode::NOT_FOUND))),
            Outcome::Success
        );
        assert_eq!(
            classify(Ok(response(StatusCode::BAD_GATEWAY))),
            Outcome::Failure
        );
        assert_eq!(classify(Err("refused")), Outcome::Failure);
    }

    #[test]
    fn slowness_defaults_to_the_threshold() {
        let threshold = Duration::from_millis(100);
        let is_slow = |elapsed| Classify::<(), ()>::is_slow(&ErrorsAsFailures, elapsed, threshold);
        assert!(is_slow(threshold));
        assert!(!is_slow(threshold / 2));
    }
}

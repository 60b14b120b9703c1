//! The one `tracing` event of each mapped error: `error` for a 5xx, `info` for a 4xx.

use std::any::Any;
use std::error::Error;
use std::fmt;

use crate::{Problem, RequestId};

/// What went wrong, as the log shows it (the client never sees it on a 5xx).
#[derive(Clone, Copy)]
pub(crate) enum Cause<'a> {
    /// An error of the inner service, with its chain of sources.
    Error(&'a (dyn Error + 'static)),
    /// A panic of the inner service, with its message when it has one.
    Panic(&'a (dyn Any + Send)),
    /// A bare error response of the inner service, rewritten into a problem.
    BareResponse,
}

/// Records one event for a problem answered to request `request_id`.
pub(crate) fn mapped(problem: &Problem, request_id: &RequestId, cause: Cause<'_>) {
    let status = problem.status().as_u16();
    let problem_type = problem.type_uri();
    if problem.status().is_server_error() {
        tracing::error!(
            request_id = %request_id,
            status,
            "type" = problem_type,
            title = problem.title(),
            error = %cause,
            "request failed",
        );
    } else {
        tracing::info!(
            request_id = %request_id,
            status,
            "type" = problem_type,
            title = problem.title(),
            error = %cause,
            "request rejected",
        );
    }
}

impl fmt::Display for Cause<'_> {
    /// The error chain joined by `: `, outermost first; the panic message; or the bare status.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cause::Error(error) => {
                write!(f, "{error}")?;
                let mut source = error.source();
                while let Some(error) = source {
                    write!(f, ": {error}")?;
                    source = error.source();
                }
                Ok(())
            }
            Cause::Panic(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("a panic with a non-text payload");
                write!(f, "panicked: {message}")
            }
            Cause::BareResponse => f.write_str("an error response without a body"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BoxError, ProblemError};

    #[test]
    fn the_chain_is_written_outermost_first() {
        let root = std::io::Error::other("connection reset");
        let error: BoxError = Box::new(ProblemError::with_source(
            Problem::new(http::StatusCode::BAD_GATEWAY),
            root,
        ));
        assert_eq!(
            Cause::Error(&*error).to_string(),
            "502 Bad Gateway: connection reset"
        );
    }

    #[test]
    fn panics_are_written_with_their_message() {
        let text: Box<dyn Any + Send> = Box::new("index out of bounds");
        let owned: Box<dyn Any + Send> = Box::new(String::from("boom 7"));
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(
            Cause::Panic(&*text).to_string(),
            "panicked: index out of bounds"
        );
        assert_eq!(Cause::Panic(&*owned).to_string(), "panicked: boom 7");
        assert_eq!(
            Cause::Panic(&*other).to_string(),
            "panicked: a panic with a non-text payload"
        );
    }
}

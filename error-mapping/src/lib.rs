//! The vocabulary of failure of resync-rs: an RFC 9457 [`Problem`] that every error of the stack
//! becomes.

mod problem;

pub use problem::{BoxError, IntoProblem, Problem, ProblemError};

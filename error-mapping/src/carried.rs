//! A problem riding in a response's extensions, for the layer to render with the request id.

use std::sync::Arc;

use crate::ProblemError;

/// The error behind a response that a handler already rendered as a problem.
///
/// A handler answers without knowing the request id; the error-mapping layer finds this
/// extension, renders the problem again with the id, and logs the error chain.
#[derive(Debug, Clone)]
pub(crate) struct CarriedProblem(pub(crate) Arc<ProblemError>);

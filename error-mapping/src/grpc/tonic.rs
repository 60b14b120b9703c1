//! `tonic::Status` for problems, for tonic handlers that answer with one.

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::{GrpcCode, Problem, ProblemError, RequestId};

impl From<GrpcCode> for Code {
    fn from(code: GrpcCode) -> Self {
        Code::from_i32(code as i32)
    }
}

impl From<Code> for GrpcCode {
    fn from(code: Code) -> Self {
        GrpcCode::from_i32(code as i32).unwrap_or(GrpcCode::Unknown)
    }
}

impl Problem {
    /// The status a tonic handler returns for this problem: its [`GrpcCode`], its detail (else
    /// its title) as the message, and the request id, when given, in the `x-request-id`
    /// metadata.
    ///
    /// ```
    /// use error_mapping::{GrpcCode, Problem};
    /// use http::StatusCode;
    ///
    /// let status = Problem::new(StatusCode::CONFLICT)
    ///     .with_grpc_code(GrpcCode::Aborted)
    ///     .with_detail("a request with this key is in flight")
    ///     .to_status(None);
    /// assert_eq!(status.code(), tonic::Code::Aborted);
    /// assert_eq!(status.message(), "a request with this key is in flight");
    /// ```
    pub fn to_status(&self, request_id: Option<&RequestId>) -> Status {
        let message = self.detail().unwrap_or(self.title());
        let mut status = Status::new(self.grpc_code().into(), message);
        if let Some(value) = request_id.and_then(|id| MetadataValue::try_from(id.as_str()).ok()) {
            status.metadata_mut().insert("x-request-id", value);
        }
        status
    }
}

impl From<Problem> for Status {
    fn from(problem: Problem) -> Self {
        problem.to_status(None)
    }
}

impl From<ProblemError> for Status {
    fn from(error: ProblemError) -> Self {
        error.problem().to_status(None)
    }
}

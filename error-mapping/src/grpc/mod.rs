//! gRPC status codes, and the one table that maps them to and from HTTP statuses.
//!
//! A [`Problem`](crate::Problem) shown to a gRPC client carries the code set by
//! [`Problem::with_grpc_code`](crate::Problem::with_grpc_code) when its type names one (an
//! in-flight duplicate is `ABORTED`, a fingerprint mismatch `FAILED_PRECONDITION`), else the code
//! its HTTP status maps to here. The table follows `google.rpc.Code`'s HTTP mapping; where several
//! codes share a status, the reverse direction picks the one marked.
//!
//! | code | number | HTTP status of the code | HTTP statuses mapped to the code |
//! |---|---|---|---|
//! | `OK` | 0 | 200 | (none: a problem is never a success) |
//! | `CANCELLED` | 1 | 499 | 499 |
//! | `UNKNOWN` | 2 | 500 | every status not listed here below 500, 1xx to 3xx included |
//! | `INVALID_ARGUMENT` | 3 | 400 | 400, 415, 422 |
//! | `DEADLINE_EXCEEDED` | 4 | 504 | 408, 504 |
//! | `NOT_FOUND` | 5 | 404 | 404, 410 |
//! | `ALREADY_EXISTS` | 6 | 409 | (none: 409 maps to `ABORTED`) |
//! | `PERMISSION_DENIED` | 7 | 403 | 403 |
//! | `RESOURCE_EXHAUSTED` | 8 | 429 | 413, 429 |
//! | `FAILED_PRECONDITION` | 9 | 400 | 412, 428 |
//! | `ABORTED` | 10 | 409 | 409 |
//! | `OUT_OF_RANGE` | 11 | 400 | 416 |
//! | `UNIMPLEMENTED` | 12 | 501 | 405, 501 |
//! | `INTERNAL` | 13 | 500 | 500, and every status from 500 up not listed here |
//! | `UNAVAILABLE` | 14 | 503 | 502, 503 |
//! | `DATA_LOSS` | 15 | 500 | (none) |
//! | `UNAUTHENTICATED` | 16 | 401 | 401 |
//!
//! 413 is `RESOURCE_EXHAUSTED` because that is what gRPC itself answers for a message over the
//! size limit; 405 is `UNIMPLEMENTED` because the method is not served at that path.

#[cfg(feature = "tonic")]
mod tonic;

use std::fmt;

use http::StatusCode;

/// A gRPC status code (`google.rpc.Code`); its number is its `i32` discriminant.
///
/// ```
/// use error_mapping::GrpcCode;
/// use http::StatusCode;
///
/// assert_eq!(GrpcCode::from_http_status(StatusCode::TOO_MANY_REQUESTS), GrpcCode::ResourceExhausted);
/// assert_eq!(GrpcCode::Unavailable.http_status(), StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(GrpcCode::Aborted as i32, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum GrpcCode {
    /// Not an error.
    Ok = 0,
    /// The caller cancelled the operation.
    Cancelled = 1,
    /// An error with no better code.
    Unknown = 2,
    /// The request is malformed, whatever the state of the system.
    InvalidArgument = 3,
    /// The deadline passed before the operation completed.
    DeadlineExceeded = 4,
    /// The entity asked for does not exist.
    NotFound = 5,
    /// The entity to create already exists.
    AlreadyExists = 6,
    /// The caller may not run this operation.
    PermissionDenied = 7,
    /// A quota or a size limit is spent.
    ResourceExhausted = 8,
    /// The system is not in the state the operation needs.
    FailedPrecondition = 9,
    /// The operation was aborted by a concurrency conflict; retry at a higher level.
    Aborted = 10,
    /// The operation went past a valid range.
    OutOfRange = 11,
    /// The operation is not implemented or not supported.
    Unimplemented = 12,
    /// An invariant of the server broke.
    Internal = 13,
    /// The service is unavailable for now; retrying may succeed.
    Unavailable = 14,
    /// Unrecoverable data loss or corruption.
    DataLoss = 15,
    /// The caller has no valid credentials.
    Unauthenticated = 16,
}

impl GrpcCode {
    /// Every code, in the order of their numbers.
    pub const ALL: [GrpcCode; 17] = [
        Self::Ok,
        Self::Cancelled,
        Self::Unknown,
        Self::InvalidArgument,
        Self::DeadlineExceeded,
        Self::NotFound,
        Self::AlreadyExists,
        Self::PermissionDenied,
        Self::ResourceExhausted,
        Self::FailedPrecondition,
        Self::Aborted,
        Self::OutOfRange,
        Self::Unimplemented,
        Self::Internal,
        Self::Unavailable,
        Self::DataLoss,
        Self::Unauthenticated,
    ];

    /// The code an HTTP status maps to (the last column of the table in [`crate::grpc`]).
    pub fn from_http_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 | 415 | 422 => Self::InvalidArgument,
            401 => Self::Unauthenticated,
            403 => Self::PermissionDenied,
            404 | 410 => Self::NotFound,
            405 | 501 => Self::Unimplemented,
            408 | 504 => Self::DeadlineExceeded,
            409 => Self::Aborted,
            412 | 428 => Self::FailedPrecondition,
            413 | 429 => Self::ResourceExhausted,
            416 => Self::OutOfRange,
            499 => Self::Cancelled,
            502 | 503 => Self::Unavailable,
            500.. => Self::Internal,
            _ => Self::Unknown,
        }
    }

    /// The HTTP status of this code (the third column of the table in [`crate::grpc`]).
    pub fn http_status(self) -> StatusCode {
        let status = match self {
            Self::Ok => 200,
            Self::Cancelled => 499,
            Self::Unknown | Self::Internal | Self::DataLoss => 500,
            Self::InvalidArgument | Self::FailedPrecondition | Self::OutOfRange => 400,
            Self::DeadlineExceeded => 504,
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Aborted => 409,
            Self::PermissionDenied => 403,
            Self::ResourceExhausted => 429,
            Self::Unimplemented => 501,
            Self::Unavailable => 503,
            Self::Unauthenticated => 401,
        };
        StatusCode::from_u16(status).expect("every status of the table is in 100..=999")
    }

    /// The code of number `code`, if there is one.
    pub fn from_i32(code: i32) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|index| Self::ALL.get(index).copied())
    }

    /// The code's name as `google.rpc.Code` spells it, e.g. `RESOURCE_EXHAUSTED`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Cancelled => "CANCELLED",
            Self::Unknown => "UNKNOWN",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::FailedPrecondition => "FAILED_PRECONDITION",
            Self::Aborted => "ABORTED",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::DataLoss => "DATA_LOSS",
            Self::Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

impl fmt::Display for GrpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table of the module docs, row by row: (status, code it maps to).
    const HTTP_TO_GRPC: &[(u16, GrpcCode)] = &[
        (200, GrpcCode::Unknown),
        (302, GrpcCode::Unknown),
        (400, GrpcCode::InvalidArgument),
        (401, GrpcCode::Unauthenticated),
        (403, GrpcCode::PermissionDenied),
        (404, GrpcCode::NotFound),
        (405, GrpcCode::Unimplemented),
        (406, GrpcCode::Unknown),
        (408, GrpcCode::DeadlineExceeded),
        (409, GrpcCode::Aborted),
        (410, GrpcCode::NotFound),
        (412, GrpcCode::FailedPrecondition),
        (413, GrpcCode::ResourceExhausted),
        (415, GrpcCode::InvalidArgument),
        (416, GrpcCode::OutOfRange),
        (422, GrpcCode::InvalidArgument),
        (428, GrpcCode::FailedPrecondition),
        (429, GrpcCode::ResourceExhausted),
        (499, GrpcCode::Cancelled),
        (500, GrpcCode::Internal),
        (501, GrpcCode::Unimplemented),
        (502, GrpcCode::Unavailable),
        (503, GrpcCode::Unavailable),
        (504, GrpcCode::DeadlineExceeded),
        (507, GrpcCode::Internal),
    ];

    #[test]
    fn http_statuses_map_as_the_table_says() {
        for &(status, code) in HTTP_TO_GRPC {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(GrpcCode::from_http_status(status), code, "{status}");
        }
    }

    #[test]
    fn every_error_code_maps_back_to_an_error_status_of_its_own_class() {
        for code in GrpcCode::ALL {
            let status = code.http_status();
            assert_eq!(code == GrpcCode::Ok, status.is_success(), "{code}");
            if code != GrpcCode::Ok
                && ![
                    GrpcCode::AlreadyExists,
                    GrpcCode::DataLoss,
                    GrpcCode::Unknown,
                    GrpcCode::FailedPrecondition,
                    GrpcCode::OutOfRange,
                ]
                .contains(&code)
            {
                assert_eq!(
                    GrpcCode::from_http_status(status),
                    code,
                    "{code} <-> {status}"
                );
            }
        }
    }

    #[test]
    fn numbers_round_trip_and_out_of_range_numbers_are_none() {
        for code in GrpcCode::ALL {
            assert_eq!(GrpcCode::from_i32(code as i32), Some(code));
        }
        assert_eq!(GrpcCode::from_i32(17), None);
        assert_eq!(GrpcCode::from_i32(-1), None);
        assert_eq!(
            GrpcCode::FailedPrecondition.to_string(),
            "FAILED_PRECONDITION"
        );
    }
}

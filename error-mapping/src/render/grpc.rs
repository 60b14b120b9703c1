//! A problem as a gRPC trailers-only response: HTTP 200, with `grpc-status` and `grpc-message`
//! in the headers and no body.

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::Full;

use crate::Problem;

/// The trailers-only response that shows `problem` to a gRPC client.
pub(super) fn response(problem: &Problem) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    let headers = response.headers_mut();
    headers.extend(problem.headers().clone());
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", HeaderValue::from(problem.grpc_code() as i32));
    let message = grpc_message(problem.detail().unwrap_or(problem.title()));
    if let Ok(message) = HeaderValue::from_str(&message) {
        headers.insert("grpc-message", message);
    }
    response
}

/// `message` percent-encoded as the gRPC protocol asks: every byte outside printable ASCII, and
/// `%` itself.
pub(crate) fn grpc_message(message: &str) -> String {
    let mut encoded = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (b' '..=b'~').contains(&byte) && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::GrpcCode;

    #[test]
    fn status_and_message_come_from_the_problem() {
        let problem = Problem::new(StatusCode::CONFLICT)
            .with_detail("100% busy: café")
            .with_grpc_code(GrpcCode::Aborted);
        let response = response(&problem);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/grpc");
        assert_eq!(response.headers()["grpc-status"], "10");
        assert_eq!(response.headers()["grpc-message"], "100%25 busy: caf%C3%A9");
    }

    #[test]
    fn without_detail_the_title_is_the_message() {
        let response = response(&Problem::new(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(response.headers()["grpc-status"], "14");
        assert_eq!(response.headers()["grpc-message"], "Service Unavailable");
    }
}

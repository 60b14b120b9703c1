//! Rendering a problem for the protocol of the request: problem+json, or a gRPC status.

mod grpc;
mod json;

use bytes::Bytes;
use http::{HeaderMap, Response, header};
use http_body_util::Full;

pub use json::PROBLEM_JSON;

use crate::{Problem, RequestId};

/// The protocol a request speaks, which decides how its problems are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// Plain HTTP: an `application/problem+json` body.
    Http,
    /// gRPC: a trailers-only response whose `grpc-status` comes from the problem.
    Grpc,
}

impl Wire {
    /// The protocol of a request with these headers.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        match headers.get(header::CONTENT_TYPE) {
            Some(content_type) if is_grpc(content_type.as_bytes()) => Self::Grpc,
            _ => Self::Http,
        }
    }

    /// The response that shows `problem` to the client.
    pub(crate) fn render(self, problem: &Problem, request_id: &RequestId) -> Response<Full<Bytes>> {
        match self {
            Self::Http => json::response(problem, Some(request_id)),
            Self::Grpc => grpc::response(problem),
        }
    }
}

/// `application/grpc` and its `+proto`-style variants; gRPC-Web is answered as plain HTTP.
fn is_grpc(content_type: &[u8]) -> bool {
    match content_type.strip_prefix(b"application/grpc") {
        Some(rest) => rest.is_empty() || rest.starts_with(b"+") || rest.starts_with(b";"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_is_told_apart_by_content_type() {
        for (content_type, wire) in [
            ("application/grpc", Wire::Grpc),
            ("application/grpc+proto", Wire::Grpc),
            ("application/grpc-web", Wire::Http),
            ("application/json", Wire::Http),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
            assert_eq!(Wire::of(&headers), wire, "{content_type}");
        }
        assert_eq!(Wire::of(&HeaderMap::new()), Wire::Http);
    }
}

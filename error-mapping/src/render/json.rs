//! The `application/problem+json` body of RFC 9457.

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::Full;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::{Problem, RequestId};

/// The media type of a problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl Serialize for Problem {
    /// The RFC 9457 members (`type`, `title`, `status`, then `detail` and `instance` when set),
    /// followed by the extension members.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ProblemBody {
            problem: self,
            request_id: None,
        }
        .serialize(serializer)
    }
}

impl Problem {
    /// The problem as an `application/problem+json` response, with its headers.
    ///
    /// The error-mapping layer renders problems itself (adding the `request_id`); this is for
    /// places that answer without it, such as axum's `HandleErrorLayer`.
    ///
    /// ```
    /// use error_mapping::Problem;
    /// use http::StatusCode;
    ///
    /// let response = Problem::new(StatusCode::NOT_FOUND).to_response();
    /// assert_eq!(response.status(), StatusCode::NOT_FOUND);
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// ```
    pub fn to_response(&self) -> Response<Full<Bytes>> {
        response(self, None)
    }
}

/// The problem's response, with `request_id` as an extension member when given.
pub(super) fn response(problem: &Problem, request_id: Option<&RequestId>) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(&ProblemBody {
        problem,
        request_id,
    })
    .expect("a problem of strings and JSON values always serializes");
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = problem.status();
    let headers = response.headers_mut();
    headers.extend(problem.headers().clone());
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// A problem body, with the request id the layer adds.
struct ProblemBody<'a> {
    problem: &'a Problem,
    request_id: Option<&'a RequestId>,
}

impl Serialize for ProblemBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let problem = self.problem;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", problem.type_uri())?;
        map.serialize_entry("title", problem.title())?;
        map.serialize_entry("status", &problem.status().as_u16())?;
        if let Some(detail) = problem.detail() {
            map.serialize_entry("detail", detail)?;
        }
        if let Some(instance) = problem.instance() {
            map.serialize_entry("instance", instance)?;
        }
        for (name, value) in problem.extensions() {
            map.serialize_entry(name, value)?;
        }
        if let Some(request_id) = self.request_id {
            map.serialize_entry("request_id", request_id.as_str())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_bare_problem_has_type_title_and_status() {
        let body = serde_json::to_value(Problem::new(StatusCode::NOT_FOUND)).unwrap();
        assert_eq!(
            body,
            json!({ "type": "about:blank", "title": "Not Found", "status": 404 })
        );
    }

    #[test]
    fn every_member_and_extension_is_written() {
        let problem = Problem::new(StatusCode::CONFLICT)
            .with_type("https://example.com/problems/in-flight")
            .with_title("Request in flight")
            .with_detail("retry later")
            .with_instance("/orders/7")
            .with_extension("attempts", 3);
        let body: Value = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            body,
            json!({
                "type": "https://example.com/problems/in-flight",
                "title": "Request in flight",
                "status": 409,
                "detail": "retry later",
                "instance": "/orders/7",
                "attempts": 3,
            })
        );
    }

    #[test]
    fn the_response_carries_status_headers_and_content_type() {
        let problem = Problem::new(StatusCode::TOO_MANY_REQUESTS)
            .with_retry_after(std::time::Duration::from_millis(1500));
        let response = problem.to_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}

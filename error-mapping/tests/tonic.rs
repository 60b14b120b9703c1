//! The gRPC rendering agrees with tonic's own, and problems convert to `tonic::Status`.

use error_mapping::{ErrorMappingLayer, GrpcCode, Problem, ProblemError, RequestId};
use http::{Request, Response, StatusCode, header};
use tower::{Layer, ServiceExt, service_fn};

/// The `RequestId` the layer hands to a handler with this header value.
async fn request_id_for(value: &str) -> RequestId {
    let service =
        ErrorMappingLayer::new().layer(service_fn(|request: Request<String>| async move {
            let id = request.extensions().get::<RequestId>().unwrap().clone();
            let mut response = Response::new(String::new());
            response.extensions_mut().insert(id);
            Ok::<_, std::convert::Infallible>(response)
        }));
    let request = Request::builder()
        .header("x-request-id", value)
        .body(String::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    response.extensions().get::<RequestId>().unwrap().clone()
}

#[test]
fn codes_convert_both_ways_for_every_code() {
    for code in GrpcCode::ALL {
        let tonic_code = tonic::Code::from(code);
        assert_eq!(tonic_code as i32, code as i32, "{code}");
        assert_eq!(GrpcCode::from(tonic_code), code);
    }
}

#[tokio::test]
async fn a_problem_becomes_a_status_with_code_message_and_request_id() {
    let id = request_id_for("grpc-req-9").await;
    let problem = Problem::new(StatusCode::CONFLICT)
        .with_grpc_code(GrpcCode::Aborted)
        .with_detail("in flight");
    let status = problem.to_status(Some(&id));
    assert_eq!(status.code(), tonic::Code::Aborted);
    assert_eq!(status.message(), "in flight");
    assert_eq!(status.metadata().get("x-request-id").unwrap(), "grpc-req-9");

    let status = tonic::Status::from(ProblemError::new(Problem::new(StatusCode::GATEWAY_TIMEOUT)));
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    assert_eq!(status.message(), "Gateway Timeout");
}

#[tokio::test]
async fn the_layer_renders_the_same_headers_as_tonic() {
    let problem =
        Problem::new(StatusCode::TOO_MANY_REQUESTS).with_detail("quota spent: 100% of 5/s");
    let expected: Response<()> = problem.to_status(None).into_http();

    let error = problem.clone();
    let service = ErrorMappingLayer::new().layer(service_fn(move |_: Request<String>| {
        let error = ProblemError::new(error.clone());
        async move { Err::<Response<String>, _>(error) }
    }));
    let request = Request::builder()
        .header(header::CONTENT_TYPE, "application/grpc")
        .body(String::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), expected.status());
    for name in ["grpc-status", "content-type"] {
        assert_eq!(response.headers()[name], expected.headers()[name], "{name}");
    }
    // tonic escapes more than the protocol requires (spaces, quotes); both decode the same.
    let message = |response_headers: &http::HeaderMap| {
        percent_decode(response_headers["grpc-message"].as_bytes())
    };
    assert_eq!(message(response.headers()), "quota spent: 100% of 5/s");
    assert_eq!(message(expected.headers()), "quota spent: 100% of 5/s");
}

/// Decodes the `%XX` escapes of a `grpc-message`.
fn percent_decode(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

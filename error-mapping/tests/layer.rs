//! The layer's own logic, driven through tower-test's mock service.

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use error_mapping::{ErrorMappingConfig, ErrorMappingLayer, Problem, ProblemError, RequestId};
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use support::{Logs, is_generated, problem_body, request, request_id};
use tokio_test::{assert_pending, assert_ready_ok};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_test::mock;

type Mock = (
    mock::Spawn<error_mapping::ErrorMapping<mock::Mock<Request<String>, Response<String>>>>,
    mock::Handle<Request<String>, Response<String>>,
);

fn spawn(layer: ErrorMappingLayer) -> Mock {
    mock::spawn_layer(layer)
}

#[tokio::test]
async fn a_valid_client_id_is_echoed_and_handed_to_the_inner_service() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(Some(b"client-id_42")));
    let (seen, send) = handle.next_request().await.unwrap();
    assert_eq!(seen.headers()["x-request-id"], "client-id_42");
    assert_eq!(
        seen.extensions().get::<RequestId>().unwrap().as_str(),
        "client-id_42"
    );
    send.send_response(Response::new("ok".into()));

    let response = response.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(request_id(&response), "client-id_42");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn a_missing_id_is_generated_and_handed_over_in_the_extensions() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(None));
    let (seen, send) = handle.next_request().await.unwrap();
    let handed = seen
        .extensions()
        .get::<RequestId>()
        .unwrap()
        .as_str()
        .to_owned();
    assert!(!seen.headers().contains_key("x-request-id"));
    send.send_response(Response::new("ok".into()));

    let echoed = request_id(&response.await.unwrap());
    assert_eq!(echoed, handed);
    assert!(is_generated(&echoed), "{echoed}");
}

#[tokio::test]
async fn invalid_client_ids_are_replaced() {
    let too_long = vec![b'a'; 129];
    let cases: [(&str, &[u8]); 6] = [
        ("too long", &too_long),
        ("tab", b"abc\tdef"),
        ("space", b"abc def"),
        ("quote", b"abc\"def"),
        ("non-ASCII", b"caf\xc3\xa9"),
        ("semicolon", b"a;b"),
    ];
    for (case, id) in cases {
        let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
        assert_ready_ok!(service.poll_ready());
        let response = service.call(request(Some(id)));
        let (seen, send) = handle.next_request().await.unwrap();
        let replacement = seen.headers()["x-request-id"].to_str().unwrap().to_owned();
        let handed = seen
            .extensions()
            .get::<RequestId>()
            .unwrap()
            .as_str()
            .to_owned();
        assert_eq!(handed, replacement, "{case}");
        send.send_response(Response::new(String::new()));
        let echoed = request_id(&response.await.unwrap());
        assert!(is_generated(&echoed), "{case}: {echoed}");
        assert_eq!(echoed, replacement, "{case}");
    }
}

#[tokio::test]
async fn the_length_limit_and_header_name_come_from_the_config() {
    let config = ErrorMappingConfig {
        request_id_header: "x-correlation-id".into(),
        request_id_max_len: 40,
        ..Default::default()
    };
    let layer = ErrorMappingLayer::from_config(&config).unwrap();
    for (id, kept) in [("a".repeat(40), true), ("a".repeat(41), false)] {
        let service = layer.layer(service_fn(|_: Request<String>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
        let request = Request::builder()
            .header("x-correlation-id", &id)
            .body(String::new())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let echoed = &response.headers()["x-correlation-id"];
        assert_eq!(echoed == id.as_str(), kept, "{id}");
        assert!(!response.headers().contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn an_inner_error_becomes_its_problem_with_headers() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(Some(b"r-1")));
    let (_, send) = handle.next_request().await.unwrap();
    let problem = Problem::new(StatusCode::CONFLICT)
        .with_type("https://example.com/problems/in-flight")
        .with_title("Request in flight")
        .with_detail("the first request with this key is still running")
        .with_extension("retry_in_ms", 1500)
        .with_retry_after(std::time::Duration::from_millis(1500));
    send.send_error(ProblemError::new(problem));

    let response = response.await.unwrap();
    assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    let (status, body) = problem_body(response).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "https://example.com/problems/in-flight");
    assert_eq!(body["title"], "Request in flight");
    assert_eq!(
        body["detail"],
        "the first request with this key is still running"
    );
    assert_eq!(body["retry_in_ms"], 1500);
    assert_eq!(body["request_id"], "r-1");
}

#[tokio::test]
async fn server_errors_never_show_the_inner_text_but_log_it_once_with_the_id() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let secret = "password=hunter2 rejected by 10.0.0.7";
    let errors: [error_mapping::BoxError; 2] = [
        Box::new(std::io::Error::other(secret)),
        Box::new(ProblemError::with_source(
            Problem::new(StatusCode::SERVICE_UNAVAILABLE),
            std::io::Error::other(secret),
        )),
    ];
    for error in errors {
        let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
        assert_ready_ok!(service.poll_ready());
        let response = service.call(request(Some(b"masked-1")));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_error(error);
        let (status, body) = problem_body(response.await.unwrap()).await;
        assert!(status.is_server_error());
        assert!(!body.to_string().contains("hunter2"), "{body}");
        assert!(body.get("detail").is_none(), "{body}");
    }
    let lines = logs.lines();
    let failures: Vec<_> = lines
        .iter()
        .filter(|line| line.contains("request failed"))
        .collect();
    assert_eq!(failures.len(), 2, "{lines:#?}");
    for line in failures {
        assert!(line.contains("ERROR"), "{line}");
        assert!(line.contains("request_id=masked-1"), "{line}");
        assert!(line.contains("hunter2"), "{line}");
    }
}

#[tokio::test]
async fn client_errors_are_logged_at_info_with_status_and_type() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(Some(b"info-1")));
    let (_, send) = handle.next_request().await.unwrap();
    let problem =
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY).with_type("https://example.com/p/mismatch");
    send.send_error(ProblemError::with_source(
        problem,
        std::io::Error::other("fingerprint ab != cd"),
    ));
    problem_body(response.await.unwrap()).await;

    let lines = logs.lines();
    let events: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("request rejected"))
        .collect();
    assert_eq!(events.len(), 1, "{lines:#?}");
    let line = events[0];
    for part in [
        " INFO ",
        "request_id=info-1",
        "status=422",
        "type=\"https://example.com/p/mismatch\"",
        "fingerprint ab != cd",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
}

#[tokio::test]
async fn a_readiness_error_answers_the_next_call_without_reaching_the_inner_service() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    handle.allow(0);
    assert_pending!(service.poll_ready());
    handle.send_error(tower::load_shed::error::Overloaded::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(Some(b"ready-1"))).await.unwrap();
    let (status, _) = problem_body(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    handle.allow(1);
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(None));
    let (_, send) = handle.next_request().await.unwrap();
    send.send_response(Response::new(String::new()));
    assert_eq!(response.await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_clone_does_not_inherit_a_readiness_error() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    handle.send_error(std::io::Error::other("closed"));
    assert_ready_ok!(service.poll_ready());
    let mut clone = service.get_ref().clone();
    handle.allow(1);
    std::future::poll_fn(|cx| clone.poll_ready(cx))
        .await
        .unwrap();
    let response = clone.call(request(None));
    let (_, send) = handle.next_request().await.unwrap();
    send.send_response(Response::new(String::new()));
    assert_eq!(response.await.unwrap().status(), StatusCode::OK);
    let original = service.call(request(None)).await.unwrap();
    assert_eq!(original.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn bare_error_responses_are_rewritten_keeping_their_headers() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let response = service.call(request(Some(b"bare-1")));
    let (_, send) = handle.next_request().await.unwrap();
    let bare = Response::builder()
        .status(StatusCode::METHOD_NOT_ALLOWED)
        .header(header::ALLOW, "GET,HEAD")
        .body(String::new())
        .unwrap();
    send.send_response(bare);
    let response = response.await.unwrap();
    assert_eq!(response.headers()[header::ALLOW], "GET,HEAD");
    let (status, body) = problem_body(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["title"], "Method Not Allowed");
    assert_eq!(body["type"], "about:blank");
}

#[tokio::test]
async fn error_responses_with_a_body_or_rewriting_off_pass_untouched() {
    let off = ErrorMappingConfig {
        rewrite_bare_responses: false,
        ..Default::default()
    };
    let cases = [
        (ErrorMappingLayer::from_config(&off).unwrap(), ""),
        (ErrorMappingLayer::new(), "no such order"),
    ];
    for (layer, text) in cases {
        let (mut service, mut handle) = spawn(layer);
        assert_ready_ok!(service.poll_ready());
        let response = service.call(request(Some(b"pass-1")));
        let (_, send) = handle.next_request().await.unwrap();
        let mut inner = Response::new(text.to_owned());
        *inner.status_mut() = StatusCode::NOT_FOUND;
        send.send_response(inner);
        let response = response.await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(request_id(&response), "pass-1");
        assert!(!response.headers().contains_key(header::CONTENT_TYPE));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, text);
    }
}

/// A future that panics when polled.
struct PanicOnPoll;

impl Future for PanicOnPoll {
    type Output = Result<Response<String>, Infallible>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        panic!("invariant broken while answering")
    }
}

#[tokio::test]
async fn panics_in_call_and_in_the_future_become_500s_with_the_request_id() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let in_call = ErrorMappingLayer::new().layer(service_fn(|_: Request<String>| -> PanicOnPoll {
        panic!("invariant broken before answering")
    }));
    let in_future = ErrorMappingLayer::new().layer(service_fn(|_: Request<String>| PanicOnPoll));
    for (id, expect_echo) in [(&b"panic-1"[..], true), (&b"bad id"[..], false)] {
        for response in [
            in_call.clone().oneshot(request(Some(id))).await.unwrap(),
            in_future.clone().oneshot(request(Some(id))).await.unwrap(),
        ] {
            let echoed = request_id(&response);
            assert_eq!(echoed.as_bytes() == id, expect_echo);
            assert!(expect_echo || is_generated(&echoed), "{echoed}");
            let (status, body) = problem_body(response).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(!body.to_string().contains("invariant"), "{body}");
        }
    }
    let lines = logs.lines();
    let panics: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("panicked: invariant broken"))
        .collect();
    assert_eq!(panics.len(), 4, "{lines:#?}");
}

#[tokio::test]
async fn grpc_requests_get_a_grpc_status_with_the_request_id() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let mut grpc = request(Some(b"grpc-1"));
    grpc.headers_mut()
        .insert(header::CONTENT_TYPE, "application/grpc".parse().unwrap());
    let response = service.call(grpc);
    let (_, send) = handle.next_request().await.unwrap();
    send.send_error(ProblemError::with_source(
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR),
        std::io::Error::other("secret"),
    ));
    let response = response.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/grpc");
    assert_eq!(response.headers()["grpc-status"], "13");
    assert_eq!(response.headers()["grpc-message"], "Internal Server Error");
    assert_eq!(request_id(&response), "grpc-1");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.is_empty());
}

#[tokio::test]
async fn the_inner_service_runs_inside_a_span_with_the_request_id() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let service = ErrorMappingLayer::new().layer(service_fn(|_: Request<String>| async {
        tracing::info!("handler ran");
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    service.oneshot(request(Some(b"span-7"))).await.unwrap();
    let lines = logs.lines();
    let line = lines.iter().find(|l| l.contains("handler ran")).unwrap();
    assert!(line.contains("request{request_id=span-7}"), "{line}");
}

#[tokio::test]
async fn a_grpc_call_to_an_unrouted_method_is_unimplemented() {
    let (mut service, mut handle) = spawn(ErrorMappingLayer::new());
    assert_ready_ok!(service.poll_ready());
    let mut grpc = request(Some(b"grpc-2"));
    grpc.headers_mut()
        .insert(header::CONTENT_TYPE, "application/grpc".parse().unwrap());
    let response = service.call(grpc);
    let (_, send) = handle.next_request().await.unwrap();
    let mut not_found = Response::new(String::new());
    *not_found.status_mut() = StatusCode::NOT_FOUND;
    send.send_response(not_found);
    let response = response.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "12");
    assert_eq!(request_id(&response), "grpc-2");
}

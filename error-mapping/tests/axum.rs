//! An axum router behind the layer: a handler error, a timeout, a panic and an unknown route
//! all come out as problem+json with the request id.

mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path};
use axum::routing::{get, post};
use error_mapping::{ErrorMappingLayer, Problem, ProblemError, RequestId};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use support::{problem_body, request_id};
use tower::timeout::TimeoutLayer;
use tower::{ServiceBuilder, ServiceExt};

async fn order(
    Path(id): Path<String>,
    Extension(request_id): Extension<RequestId>,
) -> Result<String, ProblemError> {
    match id.as_str() {
        "missing" => Err(ProblemError::new(
            Problem::new(StatusCode::NOT_FOUND)
                .with_type("https://example.com/problems/no-such-order")
                .with_title("No such order")
                .with_detail("order `missing` does not exist"),
        )),
        "broken" => Err(ProblemError::with_source(
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR),
            std::io::Error::other("orders table is corrupt at page 77"),
        )),
        _ => Ok(format!("order {id} for request {request_id}")),
    }
}

fn router() -> Router {
    Router::new()
        .route("/orders/{id}", get(order))
        .route("/orders", post(|| async { "created" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
}

async fn send(method: &str, uri: &str) -> http::Response<error_mapping::ResponseBody<Body>> {
    let service = ServiceBuilder::new()
        .layer(ErrorMappingLayer::new())
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .service(router());
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-request-id", "axum-1")
        .body(Body::empty())
        .unwrap();
    service.oneshot(request).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn every_failure_of_the_router_is_problem_json() {
    let cases = [
        (
            "GET",
            "/orders/missing",
            StatusCode::NOT_FOUND,
            "No such order",
        ),
        (
            "GET",
            "/orders/broken",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        ),
        (
            "GET",
            "/slow",
            StatusCode::GATEWAY_TIMEOUT,
            "Gateway Timeout",
        ),
        (
            "GET",
            "/panic",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        ),
        ("GET", "/no/such/route", StatusCode::NOT_FOUND, "Not Found"),
        (
            "DELETE",
            "/orders",
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        ),
    ];
    for (method, uri, expected, title) in cases {
        let (status, body) = problem_body(send(method, uri).await).await;
        assert_eq!(status, expected, "{method} {uri}");
        assert_eq!(body["title"], title, "{method} {uri}");
        assert_eq!(body["request_id"], "axum-1", "{method} {uri}");
        let text = body.to_string();
        assert!(
            !text.contains("corrupt") && !text.contains("handler bug"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_handler_problem_keeps_its_detail_and_type() {
    let (_, body) = problem_body(send("GET", "/orders/missing").await).await;
    assert_eq!(body["type"], "https://example.com/problems/no-such-order");
    assert_eq!(body["detail"], "order `missing` does not exist");
}

#[tokio::test]
async fn a_405_keeps_its_allow_header() {
    let response = send("DELETE", "/orders").await;
    assert_eq!(response.headers()[header::ALLOW], "POST");
}

#[tokio::test]
async fn handlers_read_the_request_id_and_successes_pass_through() {
    let response = send("GET", "/orders/7").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(request_id(&response), "axum-1");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "order 7 for request axum-1");
}

#[tokio::test]
async fn the_layer_also_works_under_router_layer() {
    let app = router().layer(ErrorMappingLayer::new());
    for (uri, expected) in [
        ("/panic", StatusCode::INTERNAL_SERVER_ERROR),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), expected, "{uri}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{uri}"
        );
    }
}

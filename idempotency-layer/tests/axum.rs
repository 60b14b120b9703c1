//! axum: the layer under `Router::layer`, behind error-mapping, scoped by the user an
//! authentication middleware put in the request extensions; and the same stack wrapped around the
//! whole router.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ErrorMappingLayer;
use http_body_util::BodyExt;
use idempotency_layer::IdempotencyLayer;
use tower::{ServiceBuilder, ServiceExt};

#[derive(Clone)]
struct User(String);

/// Stands for an authentication layer: the user comes from a bearer token.
async fn authenticate(mut request: Request, next: Next) -> Response {
    let user = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| User(token.to_owned()));
    if let Some(user) = user {
        request.extensions_mut().insert(user);
    }
    next.run(request).await
}

async fn create_order(State(calls): State<Arc<AtomicU64>>, body: Bytes) -> (StatusCode, String) {
    let id = calls.fetch_add(1, Ordering::SeqCst) + 1;
    (
        StatusCode::CREATED,
        format!("order {id} for {} bytes", body.len()),
    )
}

fn app(calls: &Arc<AtomicU64>) -> Router {
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(1_000)
            .build_store(),
    );
    let idempotency = IdempotencyLayer::builder(store)
        .principal(|parts: &http::request::Parts| {
            parts
                .extensions
                .get::<User>()
                .map(|u| Bytes::from(u.0.clone()))
        })
        .build()
        .unwrap();
    Router::new()
        .route("/orders", post(create_order))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(authenticate))
                .layer(ErrorMappingLayer::new())
                .layer(idempotency),
        )
        .with_state(Arc::clone(calls))
}

fn order(user: &str, key: &str, body: &'static str) -> Request {
    Request::post("/orders")
        .header("authorization", format!("Bearer {user}"))
        .header("idempotency-key", key)
        .body(Body::from(body))
        .unwrap()
}

async fn send(app: &Router, request: Request) -> (StatusCode, http::HeaderMap, Bytes) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test]
async fn retries_replay_per_user() {
    let calls = Arc::new(AtomicU64::new(0));
    let app = app(&calls);
    let (status, _, first) = send(&app, order("alice", "\"k1\"", "{\"sku\":1}")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, headers, again) = send(&app, order("alice", "\"k1\"", "{\"sku\":1}")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again, first);
    let (_, _, bob) = send(&app, order("bob", "\"k1\"", "{\"sku\":1}")).await;
    assert_ne!(bob, first, "bob's key is his own");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn rejections_render_as_problem_json() {
    let calls = Arc::new(AtomicU64::new(0));
    let app = app(&calls);
    let (status, headers, body) = send(&app, order("alice", "\"unterminated", "{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        problem["type"],
        "https://resync.dev/problems/idempotency/key-malformed"
    );
    send(&app, order("alice", "\"k\"", "{\"sku\":1}")).await;
    let (status, _, body) = send(&app, order("alice", "\"k\"", "{\"sku\":2}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        problem["type"],
        "https://resync.dev/problems/idempotency/fingerprint-mismatch"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// What `axum::serve` asks of the service it serves.
fn servable<S>(_: &S)
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
}

#[tokio::test]
async fn the_stack_can_wrap_the_whole_router_and_cover_the_routes_its_predicate_names() {
    let calls = Arc::new(AtomicU64::new(0));
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(1_000)
            .build_store(),
    );
    let idempotency = IdempotencyLayer::builder(store)
        .predicate(|parts: &http::request::Parts| parts.uri.path() == "/orders")
        .build()
        .unwrap();
    let router = Router::new()
        .route("/orders", post(create_order))
        .route("/carts", post(create_order))
        .with_state(Arc::clone(&calls));
    let service = ServiceBuilder::new()
        .map_response(axum::response::IntoResponse::into_response)
        .layer(ErrorMappingLayer::new())
        .layer(idempotency)
        .service(router);
    servable(&service);
    let send = |path: &'static str| {
        let request = Request::post(path)
            .header("idempotency-key", "\"k\"")
            .body(Body::from("{\"sku\":1}"))
            .unwrap();
        service.clone().oneshot(request)
    };

    let first = send("/orders").await.unwrap();
    let retry = send("/orders").await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let first = first.into_body().collect().await.unwrap().to_bytes();
    let retry = retry.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(retry, first);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    for _ in 0..2 {
        let cart = send("/carts").await.unwrap();
        assert!(!cart.headers().contains_key("idempotent-replayed"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "/carts is not covered");
}

//! The breaker in an axum router behind error mapping, as an application mounts it with
//! `Router::layer`: a failing handler trips it, the open breaker answers `503`
//! problem+json with `Retry-After` without calling the handler, and after the wait the probes
//! close it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State as Shared;
use axum::routing::get;
use circuit_breaker::error::CIRCUIT_OPEN_TYPE;
use circuit_breaker::{
    BreakerHandle, CircuitBreakerConfig, CircuitBreakerLayer, ServiceBuilderExt, State, TokioClock,
    WaitConfig, WindowConfig,
};
use error_mapping::ErrorMappingLayer;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::Semaphore;
use tower::{ServiceBuilder, ServiceExt};

/// The dependency behind the handler: healthy or not, and how often it was reached.
#[derive(Clone)]
struct Dependency {
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    /// Each call waits for a permit, so a test can hold calls in flight.
    gate: Arc<Semaphore>,
}

impl Dependency {
    fn new() -> Self {
        Self {
            healthy: Arc::new(AtomicBool::new(false)),
            calls: Arc::default(),
            gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

async fn inventory(Shared(dependency): Shared<Dependency>) -> Result<&'static str, StatusCode> {
    dependency.calls.fetch_add(1, Ordering::SeqCst);
    dependency.gate.acquire().await.unwrap().forget();
    if dependency.healthy.load(Ordering::SeqCst) {
        Ok("in stock")
    } else {
        Err(StatusCode::BAD_GATEWAY)
    }
}

/// Window 4, minimum 4, 50%, a 10s wait and two probes, over paused tokio time.
fn app(dependency: &Dependency) -> (Router, BreakerHandle) {
    let config = CircuitBreakerConfig {
        name: "inventory".into(),
        window: WindowConfig::Count { size: 4 },
        minimum_calls: 4,
        wait: WaitConfig::Fixed {
            duration: Duration::from_secs(10),
        },
        half_open_probes: 2,
        ..CircuitBreakerConfig::default()
    };
    let breaker = CircuitBreakerLayer::builder(config)
        .clock(TokioClock::new())
        .build()
        .unwrap();
    let handle = breaker.handle();
    let router = Router::new()
        .route("/inventory", get(inventory))
        .with_state(dependency.clone())
        .layer(
            ServiceBuilder::new()
                .layer(ErrorMappingLayer::new())
                .circuit_breaker(breaker),
        );
    (router, handle)
}

async fn get_inventory(router: &Router) -> Response<Body> {
    let request = Request::get("/inventory").body(Body::empty()).unwrap();
    router.clone().oneshot(request).await.unwrap()
}

async fn json(response: Response<Body>) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

/// Fails four calls in a row: the breaker opens.
async fn trip(router: &Router, handle: &BreakerHandle) {
    for _ in 0..4 {
        assert_eq!(
            get_inventory(router).await.status(),
            StatusCode::BAD_GATEWAY
        );
    }
    assert_eq!(handle.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn a_failing_handler_trips_it_and_the_probes_close_it() {
    let dependency = Dependency::new();
    let (router, handle) = app(&dependency);
    trip(&router, &handle).await;

    let response = get_inventory(&router).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(response.headers()[header::RETRY_AFTER], "10");
    let problem = json(response).await;
    assert_eq!(problem["type"], CIRCUIT_OPEN_TYPE);
    assert_eq!(problem["status"], 503);
    assert_eq!(
        dependency.calls(),
        4,
        "the open breaker did not call the handler"
    );

    tokio::time::advance(Duration::from_secs(4)).await;
    let response = get_inventory(&router).await;
    assert_eq!(response.headers()[header::RETRY_AFTER], "6");

    dependency.healthy.store(true, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(handle.state(), State::HalfOpen);
    assert_eq!(get_inventory(&router).await.status(), StatusCode::OK);
    assert_eq!(handle.state(), State::HalfOpen, "one probe of two done");
    assert_eq!(get_inventory(&router).await.status(), StatusCode::OK);
    assert_eq!(handle.state(), State::Closed);
    assert_eq!(dependency.calls(), 6);
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_get_exactly_the_probes_through() {
    let dependency = Dependency::new();
    let (router, handle) = app(&dependency);
    trip(&router, &handle).await;
    tokio::time::advance(Duration::from_secs(10)).await;

    dependency.healthy.store(true, Ordering::SeqCst);
    dependency.gate.forget_permits(Semaphore::MAX_PERMITS);
    let requests: Vec<_> = (0..5)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(async move { get_inventory(&router).await.status() })
        })
        .collect();
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(dependency.calls(), 6, "two probes reached the handler");

    dependency.gate.add_permits(2);
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::SERVICE_UNAVAILABLE,
        ]
    );
    assert_eq!(handle.state(), State::Closed);
}

//! `cargo xtask bench idempotency`: what the layer adds to an axum route, beside axum-idempotent.
//!
//! Five systems serve one axum `POST /orders` route in this process: the bare router; the router
//! under a no-op layer (what `Router::layer` itself costs); `IdempotencyLayer` (on cache-core's
//! in-memory store) under `Router::layer`, and again wrapped around the whole router as a tower
//! layer, which spares axum's per-route boxing; and the router under axum-idempotent 0.6 with the
//! ruts session layer (moka store) and cookie layer it needs. Each serves three workloads with a
//! 1 KiB JSON body: a first execution (a fresh key per request), a replay (one key, already
//! recorded) and a request without a key. Requests are built before the clock starts; each is sent
//! through `oneshot` and its response body read to the end.
//!
//! The systems take turns: each round serves one batch on every system, so drift on a shared
//! machine hits them alike. The table and `idempotency.json` report the median over the rounds of
//! the time per request, and of the time each layer adds over the bare router in the same round.
//! `BENCH_QUICK=1` shrinks the run to seconds. `BENCH_ONLY=<workload>/<system>` (a whole pair,
//! e.g. `replay (1 KiB)/idempotency-layer`, or else a substring of pairs) serves only the matching
//! pairs, every other one being set up alike but left idle, so that an instruction count
//! (`valgrind --tool=callgrind`) of one run minus that of the bare router's run is what the layer
//! costs.

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum_idempotent::{IdempotentLayer, IdempotentOptions};
use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ProblemError;
use http_body_util::BodyExt;
use idempotency_layer::{Idempotency, IdempotencyLayer};
use ruts::store::Ttl;
use ruts::store::moka::MokaStore;
use ruts::{CookieOptions, Session, SessionLayer};
use serde::Serialize;
use tower::{Layer, Service, ServiceExt};
use tower_cookies::CookieManagerLayer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Bare,
    NoOpLayer,
    IdempotencyLayer,
    AroundRouter,
    AxumIdempotent,
}

impl System {
    const ALL: [System; 5] = [
        System::Bare,
        System::NoOpLayer,
        System::IdempotencyLayer,
        System::AroundRouter,
        System::AxumIdempotent,
    ];

    fn name(self) -> &'static str {
        match self {
            System::Bare => "axum (bare)",
            System::NoOpLayer => "axum + no-op layer",
            System::IdempotencyLayer => "idempotency-layer",
            System::AroundRouter => "idempotency-layer (around the router)",
            System::AxumIdempotent => "axum-idempotent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    FirstExecution,
    Replay,
    PassThrough,
}

impl Workload {
    const ALL: [Workload; 3] = [
        Workload::FirstExecution,
        Workload::Replay,
        Workload::PassThrough,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::FirstExecution => "first execution (1 KiB)",
            Workload::Replay => "replay (1 KiB)",
            Workload::PassThrough => "no key (pass-through)",
        }
    }
}

#[derive(Debug, Serialize)]
struct Row {
    workload: &'static str,
    system: &'static str,
    ns_per_request: f64,
    added_ns_per_request: Option<f64>,
    added_over_no_op_layer_ns: Option<f64>,
    requests: usize,
    rounds: usize,
}

async fn create_order(body: Bytes) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!("{{\"order\":42,\"received\":{}}}", body.len()),
    )
}

async fn login(session: Session<MokaStore>) -> &'static str {
    let ttl = Ttl::new(3600).expect("a valid ttl");
    session
        .set("user", &String::from("bench"), ttl, None)
        .await
        .expect("the session is stored");
    "ok"
}

/// The idempotency layer on cache-core's in-memory store.
fn idempotency() -> IdempotencyLayer {
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(1_000_000)
            .build_store(),
    );
    IdempotencyLayer::builder(store)
        .build()
        .expect("valid config")
}

/// The router of `system`, finalized with `with_state(())` as `axum::serve` and
/// `into_make_service` do once per connection (otherwise axum would build the route, and apply
/// every layer, again on each request).
fn router(system: System) -> Router {
    let routes = Router::new().route("/orders", post(create_order));
    let router = match system {
        System::Bare | System::AroundRouter => routes,
        // What `Router::layer` costs by itself: any layer pays it.
        System::NoOpLayer => routes.layer(tower::layer::util::Identity::new()),
        System::IdempotencyLayer => {
            let layer = idempotency();
            routes.layer(tower::layer::layer_fn(move |route| {
                Render(layer.layer(route))
            }))
        }
        System::AxumIdempotent => {
            let store = Arc::new(MokaStore::builder().build());
            let options = IdempotentOptions::default().use_idempotency_key_header(None, false);
            let session = SessionLayer::new(store).with_cookie_options(
                CookieOptions::build()
                    .name("session")
                    .max_age(3600)
                    .path("/"),
            );
            routes
                .route("/login", post(login))
                .layer(IdempotentLayer::<MokaStore>::new(options))
                .layer(session)
                .layer(CookieManagerLayer::new())
        }
    };
    router.with_state(())
}

/// What serves the requests of one system: a router, or a router inside the idempotency layer.
#[derive(Clone)]
enum Served {
    Router(Router),
    Wrapped(Render<Idempotency<Router>>),
}

impl Served {
    fn new(system: System) -> Self {
        let router = router(system);
        match system {
            System::AroundRouter => Served::Wrapped(Render(idempotency().layer(router))),
            _ => Served::Router(router),
        }
    }

    async fn serve(&self, request: Request<Body>) -> axum::response::Response {
        let response = match self {
            Served::Router(router) => router.clone().oneshot(request).await,
            Served::Wrapped(service) => service.clone().oneshot(request).await,
        };
        response.unwrap_or_else(|never| match never {})
    }
}

/// The session cookie a client of axum-idempotent holds (its responses are kept per session).
async fn session_cookie(served: &Served) -> HeaderValue {
    let request = Request::post("/login").body(Body::empty()).unwrap();
    let response = served.serve(request).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|c| c.to_str().ok()?.split(';').next().map(str::to_owned))
        .expect("a session cookie");
    HeaderValue::from_str(&cookie).unwrap()
}

fn requests(
    workload: Workload,
    count: usize,
    body: &Bytes,
    cookie: Option<&HeaderValue>,
) -> Vec<Request<Body>> {
    (0..count)
        .map(|i| {
            let mut builder = Request::post("/orders").header("content-type", "application/json");
            if let Some(cookie) = cookie {
                builder = builder.header("cookie", cookie);
            }
            match workload {
                Workload::FirstExecution => {
                    builder = builder.header("idempotency-key", format!("\"order-{i}\""));
                }
                Workload::Replay => {
                    builder = builder.header("idempotency-key", "\"order-replayed\"")
                }
                Workload::PassThrough => {}
            }
            builder.body(Body::from(body.clone())).unwrap()
        })
        .collect()
}

/// One system ready to serve one workload: its router, and the requests of every round, built
/// before the clock starts.
struct Bench {
    served: Served,
    batches: Vec<Vec<Request<Body>>>,
}

impl Bench {
    async fn new(
        system: System,
        workload: Workload,
        rounds: usize,
        batch: usize,
        body: &Bytes,
    ) -> Self {
        let served = Served::new(system);
        let cookie = match system {
            System::AxumIdempotent => Some(session_cookie(&served).await),
            _ => None,
        };
        let mut all = requests(workload, rounds * batch + 1, body, cookie.as_ref());
        let warm_up = all.pop().expect("one request more than the rounds need");
        let warmed = served.serve(warm_up).await;
        assert_eq!(warmed.status(), StatusCode::CREATED);
        warmed.into_body().collect().await.unwrap();
        let mut batches = Vec::with_capacity(rounds);
        while !all.is_empty() {
            let rest = all.split_off(batch);
            batches.push(std::mem::replace(&mut all, rest));
        }
        Self { served, batches }
    }

    /// Serves the next batch; nanoseconds per request.
    async fn round(&mut self) -> f64 {
        let batch = self.batches.pop().expect("a batch per round");
        let count = batch.len();
        let start = Instant::now();
        for request in batch {
            let response = self.served.serve(request).await;
            debug_assert_eq!(response.status(), StatusCode::CREATED);
            std::hint::black_box(response.into_body().collect().await.unwrap());
        }
        start.elapsed().as_nanos() as f64 / count as f64
    }
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Renders the layer's errors as the responses axum wants, as error-mapping does, without its
/// other work: the smallest adapter an axum user needs.
#[derive(Debug, Clone)]
struct Render<S>(S);

impl<S, B> Service<Request<Body>> for Render<S>
where
    S: Service<Request<Body>, Response = axum::http::Response<B>, Error = tower::BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Rendered<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The layer's readiness is the route's, which never fails.
        self.0.poll_ready(cx).map(|_| Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        Rendered {
            future: self.0.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    struct Rendered<F> {
        #[pin]
        future: F,
    }
}

impl<F, B> Future for Rendered<F>
where
    F: Future<Output = Result<axum::http::Response<B>, tower::BoxError>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError>,
{
    type Output = Result<axum::response::Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(self.project().future.poll(cx));
        Poll::Ready(Ok(match result {
            Ok(response) => response.into_response(),
            Err(error) => match error.downcast_ref::<ProblemError>() {
                Some(problem) => problem.problem().to_response().into_response(),
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
        }))
    }
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (rounds, batch) = if quick { (9, 200) } else { (41, 1_000) };
    let body = Bytes::from(format!("{{\"sku\":\"{}\"}}", "x".repeat(1024 - 10)));
    assert_eq!(body.len(), 1024);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let only = std::env::var("BENCH_ONLY").ok();
    let pair =
        |workload: Workload, system: System| format!("{}/{}", workload.name(), system.name());
    let exact = Workload::ALL.into_iter().any(|workload| {
        System::ALL
            .into_iter()
            .any(|system| only.as_deref() == Some(pair(workload, system).as_str()))
    });
    let selected = |workload: Workload, system: System| {
        only.as_deref().is_none_or(|only| match exact {
            true => pair(workload, system) == only,
            false => pair(workload, system).contains(only),
        })
    };
    let mut rows = Vec::new();
    for workload in Workload::ALL {
        if !System::ALL
            .into_iter()
            .any(|system| selected(workload, system))
        {
            continue;
        }
        let mut benches: Vec<Bench> = System::ALL
            .into_iter()
            .map(|system| runtime.block_on(Bench::new(system, workload, rounds, batch, &body)))
            .collect();
        let mut samples: [Vec<f64>; System::ALL.len()] = Default::default();
        let mut added: [Vec<f64>; System::ALL.len()] = Default::default();
        let mut over_no_op: [Vec<f64>; System::ALL.len()] = Default::default();
        for _ in 0..rounds {
            let ns: Vec<f64> = benches
                .iter_mut()
                .zip(System::ALL)
                .map(|(bench, system)| match selected(workload, system) {
                    true => runtime.block_on(bench.round()),
                    false => f64::NAN,
                })
                .collect();
            for i in 0..System::ALL.len() {
                samples[i].push(ns[i]);
                added[i].push(ns[i] - ns[0]);
                over_no_op[i].push(ns[i] - ns[1]);
            }
        }
        for (i, system) in System::ALL.into_iter().enumerate() {
            let layered = system != System::Bare;
            // Only the systems under `Router::layer` pay what the no-op layer measures.
            let under_router_layer =
                matches!(system, System::IdempotencyLayer | System::AxumIdempotent);
            rows.push(Row {
                workload: workload.name(),
                system: system.name(),
                ns_per_request: median(&mut samples[i]),
                added_ns_per_request: layered.then(|| median(&mut added[i])),
                added_over_no_op_layer_ns: under_router_layer.then(|| median(&mut over_no_op[i])),
                requests: rounds * batch,
                rounds,
            });
        }
    }
    print_table(&rows);
    write_json(&rows);
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<26} {:<38} {:>11} {:>10} {:>13} {:>13}",
        "workload", "system", "ns/request", "added ns", "over no-op ns", "peer/this"
    );
    let show = |value: Option<f64>| value.map_or(String::from("-"), |v| format!("{v:.0}"));
    for row in rows {
        let peer = rows
            .iter()
            .find(|r| r.workload == row.workload && r.system == System::AxumIdempotent.name())
            .and_then(|r| r.added_ns_per_request);
        let ours = [System::IdempotencyLayer, System::AroundRouter]
            .iter()
            .any(|system| row.system == system.name());
        let ratio = match (ours, peer, row.added_ns_per_request) {
            (true, Some(peer), Some(this)) if this > 0.0 => format!("{:.1}x", peer / this),
            _ => String::from("-"),
        };
        println!(
            "{:<26} {:<38} {:>11.0} {:>10} {:>13} {:>13}",
            row.workload,
            row.system,
            row.ns_per_request,
            show(row.added_ns_per_request),
            show(row.added_over_no_op_layer_ns),
            ratio
        );
    }
}

fn write_json(rows: &[Row]) {
    let dir = std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("the bench output directory can be created");
    let path = dir.join("idempotency.json");
    let json = serde_json::to_string_pretty(rows).expect("rows serialize");
    std::fs::write(&path, json).expect("the results can be written");
    println!("\nwrote {}", path.display());
}

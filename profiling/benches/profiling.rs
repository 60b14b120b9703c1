//! The HTTP metrics layer's cost per request inside an axum router, beside `axum-prometheus`, with
//! a Prometheus recorder installed. Run with `cargo xtask bench profiling`.
//!
//! Each system serves the same router and the same requests; handlers answer at once, so a request
//! is polled to completion without a runtime. Systems are interleaved round by round and the
//! median round is kept. Time is the thread's time on a CPU (`/proc/thread-self/schedstat`, where
//! the kernel has it), so time spent descheduled on a shared machine is not counted; wall-clock
//! time is reported beside it. The layer's cost is its time per request minus the bare router's;
//! the no-op layer row shows how much of that any layer applied with `Router::layer` pays (axum
//! boxes and clones the layered route service per request), and the "required work alone" row
//! what a layer doing only this one's mandatory work pays (the route template looked up, two
//! clock reads, one histogram record, the in-flight gauge up and down): the floor here.
//! Rows go to `$BENCH_OUT_DIR/profiling.json`.
//!
//! `BENCH_ONLY=<system>` (a substring of a system's name) serves the workloads on the matching
//! systems only, once, every system being set up alike, and writes no rows: an instruction count
//! (`valgrind --tool=callgrind`) of that run minus the bare router's is what the layer costs.

use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Method, Request, StatusCode};
use axum::routing::get;
use metrics::{Gauge, Histogram};
use pin_project_lite::pin_project;
use profiling::{HttpMetricsLayer, ProfilingConfig};
use serde_json::json;
use tower::Service;
use tower::layer::layer_fn;
use tower::layer::util::Identity;

const BASELINE: &str = "axum (no metrics)";
const NOOP: &str = "axum + no-op layer";
const FLOOR: &str = "required work alone";
const OURS: &str = "profiling";
const PEER: &str = "axum-prometheus";

fn routes() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|| async { "a user" }).post(|| async { StatusCode::CREATED }),
        )
        .route("/users/{id}/orders", get(|| async { "orders" }))
        .route("/health", get(|| async { "ok" }))
        .route("/fail", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
}

/// The work the layer must do per request and nothing more, as if every request had one label
/// set: the route template looked up, two clock reads, one histogram record and the in-flight
/// gauge up and down, applied with the same `Router::layer`. No label set is built or looked up,
/// no slow-request check runs: the floor any such layer pays on this machine.
#[derive(Clone)]
struct RequiredWork<S> {
    inner: S,
    handles: Arc<Handles>,
}

/// What a request records into, shared by the clones of one layered route.
struct Handles {
    clock: quanta::Clock,
    histogram: Histogram,
    gauge: Gauge,
}

impl<S> RequiredWork<S> {
    fn new(inner: S) -> Self {
        let handles = Handles {
            clock: quanta::Clock::new(),
            histogram: metrics::histogram!("floor.request.duration"),
            gauge: metrics::gauge!("floor.active_requests"),
        };
        Self {
            inner,
            handles: Arc::new(handles),
        }
    }
}

impl<S, B> Service<Request<B>> for RequiredWork<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        black_box(request.extensions().get::<MatchedPath>());
        self.handles.gauge.increment(1.0);
        Recorded {
            start: self.handles.clock.now(),
            inner: self.inner.call(request),
            handles: Arc::clone(&self.handles),
        }
    }
}

pin_project! {
    /// [`RequiredWork`]'s response future: records when the inner one is ready.
    struct Recorded<F> {
        #[pin]
        inner: F,
        start: quanta::Instant,
        handles: Arc<Handles>,
    }
}

impl<F: Future> Future for Recorded<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        let handles = &**this.handles;
        let elapsed = handles.clock.now().duration_since(*this.start);
        handles.histogram.record(elapsed.as_secs_f64());
        handles.gauge.decrement(1.0);
        Poll::Ready(output)
    }
}

/// The requests of one workload, sent in turn.
fn workloads() -> Vec<(&'static str, Vec<(Method, &'static str)>)> {
    vec![
        ("GET /users/{id} -> 200", vec![(Method::GET, "/users/42")]),
        (
            "mixed: 4 routes, GET/POST, 200/201/404/503",
            vec![
                (Method::GET, "/users/42"),
                (Method::POST, "/users/7"),
                (Method::GET, "/users/42/orders"),
                (Method::GET, "/health"),
                (Method::GET, "/nowhere"),
                (Method::GET, "/fail"),
                (Method::GET, "/users/9"),
                (Method::GET, "/health"),
            ],
        ),
    ]
}

/// Polls a future that its handler completes at once.
fn complete<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the bench handlers answer without waiting"),
    }
}

/// Nanoseconds this thread has spent on a CPU, when the kernel says.
fn on_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// CPU and wall nanoseconds per request of `router` over `count` requests cycling through
/// `requests` (CPU falls back to wall where the kernel does not report it).
fn run(router: &mut Router, requests: &[(Method, &str)], count: usize) -> (f64, f64) {
    let cpu_start = on_cpu_nanos();
    let start = Instant::now();
    for (method, uri) in requests.iter().cycle().take(count) {
        let request = Request::builder()
            .method(method.clone())
            .uri(*uri)
            .body(Body::empty())
            .expect("a valid request");
        black_box(complete(router.call(request)).expect("routers do not fail"));
    }
    let wall = start.elapsed().as_nanos() as f64;
    let cpu = match (cpu_start, on_cpu_nanos()) {
        (Some(start), Some(end)) => (end - start) as f64,
        _ => wall,
    };
    (cpu / count as f64, wall / count as f64)
}

/// Serves `count` requests of each workload on the systems whose name contains `only`, printing
/// their time per request.
fn serve_only(systems: &mut [(&str, Router)], only: &str, count: usize) {
    for (workload, requests) in workloads() {
        for (system, router) in systems.iter_mut().filter(|(name, _)| name.contains(only)) {
            let (on_cpu, _) = run(router, &requests, count);
            println!("{workload:<44} {system:<20} {on_cpu:>12.0} ns/request");
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn out_dir() -> PathBuf {
    std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    )
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (count, rounds) = if quick { (2_000, 3) } else { (200_000, 9) };

    let config = ProfilingConfig::default();
    let recorder = profiling::prometheus::builder(&config)
        .expect("default buckets are valid")
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("no recorder installed yet");
    profiling::describe::all();

    // Each router is finalized with `with_state(())`, as `axum::serve` and `into_make_service`
    // do once per connection; without it, axum would build every route (and apply every layer)
    // again on each request.
    let mut systems: Vec<(&str, Router)> = vec![
        (BASELINE, routes()),
        (NOOP, routes().layer(Identity::new())),
        (FLOOR, routes().layer(layer_fn(RequiredWork::new))),
        (
            OURS,
            routes().layer(HttpMetricsLayer::from_config(&config).unwrap()),
        ),
        (
            PEER,
            routes().layer(axum_prometheus::PrometheusMetricLayer::new()),
        ),
    ]
    .into_iter()
    .map(|(name, router)| (name, router.with_state(())))
    .collect();

    if let Ok(only) = std::env::var("BENCH_ONLY") {
        serve_only(&mut systems, &only, count * rounds);
        return;
    }

    let mut rows = Vec::new();
    println!(
        "{:<44} {:<20} {:>12} {:>14} {:>9} {:>12}",
        "workload", "system", "ns/request", "layer cost ns", "vs peer", "wall ns/req"
    );
    for (workload, requests) in workloads() {
        let mut cpu = vec![Vec::new(); systems.len()];
        let mut wall = vec![Vec::new(); systems.len()];
        for (_, router) in &mut systems {
            run(router, &requests, count / 10);
        }
        for _ in 0..rounds {
            for (i, (_, router)) in systems.iter_mut().enumerate() {
                let (on_cpu, elapsed) = run(router, &requests, count);
                cpu[i].push(on_cpu);
                wall[i].push(elapsed);
            }
            handle.run_upkeep();
        }
        let ns: Vec<f64> = cpu.into_iter().map(median).collect();
        let wall: Vec<f64> = wall.into_iter().map(median).collect();
        let cost = |i: usize| ns[i] - ns[0];
        let peer = systems.len() - 1;
        for (i, (system, _)) in systems.iter().enumerate() {
            let vs_peer = if i == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}x", cost(i) / cost(peer))
            };
            println!(
                "{workload:<44} {system:<20} {:>12.0} {:>14.0} {vs_peer:>9} {:>12.0}",
                ns[i],
                cost(i),
                wall[i]
            );
            rows.push(json!({
                "workload": workload,
                "system": system,
                "ns_per_request": ns[i].round(),
                "layer_cost_ns": cost(i).round(),
                "wall_ns_per_request": wall[i].round(),
            }));
        }
    }

    let dir = out_dir();
    std::fs::create_dir_all(&dir).expect("the bench output directory can be created");
    let path = dir.join("profiling.json");
    let text = serde_json::to_string_pretty(&rows).expect("rows serialize");
    std::fs::write(&path, text).expect("the bench output can be written");
    println!("\nrows written to {}", path.display());
}

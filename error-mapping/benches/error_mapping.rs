//! The error-mapping layer's cost on the success path, request id included, over the bare
//! service, beside tower-http's request-id layers (`SetRequestId` + `PropagateRequestId` with
//! UUIDs) doing the id part alone, and beside the required work alone (an id put in the
//! request's extensions and the response's header, nothing else): the floor any such layer pays.
//!
//! Every service answers at once, so a request is one `poll_ready`, one `call` and one poll of
//! the future, run in a tight loop; each timing is the median of several repeats, and the
//! systems take turns within each repeat so a noisy neighbour hurts all of them alike.
//!
//! The machine's cores may be shared with other work, so two clocks are read: the wall clock,
//! and the thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`, which leaves out the time the
//! thread waited to be scheduled). `ns_per_request` is the CPU-time figure where the platform
//! gives it, else the wall clock. Rows go to `$BENCH_OUT_DIR/error_mapping.json`
//! (`BENCH_QUICK=1` shrinks the loops to a smoke run).

use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use cpu_time::ThreadTime;
use error_mapping::{ErrorMappingLayer, Problem, ProblemError};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Empty;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// The handler: answers at once with an empty 200, or with a problem when told to fail.
#[derive(Clone, Copy)]
struct Handler {
    fail: bool,
}

impl Service<Request<()>> for Handler {
    type Response = Response<Empty<Bytes>>;
    type Error = ProblemError;
    type Future = Ready<Result<Self::Response, ProblemError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ProblemError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        if self.fail {
            let problem = Problem::new(StatusCode::CONFLICT).with_title("Request in flight");
            ready(Err(ProblemError::new(problem)))
        } else {
            ready(Ok(Response::new(Empty::new())))
        }
    }
}

/// The work the layer must do on the success path and nothing more: an id (the client's when it
/// is valid, else one formatted from a counter) put in the request's extensions and the
/// response's header. No span, panic guard or error mapping: the floor any layer with these
/// duties pays on this machine, against which the layer's own overhead shows.
#[derive(Clone, Copy)]
struct RequiredWork {
    inner: Handler,
    counter: u64,
}

/// The id as [`RequiredWork`] stores it in the request's extensions.
#[derive(Clone)]
struct FloorId(#[expect(dead_code, reason = "stored for handlers, never read here")] HeaderValue);

impl Service<Request<()>> for RequiredWork {
    type Response = Response<Empty<Bytes>>;
    type Error = ProblemError;
    type Future = Ready<Result<Self::Response, ProblemError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProblemError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<()>) -> Self::Future {
        let valid = |id: &&HeaderValue| {
            id.len() <= 64
                && id
                    .as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        };
        let id = match request.headers().get("x-request-id").filter(valid) {
            Some(id) => id.clone(),
            None => {
                self.counter += 1;
                let mut text = [0; 32];
                for (i, digit) in text.iter_mut().enumerate() {
                    let nibble = (u128::from(self.counter) >> (4 * (31 - i))) & 0xF;
                    *digit = b"0123456789abcdef"[nibble as usize];
                }
                HeaderValue::from_bytes(&text).expect("hex digits")
            }
        };
        request.extensions_mut().insert(FloorId(id.clone()));
        let mut result = self.inner.call(request).into_inner();
        if let Ok(response) = &mut result {
            response.headers_mut().insert("x-request-id", id);
        }
        ready(result)
    }
}

/// What the client sends: no id, or a valid one.
#[derive(Clone, Copy)]
enum Workload {
    GeneratedId,
    ClientId,
    ErrorToProblem,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::GeneratedId => "success, id generated",
            Self::ClientId => "success, client id echoed",
            Self::ErrorToProblem => "inner error -> problem+json",
        }
    }

    fn request(self) -> Request<()> {
        let mut request = Request::new(());
        if matches!(self, Self::ClientId) {
            request.headers_mut().insert(
                "x-request-id",
                HeaderValue::from_static("6f1c2a9e-5b7d-4c3e-8a21-0d9e4f7b6c55"),
            );
        }
        request
    }
}

/// Nanoseconds per request, by the two clocks.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: Option<f64>,
}

/// Runs `iterations` requests through `service`, returning the mean time per request.
fn time<S, B, E>(service: &mut S, workload: Workload, iterations: u32) -> Sample
where
    S: Service<Request<()>, Response = Response<B>, Error = E>,
    E: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    let cpu_start = ThreadTime::try_now().ok();
    let start = Instant::now();
    for _ in 0..iterations {
        assert!(service.poll_ready(&mut cx).is_ready());
        let future = pin!(service.call(workload.request()));
        match future.poll(&mut cx) {
            Poll::Ready(response) => drop(black_box(response)),
            Poll::Pending => unreachable!("every service here answers at once"),
        }
    }
    let wall = start.elapsed().as_nanos() as f64;
    let cpu = cpu_start.map(|start| start.elapsed().as_nanos() as f64);
    let per_request = |ns: f64| ns / f64::from(iterations);
    Sample {
        wall: per_request(wall),
        cpu: cpu.map(per_request),
    }
}

type Run = Box<dyn FnMut(Workload, u32) -> Sample>;

fn system<S, B, E>(mut service: S) -> Run
where
    S: Service<Request<()>, Response = Response<B>, Error = E> + 'static,
    E: std::fmt::Debug,
{
    Box::new(move |workload, iterations| time(&mut service, workload, iterations))
}

/// The median of each clock over the repeats.
fn median(samples: &[Sample]) -> Sample {
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let cpu: Option<Vec<f64>> = samples.iter().map(|s| s.cpu).collect();
    Sample {
        wall: middle(samples.iter().map(|s| s.wall).collect()),
        cpu: cpu.map(middle),
    }
}

/// One line of the results.
struct Row {
    workload: &'static str,
    system: &'static str,
    time: Sample,
}

impl Row {
    /// The figure reported: CPU time where known, else wall time.
    fn ns(&self) -> f64 {
        self.time.cpu.unwrap_or(self.time.wall)
    }
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (iterations, repeats) = if quick { (2_000, 3) } else { (200_000, 21) };
    let handler = Handler { fail: false };

    let mut rows = Vec::new();
    for workload in [Workload::GeneratedId, Workload::ClientId] {
        let mut systems: Vec<(&str, Run)> = vec![
            ("bare service", system(handler)),
            (
                "error-mapping",
                system(ErrorMappingLayer::new().layer(handler)),
            ),
            (
                "required work alone",
                system(RequiredWork {
                    inner: handler,
                    counter: 0,
                }),
            ),
            (
                "tower-http request-id (uuid)",
                system(
                    ServiceBuilder::new()
                        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                        .layer(PropagateRequestIdLayer::x_request_id())
                        .service(handler),
                ),
            ),
        ];
        let mut samples = vec![Vec::new(); systems.len()];
        for run in &mut systems {
            run.1(workload, iterations / 10);
        }
        for _ in 0..repeats {
            for (samples, (_, run)) in samples.iter_mut().zip(&mut systems) {
                samples.push(run(workload, iterations));
            }
        }
        for ((system, _), samples) in systems.iter().zip(samples) {
            rows.push(Row {
                workload: workload.name(),
                system,
                time: median(&samples),
            });
        }
    }
    let mut failing = system(ErrorMappingLayer::new().layer(Handler { fail: true }));
    failing(Workload::ErrorToProblem, iterations / 10);
    let samples: Vec<_> = (0..repeats)
        .map(|_| failing(Workload::ErrorToProblem, iterations / 4))
        .collect();
    rows.push(Row {
        workload: Workload::ErrorToProblem.name(),
        system: "error-mapping",
        time: median(&samples),
    });

    print_table(&rows);
    write_rows(&rows);
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<28} {:<29} {:>10} {:>10} {:>8} {:>12}",
        "workload", "system", "ns/req", "added", "wall ns", "wall added"
    );
    for row in rows {
        let bare = rows
            .iter()
            .find(|bare| bare.workload == row.workload && bare.system == "bare service");
        let added = |ns: f64, bare_ns: f64| format!("{:.1}", ns - bare_ns);
        let (cpu_added, wall_added) = bare.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |bare| {
                (
                    added(row.ns(), bare.ns()),
                    added(row.time.wall, bare.time.wall),
                )
            },
        );
        println!(
            "{:<28} {:<29} {:>10.1} {:>10} {:>8.1} {:>12}",
            row.workload,
            row.system,
            row.ns(),
            cpu_added,
            row.time.wall,
            wall_added
        );
    }
    let clock = match rows.first().and_then(|row| row.time.cpu) {
        Some(_) => "the thread's CPU time",
        None => "the wall clock (no per-thread CPU time here)",
    };
    println!("ns/req and added: by {clock}; added: over the bare service, same workload");
}

fn write_rows(rows: &[Row]) {
    let json: Vec<_> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "workload": row.workload,
                "system": row.system,
                "ns_per_request": row.ns(),
                "wall_ns_per_request": row.time.wall,
            })
        })
        .collect();
    let dir = std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("the bench output directory can be created");
    let path = dir.join("error_mapping.json");
    let text = serde_json::to_string_pretty(&json).expect("rows serialize");
    std::fs::write(&path, text).expect("the bench output file can be written");
    println!("\nrows written to {}", path.display());
}

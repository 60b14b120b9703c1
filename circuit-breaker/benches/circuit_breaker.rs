//! Closed-state cost per call of `circuit-breaker` over the bare service, beside
//! `tower-resilience`'s circuit breaker on the same workload, with slow-call detection off and on
//! (every call succeeds: the healthy steady state), and with one call in 50 failing (which keeps
//! the window from being all successes, so nearly every outcome is recorded under the lock).
//!
//! Each call is `poll_ready`, `call` and one poll of an immediately ready future, driven by hand
//! with a no-op waker, so the numbers are the layers' own cost. Systems are measured in many
//! short interleaved rounds, each timed by the thread's CPU clock (so time spent descheduled
//! on a shared machine is not counted); `ns_per_request` is the best round, and the table also
//! shows the median round. `BENCH_QUICK=1` runs fewer rounds.
//! Rows `{workload, system, ns_per_request}` go to `$BENCH_OUT_DIR/circuit_breaker.json`.

use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, ErrorsAsFailures, WindowConfig};
use tower::{Layer, Service};
use tower_resilience_circuitbreaker::CircuitBreakerLayer as ResilienceLayer;

/// The bare service: answers at once, failing one request in `fail_every` when set.
#[derive(Clone, Copy)]
struct Echo {
    fail_every: Option<u64>,
}

impl Service<u64> for Echo {
    type Response = u64;
    type Error = std::io::Error;
    type Future = Ready<Result<u64, std::io::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: u64) -> Self::Future {
        match self.fail_every {
            Some(every) if request.is_multiple_of(every) => {
                ready(Err(std::io::Error::other("flaky")))
            }
            _ => ready(Ok(request)),
        }
    }
}

/// One measured setting.
struct Workload {
    name: &'static str,
    slow_calls: bool,
    echo: Echo,
}

/// Nanoseconds per call over `calls` calls of `service`.
fn measure<S>(service: &mut S, calls: u64) -> f64
where
    S: Service<u64, Response = u64>,
    S::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    let stopwatch = Stopwatch::start();
    for request in 0..calls {
        match service.poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {}
            other => panic!("not ready: {other:?}"),
        }
        let future = pin!(service.call(black_box(request)));
        match future.poll(&mut cx) {
            Poll::Ready(result) => {
                black_box(result.is_ok());
            }
            Poll::Pending => panic!("an immediately ready call is pending"),
        }
    }
    stopwatch.elapsed().as_nanos() as f64 / calls as f64
}

/// Times a round by the thread's CPU clock on Linux, by the wall clock elsewhere.
struct Stopwatch(Duration);

impl Stopwatch {
    fn start() -> Self {
        Self(Self::now())
    }

    fn elapsed(&self) -> Duration {
        Self::now() - self.0
    }

    #[cfg(target_os = "linux")]
    fn now() -> Duration {
        let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
    }

    #[cfg(not(target_os = "linux"))]
    fn now() -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

type Measured = Box<dyn FnMut(u64) -> f64>;

fn ours(workload: &Workload) -> Measured {
    let config = CircuitBreakerConfig {
        name: "bench".into(),
        window: WindowConfig::Count { size: 100 },
        slow_call_duration: workload.slow_calls.then_some(Duration::from_secs(1)),
        ..Default::default()
    };
    let layer = CircuitBreakerLayer::builder(config)
        .classify(ErrorsAsFailures)
        .build()
        .expect("valid configuration");
    let mut service = layer.layer(workload.echo);
    Box::new(move |calls| measure(&mut service, calls))
}

fn tower_resilience(workload: &Workload) -> Measured {
    let mut builder = ResilienceLayer::builder()
        .failure_rate_threshold(0.5)
        .sliding_window_size(100)
        .minimum_number_of_calls(100);
    if workload.slow_calls {
        builder = builder
            .slow_call_duration_threshold(Duration::from_secs(1))
            .slow_call_rate_threshold(1.0);
    }
    let layer = builder.build().expect("valid configuration");
    let mut service = layer.layer(workload.echo);
    Box::new(move |calls| measure(&mut service, calls))
}

struct Row {
    workload: &'static str,
    system: &'static str,
    ns_per_request: f64,
    median: f64,
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (rounds, calls) = if quick { (20, 5_000) } else { (300, 20_000) };

    let healthy = Echo { fail_every: None };
    let workloads = [
        Workload {
            name: "closed, slow-call detection off",
            slow_calls: false,
            echo: healthy,
        },
        Workload {
            name: "closed, slow-call detection on",
            slow_calls: true,
            echo: healthy,
        },
        Workload {
            name: "closed, 2% failures, slow-call off",
            slow_calls: false,
            echo: Echo {
                fail_every: Some(50),
            },
        },
    ];

    let mut rows = Vec::new();
    for workload in &workloads {
        let echo = workload.echo;
        let mut systems: Vec<(&'static str, Measured, Vec<f64>)> = vec![
            (
                "bare service",
                Box::new(move |calls| measure(&mut { echo }, calls)),
                Vec::new(),
            ),
            ("circuit-breaker", ours(workload), Vec::new()),
            ("tower-resilience", tower_resilience(workload), Vec::new()),
        ];
        for (_, run, _) in &mut systems {
            run(calls);
        }
        for _ in 0..rounds {
            for (_, run, samples) in &mut systems {
                samples.push(run(calls));
            }
        }
        for (system, _, mut samples) in systems {
            samples.sort_by(f64::total_cmp);
            rows.push(Row {
                workload: workload.name,
                system,
                ns_per_request: samples[0],
                median: samples[samples.len() / 2],
            });
        }
    }
    print_table(&rows, quick);
    write_json(&rows);
}

fn print_table(rows: &[Row], quick: bool) {
    println!(
        "\ncircuit_breaker: closed-state cost per call{}",
        if quick { " (quick run)" } else { "" }
    );
    println!(
        "{:<34} {:<18} {:>10} {:>10} {:>14} {:>16}",
        "workload", "system", "ns/call", "median", "over bare ns", "vs circuit-brkr"
    );
    for row in rows {
        let of = |system: &str| {
            rows.iter()
                .find(|r| r.workload == row.workload && r.system == system)
                .map_or(f64::NAN, |r| r.ns_per_request)
        };
        let bare = of("bare service");
        let ours = of("circuit-breaker") - bare;
        let over = row.ns_per_request - bare;
        println!(
            "{:<34} {:<18} {:>10.1} {:>10.1} {:>14.1} {:>15.1}x",
            row.workload,
            row.system,
            row.ns_per_request,
            row.median,
            over,
            over / ours
        );
    }
}

fn write_json(rows: &[Row]) {
    let dir = std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("create the bench output directory");
    let json: Vec<_> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "workload": row.workload,
                "system": row.system,
                "ns_per_request": (row.ns_per_request * 10.0).round() / 10.0,
            })
        })
        .collect();
    let path = dir.join("circuit_breaker.json");
    let text = serde_json::to_string_pretty(&json).expect("rows serialize");
    std::fs::write(&path, text).expect("write the bench rows");
    println!("rows written to {}", path.display());
}

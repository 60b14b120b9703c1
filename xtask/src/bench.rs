//! `cargo xtask bench [name] [--quick]`: runs the workspace's benchmarks in release mode.
//!
//! Each benchmark is a `harness = false` bench target that measures its system side by side with
//! the peers named for it, prints a table, and writes its rows to `target/bench/<name>.json`
//! (the directory is passed in `BENCH_OUT_DIR`). `--quick` (set as `BENCH_QUICK=1`) shrinks every
//! workload so the whole run takes seconds; `cargo xtask ci` runs it that way so no bench rots.

use anyhow::bail;

use crate::cmd::{Step, workspace_root};
use crate::redis;

/// A registered benchmark: its name, and the package and bench target that run it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bench {
    pub(crate) name: &'static str,
    package: &'static str,
    target: &'static str,
    /// Measures against a Redis: `REDIS_URL`'s server, or a private one run for it.
    needs_redis: bool,
}

impl Bench {
    const fn new(name: &'static str, package: &'static str, target: &'static str) -> Self {
        Self {
            name,
            package,
            target,
            needs_redis: false,
        }
    }

    const fn on_redis(self) -> Self {
        Self {
            needs_redis: true,
            ..self
        }
    }
}

/// Every benchmark of the workspace, in the order a full run takes them.
pub(crate) const BENCHES: &[Bench] = &[
    Bench::new("cache", "cache-core", "cache"),
    Bench::new("error_mapping", "error-mapping", "error_mapping"),
    Bench::new("circuit_breaker", "circuit-breaker", "circuit_breaker"),
    Bench::new("idempotency", "idempotency-layer", "idempotency"),
    Bench::new("profiling", "profiling", "profiling"),
    Bench::new("persist", "cache-persist", "persist"),
    Bench::new("redis", "idempotency-layer", "redis").on_redis(),
];

/// How a run is built and sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Release build, full workloads: the numbers the README reports.
    Full,
    /// Release build, workloads shrunk to seconds.
    Quick,
    /// Dev build, shrunk workloads: only proves every bench still runs (what `ci` does).
    Smoke,
}

/// Runs the benchmark called `name`, or every one when `name` is `None`.
pub(crate) fn run(name: Option<&str>, mode: Mode) -> anyhow::Result<()> {
    let selected: Vec<&Bench> = match name {
        None => BENCHES.iter().collect(),
        Some(name) => match BENCHES.iter().find(|b| b.name == name) {
            Some(bench) => vec![bench],
            None => {
                let known: Vec<_> = BENCHES.iter().map(|b| b.name).collect();
                bail!("unknown bench `{name}`; known: {}", known.join(", "))
            }
        },
    };
    let out_dir = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&out_dir)?;
    for bench in selected {
        let title = format!("bench {}", bench.name);
        let profile = if mode == Mode::Smoke { "dev" } else { "bench" };
        let args = [
            "bench",
            "--profile",
            profile,
            "-p",
            bench.package,
            "--bench",
            bench.target,
        ];
        let mut step = Step::new(&title, "cargo", &args)
            .env("BENCH_OUT_DIR", &out_dir.to_string_lossy())
            .env("BENCH_QUICK", if mode == Mode::Full { "0" } else { "1" });
        let redis = bench.needs_redis.then(redis::provision).transpose()?;
        if let Some(redis) = &redis {
            step = step.env("REDIS_URL", redis.url());
        }
        step.run()?;
    }
    Ok(())
}

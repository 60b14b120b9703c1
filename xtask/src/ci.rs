//! `cargo xtask ci`: the gate every change passes, stopping at the first failure.
//!
//! The benches run last in smoke mode (dev build, tiny workloads), so none of them rots.
//! The test step runs against `REDIS_URL`, or a private `redis-server` (see [`redis`]).

use crate::cmd::Step;
use crate::redis;

/// Runs fmt, clippy, the test suite, the docs and the smoke benches, in that order.
pub(crate) fn run() -> anyhow::Result<()> {
    Step::new("format", "cargo", &["fmt", "--all", "--check"]).run()?;
    Step::new(
        "lint",
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )
    .run()?;
    let redis = redis::provision()?;
    Step::new("test", "cargo", &["test", "--workspace", "--all-features"])
        .env("REDIS_URL", redis.url())
        .run()?;
    drop(redis);
    Step::new(
        "docs",
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
    )
    .env("RUSTDOCFLAGS", "-D warnings")
    .run()?;
    crate::bench::run(None, crate::bench::Mode::Smoke)?;
    println!("\nci: every step passed");
    Ok(())
}

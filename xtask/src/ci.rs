//! `cargo xtask ci`: the gate every change passes, stopping at the first failure.
//!
//! The benches run last in smoke mode (dev build, tiny workloads), so none of them rots.

use crate::cmd::Step;

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
    Step::new("test", "cargo", &["test", "--workspace", "--all-features"]).run()?;
    Step::new(
        "docs",
        "cargo",
        &["doc", "--workspace", "--no-deps", "--all-features"],
    )
    .env("RUSTDOCFLAGS", "-D warnings")
    .run()?;
    println!("\nci: every step passed");
    Ok(())
}

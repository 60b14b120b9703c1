//! `cargo xtask load [--store URL] [--clients N] [--seconds S]`: a release build of the demo
//! server under many concurrent clients, with and without the idempotency layer; writes
//! `target/bench/load.json`.

use crate::cmd::{Step, target_dir, workspace_root};

/// Builds the demo in release mode and runs the load generator with `args`.
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let build = ["build", "--release", "-p", "demo-server", "--bins"];
    Step::new("build the demo (release)", "cargo", &build).run()?;
    let generator = target_dir().join("release").join("demo-load");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out_dir = workspace_root().join("target").join("bench");
    Step::new("drive the demo", &generator.to_string_lossy(), &args)
        .env("BENCH_OUT_DIR", &out_dir.to_string_lossy())
        .run()
}

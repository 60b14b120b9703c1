//! `cargo xtask demo [--store URL]`: builds the demo server and plays the scripted scenario
//! against it, printing every step.

use crate::cmd::{Step, target_dir};

/// Builds `demo-server` and `demo-scenario`, then runs the scenario on `store` (default: the
/// durable local store).
pub(crate) fn run(store: Option<&str>) -> anyhow::Result<()> {
    Step::new(
        "build the demo",
        "cargo",
        &["build", "-p", "demo-server", "--bins"],
    )
    .run()?;
    let scenario = target_dir().join("debug").join("demo-scenario");
    let scenario = scenario.to_string_lossy();
    let mut args = Vec::new();
    if let Some(store) = store {
        args.extend(["--store", store]);
    }
    Step::new("play the scenario", &scenario, &args).run()
}

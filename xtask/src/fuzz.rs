//! `cargo xtask fuzz persist [--seconds N]`: runs the cache-persist decoders fuzz target with
//! cargo-fuzz for a bounded time. Stable Rust has no sanitizers, so it runs with `-s none`;
//! cargo-fuzz is installed from crates.io when it is missing. CI does not fuzz: it replays the
//! checked-in corpus as an ordinary test (`cache-persist/tests/fuzz_corpus.rs`).

use std::process::{Command, Stdio};

use anyhow::bail;

use crate::cmd::{Step, workspace_root};

/// The fuzz targets, by the name `cargo xtask fuzz` takes: (name, fuzz directory, target).
const TARGETS: &[(&str, &str, &str)] = &[("persist", "cache-persist/fuzz", "decoders")];

/// Fuzzes `name` for `seconds`.
pub(crate) fn run(name: &str, seconds: u64) -> anyhow::Result<()> {
    let Some(&(_, dir, target)) = TARGETS.iter().find(|(known, _, _)| *known == name) else {
        let known: Vec<_> = TARGETS.iter().map(|(known, _, _)| *known).collect();
        bail!("unknown fuzz target `{name}`; known: {}", known.join(", "));
    };
    if !cargo_fuzz_installed() {
        Step::new(
            "install cargo-fuzz",
            "cargo",
            &["install", "cargo-fuzz", "--locked"],
        )
        .run()?;
    }
    let fuzz_dir = workspace_root().join(dir);
    let fuzz_dir = fuzz_dir.to_string_lossy();
    let max_time = format!("-max_total_time={seconds}");
    let args = [
        "fuzz",
        "run",
        "-s",
        "none",
        "--fuzz-dir",
        &fuzz_dir,
        target,
        "--",
        &max_time,
    ];
    Step::new("fuzz", "cargo", &args).run()
}

fn cargo_fuzz_installed() -> bool {
    Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

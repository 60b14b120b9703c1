//! The ttl workload, replayed in a child process of this bench for each system and repeat.
//!
//! A ttl cache grows to a million entries. Freeing one leaves the allocator's arenas full of
//! small free chunks, and the next cache then pays to consolidate them while it grows: in one
//! process, cache-core ran at half its speed whenever moka had run before it. A fresh process
//! starts every run from the same state.

use std::process::Command;

use crate::replay::{Outcome, Pacing, replay};
use crate::systems::System;
use crate::{TTL, workloads};

/// The variable that turns this binary into one ttl run.
const RUN_VAR: &str = "CACHE_BENCH_TTL_RUN";

/// Replays `ops` ttl operations on 2 threads against a fresh `system` in a child process.
pub(crate) fn ttl_run(system: &System, ops: usize) -> Result<Outcome, String> {
    let exe =
        std::env::current_exe().map_err(|err| format!("cannot find the bench binary: {err}"))?;
    let output = Command::new(exe)
        .env(RUN_VAR, format!("{} {ops}", system.name))
        .output()
        .map_err(|err| format!("cannot start a ttl run: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "ttl run of {} failed: {}",
            system.name,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(ops_per_sec)), Some(Ok(hit_ratio))) => Ok(Outcome {
            ops_per_sec,
            hit_ratio: Some(hit_ratio),
        }),
        _ => Err(format!("a ttl run printed {text:?}")),
    }
}

/// When this process is a ttl run, replays it and prints its rate and hit ratio; returns false
/// otherwise.
pub(crate) fn run_if_asked(systems: &[System]) -> bool {
    let Ok(spec) = std::env::var(RUN_VAR) else {
        return false;
    };
    let Some((name, Ok(ops))) = spec.split_once(' ').map(|(n, o)| (n, o.parse())) else {
        panic!("{RUN_VAR} must be `<system> <ops>`, got {spec:?}");
    };
    let system = systems
        .iter()
        .find(|s| s.name == name)
        .expect("a known system");
    let streams = workloads::ttl(ops, 2);
    let cache = (system.build)(ttl_capacity(ops), Some(TTL));
    let outcome = replay(&*cache, &streams, Pacing::Free);
    println!(
        "{} {}",
        outcome.ops_per_sec,
        outcome.hit_ratio.expect("the ttl workload reads")
    );
    true
}

/// A capacity the ttl workload of `ops` operations never fills: its entries leave by expiry.
pub(crate) fn ttl_capacity(ops: usize) -> u64 {
    ops as u64 * 2
}

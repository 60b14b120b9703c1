//! Memory per entry, measured in a child process of this bench so that nothing else the run
//! allocated (or freed and kept) is counted.

use std::process::Command;
use std::time::Duration;

use crate::systems::System;

/// The variable that turns this binary into a memory probe for one system.
const PROBE_VAR: &str = "CACHE_BENCH_MEMORY_PROBE";

/// Key and value bytes of one entry (two u64), which the figure excludes.
const PAYLOAD: f64 = 16.0;

/// Runs the probe for `system` in a child process: bytes of resident memory per entry, keys and
/// values excluded.
pub(crate) fn bytes_per_entry(system: System, entries: u64, ttl: Duration) -> Result<f64, String> {
    let exe =
        std::env::current_exe().map_err(|err| format!("cannot find the bench binary: {err}"))?;
    let output = Command::new(exe)
        .env(
            PROBE_VAR,
            format!("{} {entries} {}", system.name, ttl.as_millis()),
        )
        .output()
        .map_err(|err| format!("cannot start the memory probe: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "memory probe for {} failed: {}",
            system.name,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    text.trim()
        .parse()
        .map_err(|_| format!("memory probe printed {text:?}"))
}

/// When this process is a probe, measures and prints its figure; returns false otherwise.
pub(crate) fn run_probe_if_asked(systems: &[System]) -> bool {
    let Ok(spec) = std::env::var(PROBE_VAR) else {
        return false;
    };
    let mut parts = spec.split(' ');
    let (Some(name), Some(entries), Some(ttl_ms)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("{PROBE_VAR} must be `<system> <entries> <ttl_ms>`, got {spec:?}");
    };
    let system = systems
        .iter()
        .find(|s| s.name == name)
        .expect("a known system");
    let entries: u64 = entries.parse().expect("entries is a number");
    let ttl = Duration::from_millis(ttl_ms.parse().expect("ttl is a number"));
    let before = resident_bytes();
    let cache = (system.build)(entries * 2, Some(ttl));
    for key in 0..entries {
        cache.insert(key, key);
    }
    let after = resident_bytes();
    assert!(
        cache.get(entries - 1).is_some(),
        "the probe's entries must still be there"
    );
    println!("{}", (after - before) as f64 / entries as f64 - PAYLOAD);
    true
}

fn resident_bytes() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: i64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

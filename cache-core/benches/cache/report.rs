//! Rows of results: medians of repeated runs, the printed table and `target/bench/cache.json`.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// One (workload, system, capacity, threads) result, medians over the repeats.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub(crate) workload: &'static str,
    pub(crate) system: &'static str,
    pub(crate) capacity: u64,
    pub(crate) threads: usize,
    pub(crate) ops_per_sec: f64,
    pub(crate) hit_ratio: Option<f64>,
    pub(crate) bytes_per_entry: Option<f64>,
    pub(crate) repeats: usize,
}

/// The median of `samples` (the upper one of an even count).
pub(crate) fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Prints the rows, each with its throughput and hit ratio relative to cache-core's in the
/// same group.
pub(crate) fn print_table(rows: &[Row]) {
    println!(
        "\n{:<6} {:>8} {:>3} {:<12} {:>10} {:>8} {:>9} {:>11}",
        "load", "capacity", "thr", "system", "Mops/s", "hits %", "B/entry", "core/this"
    );
    for row in rows {
        let core = rows.iter().find(|r| {
            r.system == "cache-core"
                && (r.workload, r.capacity, r.threads) == (row.workload, row.capacity, row.threads)
        });
        let ratio = core.map_or(String::from("-"), |c| {
            format!("{:.2}x", c.ops_per_sec / row.ops_per_sec)
        });
        let hits = row
            .hit_ratio
            .map_or(String::from("-"), |h| format!("{:.1}", h * 100.0));
        let bytes = row
            .bytes_per_entry
            .map_or(String::from("-"), |b| format!("{b:.0}"));
        println!(
            "{:<6} {:>8} {:>3} {:<12} {:>10.2} {:>8} {:>9} {:>11}",
            row.workload,
            row.capacity,
            row.threads,
            row.system,
            row.ops_per_sec / 1e6,
            hits,
            bytes,
            ratio
        );
    }
}

/// Writes the rows to `$BENCH_OUT_DIR/cache.json` (default: the workspace's `target/bench/`).
pub(crate) fn write_json(rows: &[Row]) -> std::io::Result<PathBuf> {
    let dir = std::env::var_os("BENCH_OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let member = Path::new(env!("CARGO_MANIFEST_DIR"));
            member
                .parent()
                .expect("a workspace member")
                .join("target")
                .join("bench")
        });
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("cache.json");
    let json = serde_json::to_string_pretty(rows).expect("rows serialize");
    std::fs::write(&path, json + "\n")?;
    Ok(path)
}

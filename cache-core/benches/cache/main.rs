//! `cargo xtask bench cache`: the sharded cache side by side with moka, quick_cache and DashMap.
//!
//! Every system runs the same pre-built operation streams in this one process, interleaved
//! (each repeat runs every system before the next repeat starts), three times; the table and
//! `target/bench/cache.json` report medians. `BENCH_QUICK=1` shrinks every workload to seconds;
//! `BENCH_ONLY=<workload>` (`zipf`, `oltp` or `ttl`) runs that one alone, for a profiler.
//!
//! The OLTP workload replays the trace from Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead
//! Replacement Cache", USENIX FAST 2003.

mod keys;
mod memory;
mod replay;
mod report;
mod systems;
mod workloads;

use std::time::Duration;

use replay::{Op, replay};
use report::{Row, median};
use systems::{CACHE_CORE, DASHMAP, MOKA, QUICK_CACHE, System};

const REPEATS: usize = 3;
const TTL: Duration = Duration::from_secs(5);

/// How big each workload is.
struct Sizes {
    zipf_ops: usize,
    oltp_blocks: Option<usize>,
    ttl_ops: usize,
    memory_entries: u64,
}

fn main() {
    if memory::run_probe_if_asked(&[CACHE_CORE, MOKA]) {
        return;
    }
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let sizes = if quick {
        Sizes {
            zipf_ops: 200_000,
            oltp_blocks: Some(100_000),
            ttl_ops: 200_000,
            memory_entries: 50_000,
        }
    } else {
        Sizes {
            zipf_ops: 2_000_000,
            oltp_blocks: None,
            ttl_ops: 2_000_000,
            memory_entries: 1_000_000,
        }
    };
    let only = std::env::var("BENCH_ONLY").ok();
    let selected = |workload: &str| only.as_deref().is_none_or(|only| only == workload);
    let mut rows = Vec::new();

    if selected("zipf") {
        let streams = workloads::zipf(100_000, sizes.zipf_ops, 2);
        rows.extend(measure(
            "zipf",
            &[CACHE_CORE, QUICK_CACHE, MOKA, DASHMAP],
            10_000,
            None,
            &streams,
        ));
    }

    if selected("oltp") {
        let path = keys::traces_dir().join("OLTP.lis.zst");
        let mut blocks = keys::oltp_blocks(&path).unwrap_or_else(|err| fail(&err));
        if let Some(limit) = sizes.oltp_blocks {
            blocks.truncate(limit);
        }
        for capacity in [256, 1000, 2000, 8000] {
            for threads in [1, 2] {
                let streams = workloads::trace(&blocks, threads);
                rows.extend(measure(
                    "oltp",
                    &[CACHE_CORE, QUICK_CACHE, MOKA],
                    capacity,
                    None,
                    &streams,
                ));
            }
        }
    }

    if selected("ttl") {
        let streams = workloads::ttl(sizes.ttl_ops, 2);
        let capacity = sizes.ttl_ops as u64 * 2;
        for mut row in measure("ttl", &[CACHE_CORE, MOKA], capacity, Some(TTL), &streams) {
            let system = if row.system == CACHE_CORE.name {
                CACHE_CORE
            } else {
                MOKA
            };
            let bytes = memory::bytes_per_entry(system, sizes.memory_entries, TTL);
            row.bytes_per_entry = Some(bytes.unwrap_or_else(|err| fail(&err)));
            rows.push(row);
        }
    }

    report::print_table(&rows);
    match report::write_json(&rows) {
        Ok(path) => println!("\nwrote {}", path.display()),
        Err(err) => fail(&format!("cannot write the results: {err}")),
    }
}

/// Runs `streams` on a fresh cache of each system, `REPEATS` times interleaved; one row each.
fn measure(
    workload: &'static str,
    systems: &[System],
    capacity: u64,
    ttl: Option<Duration>,
    streams: &[Vec<Op>],
) -> Vec<Row> {
    let mut throughput = vec![Vec::new(); systems.len()];
    let mut hit_ratios = vec![Vec::new(); systems.len()];
    for _ in 0..REPEATS {
        for (index, system) in systems.iter().enumerate() {
            let cache = (system.build)(capacity, ttl);
            let outcome = replay(&*cache, streams);
            throughput[index].push(outcome.ops_per_sec);
            hit_ratios[index].extend(outcome.hit_ratio);
        }
    }
    systems
        .iter()
        .zip(throughput.iter_mut().zip(hit_ratios.iter_mut()))
        .map(|(system, (ops, hits))| Row {
            workload,
            system: system.name,
            capacity,
            threads: streams.len(),
            ops_per_sec: median(ops),
            hit_ratio: (!hits.is_empty()).then(|| median(hits)),
            bytes_per_entry: None,
            repeats: REPEATS,
        })
        .collect()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

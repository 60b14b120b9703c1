//! `cargo xtask bench cache`: the sharded cache side by side with moka, quick_cache and DashMap.
//!
//! Every system runs the same pre-built operation streams in this one process, interleaved
//! (each repeat runs every system before the next repeat starts), three times unless
//! `BENCH_REPEATS=<n>` asks for more; the table and `target/bench/cache.json` report medians.
//! `BENCH_QUICK=1` shrinks every workload to seconds; `BENCH_ONLY=<workloads>` (`zipf`, `oltp` or
//! `ttl`, or a comma-separated list) runs those alone, and `BENCH_SYSTEM=<crates>` (`cache-core`,
//! `moka`, ..., or a list such as `cache-core,quick_cache`) those systems alone, for a profiler;
//! `BENCH_CAPACITY=<entries>` and `BENCH_THREADS=<n>` keep the OLTP rows of that capacity or
//! thread count. Each replay thread is pinned to a core of its own where the platform allows
//! (see `pin.rs`): unpinned, most single-thread OLTP runs at 8,000 entries came out a quarter
//! slower than pinned ones, and some did not, so ratios between systems wandered from run to
//! run. The ttl workload runs each system in a child process (see `isolated.rs`).
//!
//! The OLTP workload replays the trace from Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead
//! Replacement Cache", USENIX FAST 2003.

mod isolated;
mod keys;
mod memory;
mod pin;
mod replay;
mod report;
mod systems;
mod workloads;

use std::time::Duration;

use replay::{Outcome, Pacing, replay};
use report::{Row, median};
use systems::{CACHE_CORE, DASHMAP, MOKA, QUICK_CACHE, System};

/// Every system of the bench; a workload runs those of them it suits.
const ALL_SYSTEMS: [System; 4] = [CACHE_CORE, QUICK_CACHE, MOKA, DASHMAP];

/// The fewest repeats a measurement takes, and the default.
const MIN_REPEATS: usize = 3;
pub(crate) const TTL: Duration = Duration::from_secs(5);

/// How big each workload is.
struct Sizes {
    zipf_ops: usize,
    oltp_blocks: Option<usize>,
    ttl_ops: usize,
    memory_entries: u64,
}

fn main() {
    if memory::run_probe_if_asked(&[CACHE_CORE, MOKA])
        || isolated::run_if_asked(&[CACHE_CORE, MOKA])
    {
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
    let workloads = env_filter("BENCH_ONLY", &["zipf", "oltp", "ttl"]);
    let selected = |workload: &str| workloads.contains(&workload);
    let mut rows = Vec::new();

    if selected("zipf") {
        let streams = workloads::zipf(100_000, sizes.zipf_ops, 2);
        rows.extend(measure("zipf", &ALL_SYSTEMS, 10_000, 2, |system| {
            Ok(replay(
                &*(system.build)(10_000, None),
                &streams,
                Pacing::Free,
            ))
        }));
    }

    if selected("oltp") {
        let path = keys::traces_dir().join("OLTP.lis.zst");
        let mut blocks = keys::oltp_blocks(&path).unwrap_or_else(|err| fail(&err));
        if let Some(limit) = sizes.oltp_blocks {
            blocks.truncate(limit);
        }
        let capacities = env_filter("BENCH_CAPACITY", &[256, 1000, 2000, 8000]);
        let thread_counts = env_filter("BENCH_THREADS", &[1, 2]);
        for &capacity in &capacities {
            for &threads in &thread_counts {
                let streams = workloads::trace(&blocks, threads);
                let systems = [CACHE_CORE, QUICK_CACHE, MOKA];
                rows.extend(measure("oltp", &systems, capacity, threads, |system| {
                    Ok(replay(
                        &*(system.build)(capacity, None),
                        &streams,
                        Pacing::InStep {
                            run: workloads::TRACE_RUN,
                        },
                    ))
                }));
            }
        }
    }

    if selected("ttl") {
        let capacity = isolated::ttl_capacity(sizes.ttl_ops);
        let ttl_run = |system: &System| isolated::ttl_run(system, sizes.ttl_ops);
        for mut row in measure("ttl", &[CACHE_CORE, MOKA], capacity, 2, ttl_run) {
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

/// Runs each system [`repeats`] times interleaved (`run` measures one system on a fresh cache);
/// one row each.
fn measure(
    workload: &'static str,
    systems: &[System],
    capacity: u64,
    threads: usize,
    run: impl Fn(&System) -> Result<Outcome, String>,
) -> Vec<Row> {
    let chosen = env_filter("BENCH_SYSTEM", &ALL_SYSTEMS.map(|system| system.name));
    let systems: Vec<System> = systems
        .iter()
        .filter(|system| chosen.contains(&system.name))
        .copied()
        .collect();
    let repeats = repeats();
    let mut throughput = vec![Vec::new(); systems.len()];
    let mut hit_ratios = vec![Vec::new(); systems.len()];
    for _ in 0..repeats {
        for (index, system) in systems.iter().enumerate() {
            let outcome = run(system).unwrap_or_else(|err| fail(&err));
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
            threads,
            ops_per_sec: median(ops),
            hit_ratio: (!hits.is_empty()).then(|| median(hits)),
            bytes_per_entry: None,
            repeats,
        })
        .collect()
}

/// How many times each measurement runs: `BENCH_REPEATS`, at least [`MIN_REPEATS`]. More
/// repeats steady the medians on a machine whose speed drifts.
fn repeats() -> usize {
    let Ok(wanted) = std::env::var("BENCH_REPEATS") else {
        return MIN_REPEATS;
    };
    match wanted.parse::<usize>() {
        Ok(repeats) if repeats >= MIN_REPEATS => repeats,
        _ => fail(&format!(
            "BENCH_REPEATS={wanted:?} is not a whole number of at least {MIN_REPEATS}"
        )),
    }
}

/// The values of `all` that the environment variable `name` keeps: all of them when it is unset,
/// else those it lists, comma-separated, each of which must be among them.
fn env_filter<T: Copy + std::fmt::Display>(name: &str, all: &[T]) -> Vec<T> {
    let Ok(wanted) = std::env::var(name) else {
        return all.to_vec();
    };
    wanted
        .split(',')
        .map(|part| {
            all.iter()
                .copied()
                .find(|value| value.to_string() == part)
                .unwrap_or_else(|| {
                    let known: Vec<String> = all.iter().map(T::to_string).collect();
                    fail(&format!(
                        "{name} lists {part:?}, which is not one of {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

//! Drives the `demo-server` binary built beside this one with many concurrent clients, with and
//! without the idempotency layer, and writes `target/bench/load.json`.
//!
//! Run with `cargo xtask load` (a release build), or `cargo run --release -p demo-server --bin
//! demo-load -- [--store STORE] [--clients N] [--seconds S]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use demo_server::load::{self, Load, Row};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let mut store = "durable".to_owned();
    let mut load = Load {
        clients: 64,
        duration: Duration::from_secs(10),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("`{flag}` needs a value"))
        };
        match flag.as_str() {
            "--store" => store = value()?,
            "--clients" => load.clients = value()?.parse().context("--clients")?,
            "--seconds" => {
                load.duration = Duration::from_secs(value()?.parse().context("--seconds")?)
            }
            other => bail!(
                "unknown flag `{other}`; usage: demo-load [--store S] [--clients N] [--seconds S]"
            ),
        }
    }
    let exe = demo_server::scenario::sibling_server_exe()?;
    let rows = load::run(&exe, &store, load).await?;
    print_table(&rows);
    let path = write_json(&rows)?;
    println!("\nwrote {}", path.display());
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<14} {:<8} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "workload", "store", "clients", "req/s", "p50 ms", "p99 ms", "p999 ms"
    );
    for row in rows {
        let store = if row.store.starts_with("redis") {
            "redis"
        } else {
            row.store.as_str()
        };
        println!(
            "{:<14} {:<8} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
            row.workload,
            store,
            row.clients,
            row.requests_per_sec,
            row.latency_ms.p50,
            row.latency_ms.p99,
            row.latency_ms.p999
        );
    }
}

fn write_json(rows: &[Row]) -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os("BENCH_OUT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("load.json");
    std::fs::write(&path, serde_json::to_string_pretty(rows)? + "\n")?;
    Ok(path)
}

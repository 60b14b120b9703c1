//! `cargo xtask load`: many concurrent clients against the demo server for a bounded time,
//! with and without the idempotency layer, with distinct keys and with replays.

mod latency;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use serde::Serialize;

pub use latency::Percentiles;

use crate::scenario::{Http, ServerProcess};

/// How hard and how long to drive the server.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent clients.
    pub clients: usize,
    /// How long each workload runs.
    pub duration: Duration,
}

/// One workload's result.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `no-layer`, `distinct-keys` or `replays`.
    pub workload: &'static str,
    /// The store the server ran on.
    pub store: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Requests completed.
    pub requests: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Latency percentiles, in milliseconds.
    pub latency_ms: Percentiles,
}

/// The workloads, each with the server flags it needs and how its clients pick keys.
const WORKLOADS: [(&str, &[&str], Keys); 3] = [
    ("no-layer", &["--without-idempotency"], Keys::None),
    ("distinct-keys", &[], Keys::Distinct),
    ("replays", &[], Keys::Replays),
];

#[derive(Debug, Clone, Copy)]
enum Keys {
    None,
    Distinct,
    Replays,
}

/// How many keys the replay workload cycles through (each executed once, then replayed).
const REPLAY_KEYS: u64 = 64;

const ORDER: &str = r#"{"item":"espresso","quantity":1}"#;

/// Runs every workload against a fresh server on `store` and returns one row each.
pub async fn run(exe: &Path, store: &str, load: Load) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (workload, flags, keys) in WORKLOADS {
        let data = tempfile::tempdir()?;
        let server = ServerProcess::start_with(exe, data.path(), store, flags)?;
        let http = Http::new(server.base());
        if let Keys::Replays = keys {
            for key in 0..REPLAY_KEYS {
                let reply = http.post("/orders", Some(&replay_key(key)), ORDER).await?;
                ensure!(
                    reply.status == 201,
                    "priming the replay keys: {}",
                    reply.status
                );
            }
        }
        println!(
            "\n{workload}: {} clients for {:?}",
            load.clients, load.duration
        );
        let (requests, elapsed, latencies) = drive(&http, keys, load).await?;
        let row = Row {
            workload,
            store: store.to_owned(),
            clients: load.clients,
            requests,
            requests_per_sec: requests as f64 / elapsed.as_secs_f64(),
            latency_ms: Percentiles::of(latencies),
        };
        rows.push(row);
        drop(server);
    }
    Ok(rows)
}

fn replay_key(index: u64) -> String {
    format!("replay-{index}")
}

/// Runs the clients until the duration is up, printing progress each second.
async fn drive(
    http: &Http,
    keys: Keys,
    load: Load,
) -> anyhow::Result<(u64, Duration, Vec<Duration>)> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients: Vec<_> = (0..load.clients)
        .map(|client| {
            let (http, done, stop) = (http.clone(), Arc::clone(&done), Arc::clone(&stop));
            tokio::spawn(async move { client_loop(http, client as u64, keys, done, stop).await })
        })
        .collect();
    let mut last = 0;
    while started.elapsed() < load.duration {
        tokio::time::sleep(Duration::from_secs(1).min(load.duration)).await;
        let now = done.load(Ordering::Relaxed);
        println!(
            "  {:>4.1}s  {now:>8} requests  {:>8} req/s",
            started.elapsed().as_secs_f64(),
            now - last
        );
        last = now;
    }
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await??);
    }
    Ok((done.load(Ordering::Relaxed), started.elapsed(), latencies))
}

async fn client_loop(
    http: Http,
    client: u64,
    keys: Keys,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let key = match keys {
            Keys::None => None,
            Keys::Distinct => Some(format!("load-{client}-{sent}")),
            Keys::Replays => Some(replay_key((client + sent) % REPLAY_KEYS)),
        };
        let start = Instant::now();
        let reply = http.post("/orders", key.as_deref(), ORDER).await?;
        latencies.push(start.elapsed());
        ensure!(
            reply.status == 201,
            "unexpected {}: {}",
            reply.status,
            reply.body
        );
        sent += 1;
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(latencies)
}

//! The kill test: a child process writes with `FsyncPolicy::Always` and reports every
//! acknowledged sequence number over a pipe; the parent SIGKILLs it at a random moment, recovers,
//! and checks that every acknowledged write is there and that nothing was dropped as corrupt.
//!
//! The child is this test binary itself (a `harness = false` target), re-run with `CHILD_DIR_ENV`
//! set. `CACHE_PERSIST_KILL_ROUNDS` sets the number of rounds (default 50; `cargo xtask crash`
//! runs more).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_core::Store;
use cache_persist::{DurableConfig, DurableStore};
use common::block_on;

const CHILD_DIR_ENV: &str = "CACHE_PERSIST_KILL_CHILD_DIR";
const CHILD_START_ENV: &str = "CACHE_PERSIST_KILL_CHILD_START";
const WRITERS: u64 = 8;

fn config(dir: &Path) -> DurableConfig {
    let mut config = DurableConfig::new(dir);
    config.segment_size = bytesize::ByteSize::kib(64);
    config.snapshot_interval = Some(Duration::from_millis(30));
    config
}

fn key(seq: u64) -> Bytes {
    Bytes::from(format!("seq-{seq:010}"))
}

fn value(seq: u64) -> Bytes {
    Bytes::from(format!("{seq:0>100}"))
}

fn main() {
    match (std::env::var(CHILD_DIR_ENV), std::env::var(CHILD_START_ENV)) {
        (Ok(dir), Ok(start)) => child_writes_until_killed(&dir, start.parse().expect("a number")),
        _ => acknowledged_writes_survive_sigkill(),
    }
}

/// The child's work: `WRITERS` tasks write sequence numbers `start + writer + k * WRITERS` and
/// print `ack <seq>` once each write is acknowledged, until killed.
fn child_writes_until_killed(dir: &str, start: u64) {
    let store = Arc::new(DurableStore::open(config(Path::new(dir))).expect("the child opens"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for k in 0.. {
                        let seq = start + writer + k * WRITERS;
                        store.set(&key(seq), value(seq), None).await.expect("write");
                        println!("ack {seq}");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
    });
}

/// Runs one child until a random moment after its first acknowledgement, SIGKILLs it, and
/// returns the sequence numbers it acknowledged.
fn run_child(dir: &Path, start: u64, rng: &mut fastrand::Rng) -> Vec<u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_START_ENV, start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().unwrap();
    let (sender, acks) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(seq) = line.strip_prefix("ack ") {
                let _ = sender.send(seq.parse::<u64>().unwrap());
            }
        }
    });
    let first = acks
        .recv_timeout(Duration::from_secs(30))
        .expect("the child acknowledges a write");
    std::thread::sleep(Duration::from_micros(rng.u64(0..60_000)));
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    reader.join().unwrap();
    std::iter::once(first).chain(acks.try_iter()).collect()
}

fn acknowledged_writes_survive_sigkill() {
    let rounds: u64 = std::env::var("CACHE_PERSIST_KILL_ROUNDS").map_or(50, |r| r.parse().unwrap());
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut acknowledged: Vec<u64> = Vec::new();
    let mut next_start = 0;
    for round in 0..rounds {
        let acks = run_child(dir.path(), next_start, &mut rng);
        next_start = acks.iter().max().unwrap() + WRITERS + 1;
        acknowledged.extend(acks);
        let store = DurableStore::open(config(dir.path())).expect("recovery after a kill");
        let report = store.recovery_report();
        assert!(
            report.dropped.is_empty(),
            "seed {seed}, round {round}: {report:?}"
        );
        block_on(async {
            for &seq in &acknowledged {
                let found = store.get(&key(seq)).await.unwrap();
                assert_eq!(
                    found,
                    Some(value(seq)),
                    "seed {seed}, round {round}: seq {seq} lost"
                );
            }
            // Unacknowledged writes may or may not be there, but never with another value.
            for seq in 0..next_start {
                if let Some(found) = store.get(&key(seq)).await.unwrap() {
                    assert_eq!(
                        found,
                        value(seq),
                        "seed {seed}, round {round}: seq {seq} garbled"
                    );
                }
            }
        });
    }
    println!(
        "{rounds} kill rounds, {} acknowledged writes, in {:?}",
        acknowledged.len(),
        started.elapsed()
    );
}

//! The required work of `always` alone, the floor any durable store pays on this runtime:
//! `writers` tasks each set a key in the in-memory store, append the key and value to one shared
//! buffer, and wait until a thread, which writes and `fdatasync`s every group, reports it
//! durable, in a file grown ahead as the log's segments are. Nothing else: no framing, no
//! checksums, no lanes. The thread even knows how many writers there are and waits for all of
//! them before each sync (an oracle no store has), so every group is complete.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_core::Store;
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

/// Records appended and not yet taken, and how many were appended in all.
#[derive(Default)]
struct Pending {
    records: Vec<u8>,
    count: usize,
    appended: u64,
}

struct Log {
    pending: Mutex<Pending>,
    work: Condvar,
    /// Every record up to this count is durable.
    durable: watch::Sender<u64>,
    stop: AtomicBool,
}

/// Sets per second that `writers` tasks reach for `run_for` on `runtime`, with `memory` as the
/// in-memory store and `value_size`-byte values.
pub(crate) fn group_commit(
    dir: &Path,
    runtime: &tokio::runtime::Runtime,
    memory: Arc<dyn Store>,
    writers: usize,
    value_size: usize,
    run_for: Duration,
) -> f64 {
    let log = Arc::new(Log {
        pending: Mutex::new(Pending::default()),
        work: Condvar::new(),
        durable: watch::Sender::new(0),
        stop: AtomicBool::new(false),
    });
    let mut file = File::create(dir.join("floor.log")).unwrap();
    // Grown ahead, as the log grows its segments, so that no sync records a new file size.
    file.set_len(1 << 30).unwrap();
    file.sync_all().unwrap();
    let deadline = Instant::now() + run_for;
    let syncer = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || sync_groups(&log, &mut file, writers, deadline))
    };
    let started = Instant::now();
    let done: u64 = runtime.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|writer| {
                let (log, memory) = (Arc::clone(&log), Arc::clone(&memory));
                tokio::spawn(async move {
                    let value = Bytes::from(vec![b'f'; value_size]);
                    let mut durable = log.durable.subscribe();
                    let mut done = 0_u64;
                    while Instant::now() < deadline {
                        let key = Bytes::from(format!("w{writer}-{}", done % 50_000));
                        memory.set(&key, value.clone(), None).await.unwrap();
                        let mine = {
                            let mut pending = log.pending.lock();
                            pending.records.extend_from_slice(&key);
                            pending.records.extend_from_slice(&value);
                            pending.count += 1;
                            pending.appended += 1;
                            if pending.count >= writers {
                                log.work.notify_one();
                            }
                            pending.appended
                        };
                        durable.wait_for(|d| *d >= mine).await.unwrap();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut done = 0;
        for task in tasks {
            done += task.await.unwrap();
        }
        done
    });
    let elapsed = started.elapsed().as_secs_f64();
    log.stop.store(true, Ordering::Relaxed);
    log.work.notify_one();
    syncer.join().unwrap();
    done as f64 / elapsed
}

/// Waits for a complete group (any group once the run is over, as writers leave), writes it,
/// syncs it; returns once stopped with nothing left.
fn sync_groups(log: &Log, file: &mut File, writers: usize, deadline: Instant) {
    let mut records = Vec::new();
    loop {
        let appended = {
            let mut pending = log.pending.lock();
            while pending.count < writers && Instant::now() < deadline {
                log.work.wait_until(&mut pending, deadline);
            }
            while pending.count == 0 {
                if log.stop.load(Ordering::Relaxed) {
                    return;
                }
                log.work.wait_for(&mut pending, Duration::from_millis(1));
            }
            std::mem::swap(&mut records, &mut pending.records);
            pending.count = 0;
            pending.appended
        };
        file.write_all(&records).unwrap();
        file.sync_data().unwrap();
        records.clear();
        log.durable.send_replace(appended);
    }
}

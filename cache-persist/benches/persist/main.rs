//! `cargo xtask bench persist`: the durable store against the disk's own ceiling and against the
//! in-memory cache, in one run.
//!
//! (a) the disk: 100-byte appends with one `fdatasync` each, and in groups of 64 per `fdatasync`
//!     (the ceilings of the bars), and the same in a file grown ahead, as the log grows its
//!     segments (an `fdatasync` then has no new file size to record);
//! (b) `DurableStore::set` throughput and p50/p99 latency per fsync policy with 1, 8 and 64
//!     concurrent writers, beside the in-memory `CacheStore` (the sharded cache, no log);
//!     and, as the floor of `always`, its required work alone (`floor.rs`);
//! (c) recovery of 1M log records: seconds and MB/s of log, by the wall clock and by the time the
//!     opening thread spent on a CPU (the two differ on a machine shared with other work).
//!
//! The disk's fsync rate on a shared virtual machine can change by an order of magnitude from
//! one second to the next, so (a) and (b) run in rounds: each round measures the ceilings right
//! before the `always` runs they bound, then every policy and the in-memory cache. Rows report
//! the median over the rounds, and each ratio of the bars is the median of its per-round ratios.
//!
//! `BENCH_QUICK=1` shrinks every workload to seconds. Rows go to `$BENCH_OUT_DIR/persist.json`.

mod floor;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_core::{CacheStore, EvictionMode, ShardedCache, Store};
use cache_persist::{DurableConfig, DurableStore, FsyncPolicy};
use serde_json::{Value, json};

const VALUE_SIZE: usize = 100;
const GROUP: usize = 64;
const WRITER_COUNTS: [usize; 3] = [1, 8, 64];
const INTERVAL: &str = "interval(10ms)";
const FLOOR: &str = "always: required work alone";

struct Sizes {
    rounds: usize,
    single_appends: usize,
    groups: usize,
    run_for: Duration,
    recovery_records: u64,
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|q| q == "1");
    let sizes = if quick {
        Sizes {
            rounds: 1,
            single_appends: 200,
            groups: 50,
            run_for: Duration::from_millis(300),
            recovery_records: 50_000,
        }
    } else {
        Sizes {
            rounds: 3,
            single_appends: 1_000,
            groups: 250,
            run_for: Duration::from_secs(2),
            recovery_records: 1_000_000,
        }
    };
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a scratch directory");
    let mut rows = Vec::new();

    let rounds: Vec<Round> = (0..sizes.rounds)
        .map(|_| Round::measure(scratch.path(), &sizes))
        .collect();
    let single = median(rounds.iter().map(|r| r.single));
    let grouped = median(rounds.iter().map(|r| r.grouped));
    rows.push(json!({"part": "disk", "name": "append+fdatasync", "per_sec": single}));
    rows.push(json!({"part": "disk", "name": "64 appends+fdatasync", "per_sec": grouped}));
    let single_ahead = median(rounds.iter().map(|r| r.single_ahead));
    let grouped_ahead = median(rounds.iter().map(|r| r.grouped_ahead));
    rows.push(
        json!({"part": "disk", "name": "append+fdatasync, file grown ahead",
        "per_sec": single_ahead}),
    );
    rows.push(
        json!({"part": "disk", "name": "64 appends+fdatasync, file grown ahead",
        "per_sec": grouped_ahead}),
    );
    for run in &rounds[0].runs {
        let of_each = |f: &dyn Fn(&Run) -> f64| {
            median(rounds.iter().map(|r| f(r.find(run.name, run.writers))))
        };
        let mut row = json!({"part": "set", "name": run.name, "writers": run.writers,
            "per_sec": of_each(&|r| r.ops_per_sec)});
        if run.p50.is_some() {
            let micros =
                |at: Option<Duration>| at.expect("timed in every round").as_secs_f64() * 1e6;
            row["p50_us"] = json!(of_each(&|r| micros(r.p50)));
            row["p99_us"] = json!(of_each(&|r| micros(r.p99)));
        }
        rows.push(row);
    }

    let recovery = recovery(scratch.path(), sizes.recovery_records);
    rows.extend(recovery.rows());

    let ratio = |f: &dyn Fn(&Round) -> f64| median(rounds.iter().map(f));
    let mut bars = vec![
        (
            "always, 1 writer / single-append ceiling".to_owned(),
            ratio(&|r| r.find("always", 1).ops_per_sec / r.single),
            0.8,
        ),
        (
            "always, 64 writers / grouped ceiling".to_owned(),
            ratio(&|r| r.find("always", 64).ops_per_sec / r.grouped),
            0.7,
        ),
        (
            format!("{FLOOR}, 64 writers / grouped ceiling"),
            ratio(&|r| r.find(FLOOR, GROUP).ops_per_sec / r.grouped),
            0.7,
        ),
    ];
    for writers in WRITER_COUNTS {
        let ratio = ratio(&|r| {
            r.find(INTERVAL, writers).ops_per_sec / r.find("memory", writers).ops_per_sec
        });
        bars.push((format!("interval / memory, {writers} writers"), ratio, 0.5));
    }
    let wall_mb_s = recovery.megabytes / recovery.seconds;
    bars.push((
        "recovery MB/s (wall clock) / 200".to_owned(),
        wall_mb_s / 200.0,
        1.0,
    ));
    if let Some(cpu) = recovery.cpu_seconds {
        let ratio = recovery.megabytes / cpu / 200.0;
        bars.push(("recovery MB/s (on-CPU time) / 200".to_owned(), ratio, 1.0));
    }
    for (name, ratio, bar) in bars {
        rows.push(
            json!({"part": "bar", "name": name, "ratio": ratio, "bar": bar, "met": ratio >= bar}),
        );
    }

    print_table(&rows);
    write_rows(&rows);
}

/// How a ceiling's file grows.
#[derive(Clone, Copy, PartialEq)]
enum Growth {
    /// Every append grows the file, so every `fdatasync` records a new size too.
    Appended,
    /// The file is grown to its final size first, as the log grows its segments ahead.
    Ahead,
}

/// Appends of `VALUE_SIZE` bytes, `group` per `fdatasync`: records per second.
fn disk_ceiling(dir: &Path, syncs: usize, group: usize, growth: Growth) -> f64 {
    let mut file = File::create(dir.join(format!("ceiling-{group}"))).unwrap();
    if growth == Growth::Ahead {
        file.set_len((syncs * group * VALUE_SIZE) as u64).unwrap();
        file.sync_all().unwrap();
    }
    let record = [7_u8; VALUE_SIZE];
    let started = Instant::now();
    for _ in 0..syncs {
        for _ in 0..group {
            file.write_all(&record).unwrap();
        }
        file.sync_data().unwrap();
    }
    (syncs * group) as f64 / started.elapsed().as_secs_f64()
}

/// One configuration of part (b).
struct Run {
    name: &'static str,
    writers: usize,
    ops_per_sec: f64,
    /// Latencies, where each operation was timed.
    p50: Option<Duration>,
    p99: Option<Duration>,
}

impl Run {
    /// A run measured by its rate alone.
    fn rate(name: &'static str, writers: usize, ops_per_sec: f64) -> Self {
        Self {
            name,
            writers,
            ops_per_sec,
            p50: None,
            p99: None,
        }
    }
}

/// One round of parts (a) and (b).
struct Round {
    /// Records per second with one `fdatasync` each.
    single: f64,
    /// Records per second in groups of [`GROUP`] per `fdatasync`.
    grouped: f64,
    /// The same two in a file grown ahead: what the log's own writes can reach.
    single_ahead: f64,
    grouped_ahead: f64,
    runs: Vec<Run>,
}

impl Round {
    /// Each ceiling right before the `always` runs it bounds; then the other policies, which
    /// leave dirty pages that the disk writes back behind later fsyncs, and the in-memory cache.
    fn measure(scratch: &Path, sizes: &Sizes) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let run = |name, policy, writers| {
            let dir = tempfile::tempdir_in(scratch).unwrap();
            let mut config = DurableConfig::new(dir.path());
            config.fsync = policy;
            config.max_entries = 4_000_000;
            config.snapshot_interval = None;
            let store = Arc::new(DurableStore::open(config).unwrap());
            runtime.block_on(drive(name, store, writers, sizes.run_for))
        };
        let single = disk_ceiling(scratch, sizes.single_appends, 1, Growth::Appended);
        let single_ahead = disk_ceiling(scratch, sizes.single_appends, 1, Growth::Ahead);
        let mut runs = vec![run("always", FsyncPolicy::Always, 1)];
        let grouped = disk_ceiling(scratch, sizes.groups, GROUP, Growth::Appended);
        let grouped_ahead = disk_ceiling(scratch, sizes.groups, GROUP, Growth::Ahead);
        runs.push(run("always", FsyncPolicy::Always, 64));
        let floor = floor::group_commit(
            scratch,
            &runtime,
            Arc::new(memory_store()),
            GROUP,
            VALUE_SIZE,
            sizes.run_for,
        );
        runs.push(Run::rate(FLOOR, GROUP, floor));
        runs.push(run("always", FsyncPolicy::Always, 8));
        for (name, policy) in [
            (INTERVAL, FsyncPolicy::Interval(Duration::from_millis(10))),
            ("never", FsyncPolicy::Never),
        ] {
            for writers in WRITER_COUNTS {
                runs.push(run(name, policy, writers));
            }
        }
        for writers in WRITER_COUNTS {
            let memory = Arc::new(memory_store());
            runs.push(runtime.block_on(drive("memory", memory, writers, sizes.run_for)));
        }
        Self {
            single,
            grouped,
            single_ahead,
            grouped_ahead,
            runs,
        }
    }

    fn find(&self, name: &str, writers: usize) -> &Run {
        self.runs
            .iter()
            .find(|r| r.name == name && r.writers == writers)
            .expect("every round runs every configuration")
    }
}

/// The in-memory store the durable one is compared with: the sharded cache, no log.
fn memory_store() -> CacheStore {
    ShardedCache::builder()
        .max_capacity(4_000_000)
        .eviction_mode(EvictionMode::Reject)
        .build_store()
}

/// The median of `values` (the upper one of an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `writers` tasks call `set` with 100-byte values for `run_for`.
async fn drive(
    name: &'static str,
    store: Arc<dyn Store>,
    writers: usize,
    run_for: Duration,
) -> Run {
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let value = Bytes::from(vec![b'v'; VALUE_SIZE]);
                let mut n = 0_u64;
                while Instant::now() < deadline {
                    let key = Bytes::from(format!("w{writer}-{}", n % 50_000));
                    let op = Instant::now();
                    store.set(&key, value.clone(), None).await.unwrap();
                    latencies.push(op.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    Run {
        name,
        writers,
        ops_per_sec: latencies.len() as f64 / elapsed,
        p50: Some(at(0.5)),
        p99: Some(at(0.99)),
    }
}

/// Part (c).
struct Recovery {
    records: u64,
    megabytes: f64,
    seconds: f64,
    cpu_seconds: Option<f64>,
}

impl Recovery {
    fn rows(&self) -> Vec<Value> {
        let mut rows = vec![json!({"part": "recovery", "name": "open (wall clock)",
            "records": self.records, "seconds": self.seconds, "log_mb": self.megabytes,
            "per_sec": self.megabytes / self.seconds})];
        if let Some(cpu) = self.cpu_seconds {
            rows.push(json!({"part": "recovery", "name": "open (on-CPU time)",
                "records": self.records, "seconds": cpu, "log_mb": self.megabytes,
                "per_sec": self.megabytes / cpu}));
        }
        rows
    }
}

/// Writes `records` sets (no snapshot), then times reopening, which replays them all.
fn recovery(scratch: &Path, records: u64) -> Recovery {
    let dir: PathBuf = tempfile::tempdir_in(scratch).unwrap().keep();
    let mut config = DurableConfig::new(&dir);
    config.fsync = FsyncPolicy::Never;
    config.snapshot_interval = None;
    config.max_entries = records * 2;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    {
        let store = DurableStore::open(config.clone()).unwrap();
        let value = Bytes::from(vec![b'r'; VALUE_SIZE]);
        runtime.block_on(async {
            for n in 0..records {
                let key = Bytes::from(format!("key-{n:012}"));
                store.set(&key, value.clone(), None).await.unwrap();
            }
        });
    }
    let (started, cpu_before) = (Instant::now(), thread_cpu_seconds());
    let store = DurableStore::open(config).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = thread_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let report = store.recovery_report().clone();
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
    Recovery {
        records: report.log_records,
        megabytes: report.log_bytes as f64 / 1e6,
        seconds,
        cpu_seconds,
    }
}

/// Time the calling thread has spent on a CPU (Linux `schedstat`), where the OS tells.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

fn print_table(rows: &[Value]) {
    println!(
        "\n{:<10} {:<42} {:>7} {:>12} {:>10} {:>10}",
        "part", "name", "writers", "per sec", "p50 us", "p99 us"
    );
    for row in rows {
        let text = |key: &str| match row.get(key) {
            Some(Value::Number(n)) if key == "ratio" || key == "bar" => {
                format!("{:.2}", n.as_f64().unwrap())
            }
            Some(Value::Number(n)) => format!("{:.1}", n.as_f64().unwrap()),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let tail = if row["part"] == "bar" {
            format!(
                "{:>12} bar {} met {}",
                text("ratio"),
                text("bar"),
                text("met")
            )
        } else {
            format!(
                "{:>12} {:>10} {:>10}",
                text("per_sec"),
                text("p50_us"),
                text("p99_us")
            )
        };
        println!(
            "{:<10} {:<42} {:>7} {tail}",
            text("part"),
            text("name"),
            text("writers")
        );
    }
    println!(
        "\nper sec: records (disk, set) or MB of log (recovery); the machine's cores are shared"
    );
}

fn write_rows(rows: &[Value]) {
    let dir = std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("persist.json");
    std::fs::write(&path, serde_json::to_string_pretty(rows).unwrap()).unwrap();
    println!("rows written to {}", path.display());
}

//! Garbage collection and periodic snapshots: under steady writes the directory stays bounded,
//! and snapshots beyond the retention go.

mod common;

use std::path::Path;
use std::time::Duration;

use cache_core::{MockClock, Store};
use cache_persist::fs::{FileSystem, SimulatedFs};
use cache_persist::{DurableConfig, DurableStore};
use common::{block_on, keys, value};

const DIR: &str = "/gc";

fn config() -> DurableConfig {
    let mut config = DurableConfig::new(DIR);
    config.snapshot_interval = None;
    config.segment_size = bytesize::ByteSize::kib(4);
    config
}

/// (segments, snapshots, bytes) in the directory.
fn usage(fs: &SimulatedFs) -> (usize, usize, usize) {
    let names = fs.list(Path::new(DIR)).unwrap();
    let bytes = names
        .iter()
        .map(|name| fs.read(&Path::new(DIR).join(name)).unwrap().len())
        .sum();
    let count = |suffix: &str| names.iter().filter(|name| name.ends_with(suffix)).count();
    (count(".log"), count(".snap"), bytes)
}

#[test]
fn disk_use_stays_bounded_under_steady_writes() {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let store = DurableStore::builder(config())
        .file_system(fs.clone())
        .clock(clock)
        .open()
        .unwrap();
    let keys = keys(100);
    let mut peak = (0, 0, 0);
    for round in 0..30_u64 {
        block_on(async {
            for (i, key) in keys.iter().enumerate() {
                store
                    .set(key, value(round * 1_000 + i as u64), None)
                    .await
                    .unwrap();
            }
        });
        let info = store.snapshot().unwrap();
        let (segments, snapshots, bytes) = usage(&fs);
        assert!(snapshots <= 2, "round {round}: {snapshots} snapshots kept");
        assert!(
            round < 2 || !info.removed.is_empty(),
            "round {round} collected nothing"
        );
        peak = (
            peak.0.max(segments),
            peak.1.max(snapshots),
            peak.2.max(bytes),
        );
    }
    // Each round writes about 14 KiB of log (four segments); two rounds of log stay for the
    // fallback to the older snapshot, plus the two snapshots themselves.
    assert!(peak.0 <= 12, "{} segments at the peak", peak.0);
    assert!(peak.2 < 80 * 1024, "{} bytes at the peak", peak.2);
}

#[test]
fn snapshots_older_than_the_retention_go_except_the_newest() {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    clock.advance(Duration::from_secs(1_700_000_000));
    let mut config = config();
    config.retention.keep = 5;
    config.retention.max_age = Duration::from_secs(3_600);
    let store = DurableStore::builder(config)
        .file_system(fs.clone())
        .clock(clock.clone())
        .open()
        .unwrap();
    let key = bytes::Bytes::from_static(b"k");
    for hour in 0..3 {
        block_on(store.set(&key, value(hour), None)).unwrap();
        store.snapshot().unwrap();
        clock.advance(Duration::from_secs(2 * 3_600));
    }
    assert_eq!(
        usage(&fs).1,
        1,
        "only the newest snapshot outlives the maximum age"
    );
    store.snapshot().unwrap();
    assert_eq!(
        usage(&fs).1,
        1,
        "the two-hour-old snapshot goes once a newer one exists"
    );
    clock.advance(Duration::from_secs(600));
    store.snapshot().unwrap();
    assert_eq!(
        usage(&fs).1,
        2,
        "a ten-minute-old snapshot stays within keep = 5"
    );
}

#[test]
fn snapshots_are_taken_periodically() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = DurableConfig::new(dir.path());
    config.snapshot_interval = Some(Duration::from_millis(20));
    let store = DurableStore::open(config).unwrap();
    block_on(store.set(&bytes::Bytes::from_static(b"k"), value(1), None)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let snapshot_exists = || {
        std::fs::read_dir(dir.path()).unwrap().any(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".snap")
        })
    };
    while !snapshot_exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no periodic snapshot within 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(store);
}

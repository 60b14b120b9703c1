//! Recovery from a real directory: torn tails at every offset, bit flips, corrupt records and
//! snapshots in both recovery modes, expiry and deletes across restarts.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Clock, MockClock, Store};
use cache_persist::{DurableConfig, DurableStore, OpenError, RecoveryMode};
use common::{block_on, keys, value};

/// A short value, so that the last record has few bytes to cut and flip.
fn small(i: usize) -> Bytes {
    Bytes::from(format!("v{i}"))
}

fn config(dir: &Path, mode: RecoveryMode) -> DurableConfig {
    let mut config = DurableConfig::new(dir);
    config.snapshot_interval = None;
    config.recovery = mode;
    config
}

fn open(dir: &Path, clock: &MockClock) -> DurableStore {
    try_open(dir, clock, RecoveryMode::Tolerant).expect("the store opens")
}

fn try_open(dir: &Path, clock: &MockClock, mode: RecoveryMode) -> Result<DurableStore, OpenError> {
    DurableStore::builder(config(dir, mode))
        .clock(clock.clone())
        .open()
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

/// The byte offset of each record in `segment`.
fn record_offsets(segment: &Path) -> Vec<usize> {
    let bytes = fs::read(segment).unwrap();
    let mut offsets = Vec::new();
    let mut at = 20;
    // A zero length is where the zeros the file was grown with begin.
    while at < bytes.len() && bytes[at..at + 4] != [0; 4] {
        offsets.push(at);
        at += 8 + u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    offsets
}

/// The bytes of `segment` up to the end of its last record.
fn written(segment: &Path) -> Vec<u8> {
    let mut bytes = fs::read(segment).unwrap();
    let last = *record_offsets(segment).last().unwrap();
    let end = last + 8 + u32::from_le_bytes(bytes[last..last + 4].try_into().unwrap()) as usize;
    assert!(
        bytes[end..].iter().all(|&b| b == 0),
        "only zeros follow the records"
    );
    bytes.truncate(end);
    bytes
}

/// Writes `n` keys in one session and returns the segment that holds them.
fn write_keys(dir: &Path, clock: &MockClock, n: usize) -> PathBuf {
    let store = open(dir, clock);
    block_on(async {
        for (i, key) in keys(n).iter().enumerate() {
            store.set(key, small(i), None).await.unwrap();
        }
    });
    drop(store);
    files(dir, ".log")
        .into_iter()
        .find(|path| fs::metadata(path).unwrap().len() > 20)
        .unwrap()
}

/// Recovers `dir`, expecting the first `n` keys and not key `n`, then proves that a write after
/// recovery survives the next restart.
fn assert_prefix_recovers(dir: &Path, clock: &MockClock, n: usize, label: &str) {
    let all = keys(n + 1);
    let store = open(dir, clock);
    let after = Bytes::from_static(b"written-after-recovery");
    block_on(async {
        for (i, key) in all.iter().enumerate().take(n) {
            assert_eq!(
                store.get(key).await.unwrap(),
                Some(small(i)),
                "{label}: key {i}"
            );
        }
        assert_eq!(
            store.get(&all[n]).await.unwrap(),
            None,
            "{label}: damaged record accepted"
        );
        store.set(&after, value(7), None).await.unwrap();
    });
    assert!(
        store.recovery_report().dropped.is_empty(),
        "{label}: {:?}",
        store.recovery_report()
    );
    drop(store);
    let store = open(dir, clock);
    block_on(async {
        assert_eq!(store.get(&after).await.unwrap(), Some(value(7)), "{label}");
        assert_eq!(store.get(&all[0]).await.unwrap(), Some(small(0)), "{label}");
    });
}

#[test]
fn a_torn_tail_at_every_offset_of_the_last_record_recovers_the_prefix() {
    let clock = MockClock::new();
    let template = tempfile::tempdir().unwrap();
    let segment = write_keys(template.path(), &clock, 4);
    let original = written(&segment);
    let last = *record_offsets(&segment).last().unwrap();
    let reserved = fs::metadata(&segment).unwrap().len() as usize;
    for cut in last..original.len() {
        // The file cut short, and the file as it is grown ahead: the rest of it zeros.
        for (shape, len) in [("cut", cut), ("zeroed", reserved)] {
            let dir = tempfile::tempdir().unwrap();
            let mut torn = original[..cut].to_vec();
            torn.resize(len, 0);
            fs::write(dir.path().join(segment.file_name().unwrap()), &torn).unwrap();
            // Zeros that happen to be the record's own last bytes leave it whole.
            let whole = torn.get(..original.len()) == Some(&original[..]);
            let kept = if whole { 4 } else { 3 };
            assert_prefix_recovers(dir.path(), &clock, kept, &format!("{shape} at {cut}"));
        }
    }
}

#[test]
fn a_bit_flip_anywhere_in_the_last_record_recovers_the_prefix() {
    let clock = MockClock::new();
    let template = tempfile::tempdir().unwrap();
    let segment = write_keys(template.path(), &clock, 4);
    let original = written(&segment);
    let last = *record_offsets(&segment).last().unwrap();
    for bit in last * 8..original.len() * 8 {
        let dir = tempfile::tempdir().unwrap();
        let mut flipped = original.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        fs::write(dir.path().join(segment.file_name().unwrap()), &flipped).unwrap();
        let store = open(dir.path(), &clock);
        let torn = store
            .recovery_report()
            .torn_tail
            .clone()
            .expect("a torn tail");
        assert_eq!(torn.offset, last as u64, "bit {bit}");
        drop(store);
        assert_prefix_recovers(dir.path(), &clock, 3, &format!("bit {bit}"));
    }
}

#[test]
fn a_corrupt_record_inside_the_log_is_dropped_and_reported_or_refused_in_strict_mode() {
    let clock = MockClock::new();
    let dir = tempfile::tempdir().unwrap();
    let segment = write_keys(dir.path(), &clock, 6);
    let offsets = record_offsets(&segment);
    let mut bytes = fs::read(&segment).unwrap();
    bytes[offsets[2] + 10] ^= 0x01;
    fs::write(&segment, &bytes).unwrap();

    let strict = try_open(dir.path(), &clock, RecoveryMode::Strict).unwrap_err();
    assert!(matches!(strict, OpenError::Corrupt { .. }), "{strict}");
    assert!(
        strict.to_string().contains(&segment.display().to_string()),
        "{strict}"
    );

    let store = open(dir.path(), &clock);
    let report = store.recovery_report().clone();
    assert_eq!(report.log_records, 2, "{report:?}");
    let dropped = &report.dropped[0];
    assert_eq!(dropped.path, segment);
    assert_eq!(dropped.from_offset, offsets[2] as u64);
    assert_eq!(dropped.from_lsn, Some(2));
    assert_eq!(
        fs::read(dropped.moved_to.as_ref().unwrap()).unwrap(),
        bytes,
        "evidence kept"
    );
    let all = keys(6);
    let after = Bytes::from_static(b"after");
    block_on(async {
        assert_eq!(store.get(&all[1]).await.unwrap(), Some(small(1)));
        assert_eq!(
            store.get(&all[2]).await.unwrap(),
            None,
            "replay stops at the damage"
        );
        assert_eq!(
            store.get(&all[5]).await.unwrap(),
            None,
            "and goes no further"
        );
        store.set(&after, value(9), None).await.unwrap();
    });
    drop(store);
    let store = open(dir.path(), &clock);
    assert!(store.recovery_report().dropped.is_empty());
    block_on(async { assert_eq!(store.get(&after).await.unwrap(), Some(value(9))) });
}

#[test]
fn a_corrupt_snapshot_falls_back_to_the_previous_one_and_the_log() {
    let clock = MockClock::new();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(30);
    let store = open(dir.path(), &clock);
    block_on(async {
        for (i, key) in keys.iter().enumerate() {
            store.set(key, value(i as u64), None).await.unwrap();
            if i == 10 || i == 20 {
                store.snapshot().unwrap();
            }
        }
        store.delete(&keys[3]).await.unwrap();
    });
    drop(store);
    let snapshots = files(dir.path(), ".snap");
    assert_eq!(snapshots.len(), 2);
    let newest = snapshots.last().unwrap();
    let mut bytes = fs::read(newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(newest, &bytes).unwrap();

    let strict = try_open(dir.path(), &clock, RecoveryMode::Strict).unwrap_err();
    assert!(
        strict.to_string().contains(&newest.display().to_string()),
        "{strict}"
    );

    let store = open(dir.path(), &clock);
    let report = store.recovery_report();
    assert_eq!(report.snapshot.as_ref(), Some(&snapshots[0]), "{report:?}");
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(&report.dropped[0].path, newest);
    block_on(async {
        for (i, key) in keys.iter().enumerate() {
            let expected = (i != 3).then(|| value(i as u64));
            assert_eq!(store.get(key).await.unwrap(), expected, "key {i}");
        }
    });
}

#[test]
fn expired_records_stay_expired_and_deletes_stay_deleted() {
    let clock = MockClock::new();
    clock.advance(Duration::from_secs(1_700_000_000));
    let dir = tempfile::tempdir().unwrap();
    let (short, long, gone) = (
        Bytes::from_static(b"short"),
        Bytes::from_static(b"long"),
        Bytes::from_static(b"gone"),
    );
    let store = open(dir.path(), &clock);
    block_on(async {
        store.set(&gone, value(0), None).await.unwrap();
        store
            .set(&short, value(1), Some(Duration::from_secs(5)))
            .await
            .unwrap();
        store
            .set(&long, value(2), Some(Duration::from_secs(50)))
            .await
            .unwrap();
        store.snapshot().unwrap();
        store.delete(&gone).await.unwrap();
    });
    drop(store);
    clock.advance(Duration::from_secs(10));
    let store = open(dir.path(), &clock);
    block_on(async {
        assert_eq!(store.get(&short).await.unwrap(), None);
        assert_eq!(store.get(&long).await.unwrap(), Some(value(2)));
        assert_eq!(store.get(&gone).await.unwrap(), None);
    });
    let snapshot = store.snapshot().unwrap();
    assert_eq!(
        snapshot.entries, 1,
        "expired entries are left out of snapshots"
    );
    drop(store);
    clock.advance(Duration::from_secs(100));
    let store = open(dir.path(), &clock);
    assert_eq!(
        store.len(),
        0,
        "{:?} at {}",
        store.recovery_report(),
        clock.now()
    );
}

#[test]
fn open_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let clock = MockClock::new();
    let first = open(dir.path(), &clock);
    let locked = try_open(dir.path(), &clock, RecoveryMode::Tolerant).unwrap_err();
    assert!(matches!(locked, OpenError::Locked { .. }), "{locked}");
    assert!(
        locked
            .to_string()
            .contains(&dir.path().display().to_string())
    );
    drop(first);

    let file = dir.path().join("a-file");
    fs::write(&file, b"not a directory").unwrap();
    let not_dir = try_open(&file.join("store"), &clock, RecoveryMode::Tolerant).unwrap_err();
    assert!(not_dir.to_string().contains("a-file"), "{not_dir}");

    let mut invalid = config(dir.path(), RecoveryMode::Tolerant);
    invalid.retention.keep = 0;
    let refused = DurableStore::open(invalid).unwrap_err();
    assert!(refused.to_string().contains("retention.keep"), "{refused}");
}

#[test]
fn a_segment_torn_while_being_created_is_removed() {
    let clock = MockClock::new();
    let dir = tempfile::tempdir().unwrap();
    let segment = write_keys(dir.path(), &clock, 2);
    drop(open(dir.path(), &clock));
    let newest = files(dir.path(), ".log").into_iter().max().unwrap();
    assert_ne!(newest, segment, "each open starts a segment");
    fs::write(&newest, b"RSWL\x01").unwrap();
    assert_prefix_recovers(dir.path(), &clock, 2, "torn header");
}

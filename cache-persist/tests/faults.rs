//! Fault injection through the simulated file system: failed fsyncs and writes, power loss, and
//! a crash at every step of a snapshot and its garbage collection.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Clock, MockClock, Store, StoreError};
use cache_persist::fs::{Fault, SimulatedFs};
use cache_persist::{DurableConfig, DurableStore};
use common::{Model, assert_matches, block_on, keys, value};

const DIR: &str = "/store";

fn open(fs: &SimulatedFs, clock: &MockClock) -> DurableStore {
    let mut config = DurableConfig::new(DIR);
    config.snapshot_interval = None;
    config.segment_size = bytesize::ByteSize::kib(4);
    DurableStore::builder(config)
        .file_system(fs.clone())
        .clock(clock.clone())
        .open()
        .expect("the store opens")
}

/// Every event the log thread emits, as text, for the whole test binary.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static CAPTURED: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || SharedWriter(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
        buffer
    })
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_fsync_is_not_acknowledged_and_turns_the_store_read_only() {
    let events = captured();
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let store = open(&fs, &clock);
    let (kept, lost) = (Bytes::from_static(b"kept"), Bytes::from_static(b"lost"));
    block_on(async {
        store.set(&kept, value(1), None).await.unwrap();
        fs.inject(Fault::FailSync);
        let refused = store.set(&lost, value(2), None).await.unwrap_err();
        assert!(matches!(refused, StoreError::ReadOnly { .. }), "{refused}");
        assert!(refused.to_string().contains("fsync"), "{refused}");
        let again = store.set(&kept, value(3), None).await.unwrap_err();
        assert!(matches!(again, StoreError::ReadOnly { .. }));
        assert!(store.delete(&kept).await.is_err(), "deletes are writes too");
        assert_eq!(
            store.get(&kept).await.unwrap(),
            Some(value(1)),
            "reads go on"
        );
    });
    assert!(store.read_only_reason().is_some());
    assert!(
        store.snapshot().is_err(),
        "a read-only store takes no snapshot"
    );
    let text = String::from_utf8(events.lock().unwrap().clone()).unwrap();
    assert!(text.contains(r#"incident="wal_fsync_failed""#), "{text}");
    drop(store);
    fs.power_loss();
    let reopened = open(&fs, &clock);
    block_on(async {
        assert_eq!(reopened.get(&kept).await.unwrap(), Some(value(1)));
        reopened.set(&lost, value(4), None).await.unwrap();
    });
}

/// Writers on several threads, so that commits are led by lone writers and by the log thread in
/// turn, until an fsync fails: after a power loss, every write that was acknowledged is there.
#[test]
fn concurrent_writers_are_acknowledged_only_once_synced() {
    const WRITERS: u64 = 6;
    const ACKNOWLEDGED_BEFORE_FAULT: usize = 600;
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let store = open(&fs, &clock);
    let acknowledged = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (store, acknowledged) = (&store, &acknowledged);
            scope.spawn(move || {
                block_on(async {
                    for n in 0.. {
                        let key = Bytes::from(format!("w{writer}-{n}"));
                        let seed = writer * 1_000_000 + n;
                        if store.set(&key, value(seed), None).await.is_err() {
                            return;
                        }
                        acknowledged.lock().unwrap().push((key, seed));
                    }
                });
            });
        }
        while acknowledged.lock().unwrap().len() < ACKNOWLEDGED_BEFORE_FAULT {
            std::thread::yield_now();
        }
        fs.inject(Fault::FailSync);
    });
    assert!(store.read_only_reason().is_some());
    drop(store);
    fs.power_loss();
    let reopened = open(&fs, &clock);
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(acknowledged.len() >= ACKNOWLEDGED_BEFORE_FAULT);
    block_on(async {
        for (key, seed) in &acknowledged {
            assert_eq!(
                reopened.get(key).await.unwrap(),
                Some(value(*seed)),
                "{key:?}"
            );
        }
    });
}

#[test]
fn a_failed_write_turns_the_store_read_only() {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let store = open(&fs, &clock);
    fs.inject(Fault::FailWrite);
    block_on(async {
        let refused = store.set(&Bytes::from_static(b"k"), value(1), None).await;
        assert!(
            matches!(refused, Err(StoreError::ReadOnly { .. })),
            "{refused:?}"
        );
    });
}

#[test]
fn acknowledged_writes_survive_power_loss() {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let keys = keys(200);
    let mut model = Model::default();
    for round in 0..4_u64 {
        let store = open(&fs, &clock);
        block_on(async {
            assert_matches(&store, &model, &keys, clock.now()).await;
            for (i, key) in keys.iter().enumerate() {
                let seed = round * 1_000 + i as u64;
                match (i as u64 + round) % 5 {
                    0 => {
                        store.delete(key).await.unwrap();
                        model.delete(key);
                    }
                    1 => {
                        let ttl = Duration::from_secs(1 + i as u64 % 3);
                        store.set(key, value(seed), Some(ttl)).await.unwrap();
                        model.set(key, &value(seed), Some(clock.now() + ttl.as_nanos() as u64));
                    }
                    _ => {
                        store.set(key, value(seed), None).await.unwrap();
                        model.set(key, &value(seed), None);
                    }
                }
            }
        });
        if round == 1 {
            store.snapshot().unwrap();
        }
        clock.advance(Duration::from_secs(2));
        fs.power_loss();
    }
    let store = open(&fs, &clock);
    block_on(assert_matches(&store, &model, &keys, clock.now()));
}

/// Writes, two snapshots, more writes, then a third snapshot (with its garbage collection)
/// that fails after `fail_after` file operations, then a crash; recovery must equal the model.
fn snapshot_crash_scenario(fail_after: Option<u64>, power_loss: bool) -> u64 {
    let (fs, clock) = (SimulatedFs::new(), MockClock::new());
    let keys = keys(64);
    let mut model = Model::default();
    let store = open(&fs, &clock);
    block_on(async {
        for phase in 0..3_u64 {
            for (i, key) in keys.iter().enumerate() {
                let seed = phase * 100 + i as u64;
                if (i as u64 + phase).is_multiple_of(4) {
                    store.delete(key).await.unwrap();
                    model.delete(key);
                } else {
                    store.set(key, value(seed), None).await.unwrap();
                    model.set(key, &value(seed), None);
                }
            }
            if phase < 2 {
                store.snapshot().unwrap();
            }
        }
    });
    let before = fs.operations();
    if let Some(n) = fail_after {
        fs.inject(Fault::StopAfter(n));
    }
    let outcome = store.snapshot();
    let steps = fs.operations() - before;
    // The log thread rotates the segment concurrently, so which step fails varies; only the
    // unfailed run must succeed, and every run must recover the model.
    if fail_after.is_none() {
        outcome.unwrap();
    } else if fail_after == Some(0) {
        assert!(
            outcome.is_err(),
            "a snapshot that could not create its file succeeded"
        );
    }
    drop(store);
    if power_loss {
        fs.power_loss();
    } else {
        fs.process_crash();
    }
    let reopened = open(&fs, &clock);
    assert!(
        reopened.recovery_report().dropped.is_empty(),
        "{:?}",
        reopened.recovery_report()
    );
    block_on(assert_matches(&reopened, &model, &keys, clock.now()));
    steps
}

#[test]
fn a_crash_at_every_step_of_snapshot_and_gc_recovers_the_model() {
    let steps = snapshot_crash_scenario(None, false);
    assert!(
        steps >= 8,
        "a snapshot with collection takes {steps} file operations"
    );
    for fail_after in 0..=steps {
        snapshot_crash_scenario(Some(fail_after), true);
        snapshot_crash_scenario(Some(fail_after), false);
    }
}

#[test]
fn two_stores_never_share_a_directory() {
    let fs = SimulatedFs::new();
    let clock = MockClock::new();
    let first = open(&fs, &clock);
    let mut config = DurableConfig::new(DIR);
    config.snapshot_interval = None;
    let second = DurableStore::builder(config)
        .file_system(fs.clone())
        .open()
        .unwrap_err();
    assert!(
        second
            .to_string()
            .contains(&Path::new(DIR).display().to_string()),
        "{second}"
    );
    drop(first);
    open(&fs, &clock);
}

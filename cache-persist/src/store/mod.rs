//! [`DurableStore`]: the sharded cache, in its no-eviction mode, made durable by the log.

mod ops;
mod periodic;
mod snapshot;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use cache_core::{Clock, EvictionMode, ShardedCache};
use parking_lot::Mutex;

pub use snapshot::{SnapshotError, SnapshotInfo};

use crate::format::record::WalRecord;
use crate::fs::{DirLock, FileSystem, OsFs, PathError};
use crate::wal::Wal;
use crate::{
    DurableConfig, OpenError, RecoveryReport, Retention, UnixClock, gc, metrics, recovery,
};
use periodic::Periodic;

/// A [`Store`](cache_core::Store) that survives restarts: a [`ShardedCache`] that never evicts,
/// plus a write-ahead log of every mutation and periodic snapshots, in one directory.
///
/// A write is applied to the cache and appended to the log under its key's lock, then
/// acknowledged once the log is durable as the [`FsyncPolicy`](crate::FsyncPolicy) promises; the
/// log thread does the I/O, so a write's future never blocks the thread polling it.
/// Reads are served from memory; they may see a write whose call has not returned yet. A write
/// that returns an error may or may not survive a restart; one that returned `Ok` does (within
/// its policy's promise).
///
/// When the log cannot be written or synced, the store turns read-only: writes fail with
/// [`StoreError::ReadOnly`](cache_core::StoreError::ReadOnly), reads go on, and a `tracing`
/// error event with the field `incident = "wal_fsync_failed"` (or `wal_write_failed`,
/// `wal_rotate_failed`) is emitted. Reopen the store to recover.
///
/// Dropping the store flushes and syncs the log and stops its threads.
///
/// Recovered keys and values share the buffers the files were read into rather than being copied
/// one by one, so a log file's buffer stays in memory while the store holds any entry from it;
/// snapshots bound the log that recovery reads.
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use cache_core::Store;
/// use cache_persist::{DurableConfig, DurableStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let key = Bytes::from_static(b"order-42");
/// {
///     let store = DurableStore::open(DurableConfig::new(dir.path()))?;
///     store.set(&key, Bytes::from_static(b"completed:201"), None).await?;
/// }
/// let reopened = DurableStore::open(DurableConfig::new(dir.path()))?;
/// assert_eq!(reopened.get(&key).await?, Some(Bytes::from_static(b"completed:201")));
/// assert_eq!(reopened.recovery_report().log_records, 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DurableStore {
    inner: Arc<Inner>,
    periodic: Option<Periodic>,
}

#[derive(Debug)]
struct Limits {
    max_key_size: usize,
    max_value_size: usize,
}

#[derive(Debug)]
pub(crate) struct Inner {
    cache: ShardedCache<Bytes, Bytes>,
    wal: Wal,
    limits: Limits,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    retention: Retention,
    snapshotting: Mutex<()>,
    report: RecoveryReport,
    operations: metrics::Operations,
    _lock: Box<dyn DirLock>,
}

/// Opens a [`DurableStore`] with a file system or clock other than the defaults.
#[derive(Debug)]
#[must_use = "a builder does nothing until opened"]
pub struct DurableStoreBuilder {
    config: DurableConfig,
    fs: Arc<dyn FileSystem>,
    clock: Arc<dyn Clock>,
}

impl DurableStoreBuilder {
    /// The file layer every byte goes through (default [`OsFs`]); tests inject
    /// [`SimulatedFs`](crate::fs::SimulatedFs).
    pub fn file_system(mut self, fs: impl FileSystem) -> Self {
        self.fs = Arc::new(fs);
        self
    }

    /// The clock of expiries, which must count from the Unix epoch so that logged expiries mean
    /// the same after a restart (default [`UnixClock`]); tests pass a
    /// [`MockClock`](cache_core::MockClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates the configuration, locks the directory, recovers, and starts the log.
    pub fn open(self) -> Result<DurableStore, OpenError> {
        let Self { config, fs, clock } = self;
        config.validate()?;
        let dir = config.dir.clone();
        fs.create_dir_all(&dir)
            .map_err(PathError::new("create directory", &dir))?;
        let lock = fs.lock_dir(&dir).map_err(|source| match source.kind() {
            std::io::ErrorKind::WouldBlock => OpenError::Locked { dir: dir.clone() },
            _ => PathError::new("lock", &dir)(source).into(),
        })?;
        let cache = ShardedCache::builder()
            .max_capacity(config.max_entries)
            .eviction_mode(EvictionMode::Reject)
            .clock(Arc::clone(&clock))
            .build();
        let started = Instant::now();
        let report = recover_into(&cache, fs.as_ref(), &dir, &config, clock.now())?;
        metrics::recovery(
            started.elapsed(),
            report.snapshot_entries + report.log_records,
        );
        let segment_size = config.segment_size.as_u64();
        let wal = Wal::open(
            Arc::clone(&fs),
            &dir,
            config.fsync,
            segment_size,
            report.next_lsn,
        )?;
        gc::collect(fs.as_ref(), &dir, config.retention, clock.now())?;
        let inner = Arc::new(Inner {
            cache,
            wal,
            limits: Limits {
                max_key_size: usize::try_from(config.max_key_size.as_u64()).unwrap_or(usize::MAX),
                max_value_size: usize::try_from(config.max_value_size.as_u64())
                    .unwrap_or(usize::MAX),
            },
            fs,
            dir,
            retention: config.retention,
            snapshotting: Mutex::new(()),
            report,
            operations: metrics::Operations::new(),
            _lock: lock,
        });
        let periodic = config
            .snapshot_interval
            .map(|every| Periodic::start(&inner, every));
        Ok(DurableStore { inner, periodic })
    }
}

/// Replays the directory into `cache`. Keys and values are kept as slices of the buffers the
/// files were read into, not copied one by one: a buffer is freed once the cache holds none of its
/// entries, so until then it also keeps the records overwritten after it (at most the log since
/// the last snapshot).
fn recover_into(
    cache: &ShardedCache<Bytes, Bytes>,
    fs: &dyn FileSystem,
    dir: &Path,
    config: &DurableConfig,
    now: u64,
) -> Result<RecoveryReport, OpenError> {
    let mut apply = |file: &Bytes, record: WalRecord<'_>| match record {
        WalRecord::Set {
            key,
            value,
            expires_at,
        } => cache
            .insert_expiring_at(file.slice_ref(key), file.slice_ref(value), expires_at)
            .map_err(|full| OpenError::Cache(full.into())),
        WalRecord::Delete { key } => {
            cache.remove(key);
            Ok(())
        }
    };
    recovery::recover(fs, dir, config.recovery, now, &mut apply)
}

impl DurableStore {
    /// Opens (creating if needed) the store `config` describes, with the real file system and
    /// [`UnixClock`].
    pub fn open(config: DurableConfig) -> Result<Self, OpenError> {
        Self::builder(config).open()
    }

    /// A builder, to open with another file system or clock.
    pub fn builder(config: DurableConfig) -> DurableStoreBuilder {
        DurableStoreBuilder {
            config,
            fs: Arc::new(OsFs),
            clock: Arc::new(UnixClock),
        }
    }

    /// Takes a snapshot now and collects garbage. Blocks on file I/O: from async code, call it
    /// through `spawn_blocking`.
    pub fn snapshot(&self) -> Result<SnapshotInfo, SnapshotError> {
        self.inner.snapshot()
    }

    /// What recovery found when the store opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.inner.report
    }

    /// Entries held, including expired ones not reclaimed yet.
    pub fn len(&self) -> usize {
        self.inner.cache.len()
    }

    /// True when the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.inner.cache.is_empty()
    }

    /// Why the store is read-only, if it is.
    pub fn read_only_reason(&self) -> Option<String> {
        self.inner.wal.failure().map(|reason| reason.to_string())
    }
}

impl Drop for DurableStore {
    fn drop(&mut self) {
        if let Some(periodic) = self.periodic.take() {
            periodic.stop();
        }
    }
}

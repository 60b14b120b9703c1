//! The log's writing end: the current segment, which the log thread holds to write the pending
//! work, rotate segments and sync. On the first I/O error the log stops for good and the store turns
//! read-only: an fsync that failed is never retried, since the kernel may have dropped the pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Pending, Rotation, Shared};
use crate::FsyncPolicy;
use crate::format::{frame, segment};
use crate::fs::{FileSystem, PathError, WritableFile};
use crate::{layout, metrics};

/// Creates the segment for `first_lsn` with its header; with `sync`, durably (data and entry).
pub(super) fn start_segment(
    fs: &dyn FileSystem,
    dir: &Path,
    first_lsn: u64,
    sync: bool,
) -> Result<Box<dyn WritableFile>, PathError> {
    let path = layout::segment_path(dir, first_lsn);
    let mut file = fs.create(&path).map_err(PathError::new("create", &path))?;
    file.write_all(&segment::encode_header(first_lsn))
        .map_err(PathError::new("write", &path))?;
    if sync {
        file.sync_data().map_err(PathError::new("sync", &path))?;
        fs.sync_dir(dir)
            .map_err(PathError::new("sync directory", dir))?;
    }
    Ok(file)
}

/// The segment being appended to, and how far the log has been written.
#[derive(Debug)]
pub(super) struct Writer {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    /// Records written since the last sync.
    unsynced: u64,
    /// Every record below this sequence number has been written.
    written: u64,
    last_sync: Instant,
}

impl Writer {
    /// The writer of a segment just started by [`start_segment`] at `first_lsn`.
    pub(super) fn new(file: Box<dyn WritableFile>, dir: &Path, first_lsn: u64) -> Self {
        Self {
            file,
            path: layout::segment_path(dir, first_lsn),
            unsynced: 0,
            written: first_lsn,
            last_sync: Instant::now(),
        }
    }

    /// Writes the pending work, then syncs if the policy asks.
    fn flush(&mut self, shared: &Shared, closing: bool) -> Result<(), Failure> {
        let Pending {
            mut records,
            count,
            rotations,
        } = shared.take_pending();
        frame::seal(&mut records);
        let end = self.written + count;
        let mut start = 0;
        for Rotation { offset, first_lsn } in rotations {
            self.write(&records[start..offset], first_lsn - self.written)?;
            self.rotate(shared, first_lsn)?;
            start = offset;
        }
        self.write(&records[start..], end - self.written)?;
        shared.recycle(records);
        let due = match shared.policy {
            FsyncPolicy::Always => true,
            FsyncPolicy::Interval(every) => closing || self.last_sync.elapsed() >= every,
            FsyncPolicy::Never => closing,
        };
        if due && self.unsynced > 0 {
            self.sync()?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// How far the log is durable, when nothing written is left unsynced.
    fn durable(&self) -> Option<u64> {
        (self.unsynced == 0).then_some(self.written)
    }

    /// When the interval policy wants the records written since the last sync synced.
    fn sync_due(&self, policy: FsyncPolicy) -> Option<Instant> {
        match policy {
            FsyncPolicy::Interval(every) if self.unsynced > 0 => Some(self.last_sync + every),
            _ => None,
        }
    }

    /// Appends `count` sealed records to the segment.
    fn write(&mut self, records: &[u8], count: u64) -> Result<(), Failure> {
        if records.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        self.file
            .write_all(records)
            .map_err(|e| Failure::write(&self.path, e))?;
        metrics::wal_append(started.elapsed());
        self.unsynced += count;
        self.written += count;
        Ok(())
    }

    fn rotate(&mut self, shared: &Shared, first_lsn: u64) -> Result<(), Failure> {
        let durable = shared.policy != FsyncPolicy::Never;
        if durable && self.unsynced > 0 {
            self.sync()?;
        }
        self.file = start_segment(shared.fs.as_ref(), &shared.dir, first_lsn, durable)
            .map_err(Failure::from)?;
        self.path = layout::segment_path(&shared.dir, first_lsn);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), Failure> {
        let started = Instant::now();
        self.file
            .sync_data()
            .map_err(|e| Failure::sync(&self.path, e))?;
        metrics::wal_fsync(started.elapsed(), self.unsynced);
        self.unsynced = 0;
        Ok(())
    }
}

/// What a commit left for the log thread to schedule.
#[derive(Debug)]
pub(super) struct Committed {
    /// When the records written but not synced are due for a sync, under the interval policy.
    pub(super) sync_due: Option<Instant>,
}

/// Writes the pending work through `writer` and publishes how far the log is durable. Returns
/// `None` once the log has failed.
pub(super) fn commit(shared: &Shared, writer: &mut Writer, closing: bool) -> Option<Committed> {
    if shared.failed.load(Ordering::Acquire) {
        return None;
    }
    if let Err(failure) = writer.flush(shared, closing) {
        fail(shared, &failure);
        shared
            .progress
            .send_modify(|p| p.failure = Some(failure.reason));
        return None;
    }
    let durable = writer.durable();
    let sync_due = writer.sync_due(shared.policy);
    if let Some(durable) = durable {
        let waiting = shared.waiting.load(Ordering::Relaxed);
        shared.expected_group.store(waiting, Ordering::Relaxed);
        shared
            .progress
            .send_modify(|p| p.durable = p.durable.max(durable));
    }
    Some(Committed { sync_due })
}

/// The error that stopped the log, with its stable incident name.
struct Failure {
    incident: &'static str,
    error: PathError,
    reason: Arc<str>,
}

impl Failure {
    fn new(incident: &'static str, error: PathError) -> Self {
        let reason = format!("write-ahead log failed: {error}").into();
        Failure {
            incident,
            error,
            reason,
        }
    }

    fn write(path: &Path, error: std::io::Error) -> Self {
        Self::new("wal_write_failed", PathError::new("write", path)(error))
    }

    fn sync(path: &Path, error: std::io::Error) -> Self {
        Self::new("wal_fsync_failed", PathError::new("fsync", path)(error))
    }
}

impl From<PathError> for Failure {
    fn from(error: PathError) -> Self {
        Self::new("wal_rotate_failed", error)
    }
}

/// Stops the log for good, while the failing committer still holds the writer, so that no later
/// committer writes or syncs again.
fn fail(shared: &Shared, failure: &Failure) {
    tracing::error!(
        incident = failure.incident,
        path = %failure.error.path.display(),
        error = %failure.error.source,
        "write-ahead log failed; the durable store is now read-only"
    );
    let mut state = shared.state.lock();
    state.failure = Some(Arc::clone(&failure.reason));
    state.pending.records.clear();
    state.pending.count = 0;
    state.pending.rotations.clear();
    shared.failed.store(true, Ordering::Release);
}

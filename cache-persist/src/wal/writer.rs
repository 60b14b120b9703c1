//! The log's writing end: the current segment, which the log thread holds to write the pending
//! work, rotate segments and sync. On the first I/O error the log stops for good and the store turns
//! read-only: an fsync that failed is never retried, since the kernel may have dropped the pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Rotation, Shared, Ticket};
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
    /// The sequence number of the segment's first record.
    segment_first: u64,
    /// The segment's length in bytes, header included.
    segment_len: u64,
    /// The length its file was grown to ahead of the writes.
    reserved: u64,
    /// Records written since the last sync.
    unsynced: u64,
    /// Every record below this sequence number has been written.
    written: u64,
    last_sync: Instant,
    /// The buffer each round's records are moved into, kept from one round to the next.
    records: Vec<u8>,
    metrics: metrics::LogMetrics,
}

/// The largest round buffer kept for the next round; a burst's bigger one is freed.
const MAX_KEPT: usize = 4 << 20;

/// How far ahead of the records a segment's file is grown. An `fdatasync` after an append that
/// grows the file must also record its new size, which made it about 30% slower on this
/// project's machines than one after a write within the file; growing 1 MiB at a time leaves
/// that cost to one sync in thousands, and at most 1 MiB of zeros in a segment.
const RESERVE_AHEAD: u64 = 1 << 20;

impl Writer {
    /// The writer of a segment just started by [`start_segment`] at `first_lsn`.
    pub(super) fn new(file: Box<dyn WritableFile>, dir: &Path, first_lsn: u64) -> Self {
        Self {
            file,
            path: layout::segment_path(dir, first_lsn),
            segment_first: first_lsn,
            segment_len: segment::HEADER_LEN as u64,
            reserved: segment::HEADER_LEN as u64,
            unsynced: 0,
            written: first_lsn,
            last_sync: Instant::now(),
            records: Vec::new(),
            metrics: metrics::LogMetrics::new(),
        }
    }

    /// Takes the next round, writes it, then syncs if the policy asks; returns the round.
    fn flush(&mut self, shared: &Shared, closing: bool) -> Result<Ticket, Failure> {
        let mut records = std::mem::take(&mut self.records);
        let round = shared.take_round(&mut records);
        frame::seal(&mut records);
        let mut start = 0;
        for Rotation { offset, first_lsn } in round.rotations {
            self.write(shared, &records[start..offset])?;
            if first_lsn != self.segment_first {
                self.rotate(shared, first_lsn)?;
            }
            start = offset;
        }
        self.write(shared, &records[start..])?;
        records.clear();
        if records.capacity() <= MAX_KEPT {
            self.records = records;
        }
        let due = match shared.policy {
            FsyncPolicy::Always => true,
            FsyncPolicy::Interval(every) => closing || self.last_sync.elapsed() >= every,
            FsyncPolicy::Never => closing,
        };
        if due && self.unsynced > 0 {
            self.sync()?;
            self.last_sync = Instant::now();
        }
        Ok(round.number)
    }

    /// When the interval policy wants the records written since the last sync synced.
    fn sync_due(&self, policy: FsyncPolicy) -> Option<Instant> {
        match policy {
            FsyncPolicy::Interval(every) if self.unsynced > 0 => Some(self.last_sync + every),
            _ => None,
        }
    }

    /// Appends sealed records, starting a new segment after the record that fills one.
    fn write(&mut self, shared: &Shared, mut records: &[u8]) -> Result<(), Failure> {
        while !records.is_empty() {
            let room = shared.segment_size.saturating_sub(self.segment_len);
            let (bytes, count) = frame::prefix_filling(records, room);
            self.reserve_for(shared, bytes as u64)?;
            let started = Instant::now();
            self.file
                .write_all(&records[..bytes])
                .map_err(|e| Failure::write(&self.path, e))?;
            self.metrics.append(started.elapsed());
            self.segment_len += bytes as u64;
            self.unsynced += count;
            self.written += count;
            records = &records[bytes..];
            if self.segment_len >= shared.segment_size {
                self.rotate(shared, self.written)?;
            }
        }
        Ok(())
    }

    /// Grows the file ahead of `bytes` more, up to the segment size.
    fn reserve_for(&mut self, shared: &Shared, bytes: u64) -> Result<(), Failure> {
        let end = self.segment_len + bytes;
        if end <= self.reserved || end > shared.segment_size {
            return Ok(());
        }
        let target = (end + RESERVE_AHEAD).min(shared.segment_size);
        self.file
            .reserve(target)
            .map_err(|e| Failure::write(&self.path, e))?;
        self.reserved = target;
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
        self.segment_first = first_lsn;
        self.segment_len = segment::HEADER_LEN as u64;
        self.reserved = self.segment_len;
        Ok(())
    }

    fn sync(&mut self) -> Result<(), Failure> {
        let started = Instant::now();
        self.file
            .sync_data()
            .map_err(|e| Failure::sync(&self.path, e))?;
        self.metrics.fsync(started.elapsed(), self.unsynced);
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

/// Writes the next round through `writer` and publishes how far the log is durable. Returns
/// `None` once the log has failed.
pub(super) fn commit(shared: &Shared, writer: &mut Writer, closing: bool) -> Option<Committed> {
    if shared.failed.load(Ordering::Acquire) {
        return None;
    }
    let round = match writer.flush(shared, closing) {
        Ok(round) => round,
        Err(failure) => {
            fail(shared, &failure);
            shared
                .progress
                .send_modify(|p| p.failure = Some(failure.reason));
            return None;
        }
    };
    let sync_due = writer.sync_due(shared.policy);
    if writer.unsynced == 0 {
        let waiting = shared.waiting.load(Ordering::Relaxed);
        shared.expected_group.store(waiting, Ordering::Relaxed);
        shared.durable_round.store(round, Ordering::Release);
        shared
            .progress
            .send_modify(|p| p.durable = p.durable.max(round));
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
    shared.control.lock().failure = Some(Arc::clone(&failure.reason));
    shared.failed.store(true, Ordering::Release);
}

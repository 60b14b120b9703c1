//! The log thread: takes the buffered work, writes it, rotates segments, syncs, and publishes how
//! far the log is durable. On the first I/O error it stops for good and the store turns
//! read-only: an fsync that failed is never retried, since the kernel may have dropped the pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Pending, Shared};
use crate::FsyncPolicy;
use crate::format::{frame, segment};
use crate::fs::{FileSystem, PathError, WritableFile};
use crate::{layout, metrics};

/// Under the non-`Always` policies the thread gathers work this long between writes.
const GATHER: Duration = Duration::from_millis(1);

/// The largest emptied buffer kept for reuse; a burst's bigger one is freed.
const MAX_SPARE: usize = 4 << 20;

/// Under `Always`, how long the thread waits for the writers of the previous group to come back
/// before it syncs a smaller group: a fraction of one fsync, to save whole fsyncs.
const FILL_WAIT: Duration = Duration::from_micros(200);

/// Under `Always`, a pause this long between two appends ends the wait for a fuller group.
const FILL_GAP: Duration = Duration::from_micros(40);

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

struct Segment {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    /// Records written since the last sync.
    unsynced: u64,
}

pub(super) fn run(shared: &Shared, file: Box<dyn WritableFile>) {
    let path = layout::segment_path(&shared.dir, shared.progress.borrow().durable);
    let mut segment = Segment {
        file,
        path,
        unsynced: 0,
    };
    let mut last_sync = Instant::now();
    let mut last_group = 0;
    loop {
        let (work, closing) = next_work(shared, segment.unsynced > 0, last_sync, last_group);
        let mut next_lsn = shared.progress.borrow().durable + segment.unsynced;
        if let Err(failure) = write(shared, &mut segment, work, &mut next_lsn) {
            return fail(shared, failure);
        }
        let due = match shared.policy {
            FsyncPolicy::Always => true,
            FsyncPolicy::Interval(every) => closing || last_sync.elapsed() >= every,
            FsyncPolicy::Never => closing,
        };
        if due && segment.unsynced > 0 {
            last_group = segment.unsynced;
            if let Err(failure) = sync(&mut segment) {
                return fail(shared, failure);
            }
            last_sync = Instant::now();
        }
        if segment.unsynced == 0 {
            shared.progress.send_modify(|p| p.durable = next_lsn);
        }
        if closing {
            return;
        }
    }
}

/// Waits for work as the policy wants, and takes all of it.
fn next_work(
    shared: &Shared,
    unsynced: bool,
    last_sync: Instant,
    last_group: u64,
) -> (Vec<Pending>, bool) {
    let mut state = shared.state.lock();
    if shared.policy != FsyncPolicy::Always && !state.closing {
        shared.work.wait_for(&mut state, GATHER);
    }
    while state.pending.is_empty() && !state.closing {
        let sync_deadline = match shared.policy {
            FsyncPolicy::Interval(every) if unsynced => Some(last_sync + every),
            _ => None,
        };
        state.idle = true;
        match sync_deadline {
            Some(deadline) => {
                if shared.work.wait_until(&mut state, deadline).timed_out() {
                    state.idle = false;
                    break;
                }
            }
            None => shared.work.wait(&mut state),
        }
        state.idle = false;
    }
    if shared.policy == FsyncPolicy::Always {
        let deadline = Instant::now() + FILL_WAIT;
        while state.pending_records < last_group && !state.closing {
            let before = state.pending_records;
            let gap_end = (Instant::now() + FILL_GAP).min(deadline);
            shared.work.wait_until(&mut state, gap_end);
            if state.pending_records == before || Instant::now() >= deadline {
                break;
            }
        }
    }
    state.pending_bytes = 0;
    state.pending_records = 0;
    (std::mem::take(&mut state.pending), state.closing)
}

fn write(
    shared: &Shared,
    segment: &mut Segment,
    work: Vec<Pending>,
    next_lsn: &mut u64,
) -> Result<(), Failure> {
    for item in work {
        match item {
            Pending::Records { mut bytes, count } => {
                frame::seal(&mut bytes);
                let started = Instant::now();
                segment
                    .file
                    .write_all(&bytes)
                    .map_err(|e| Failure::write(&segment.path, e))?;
                metrics::wal_append(started.elapsed());
                segment.unsynced += count;
                *next_lsn += count;
                bytes.clear();
                let mut state = shared.state.lock();
                if state.spare.capacity() < bytes.capacity() && bytes.capacity() <= MAX_SPARE {
                    state.spare = bytes;
                }
            }
            Pending::Rotate { first_lsn } => {
                let durable = shared.policy != FsyncPolicy::Never;
                if durable && segment.unsynced > 0 {
                    sync(segment)?;
                }
                let file = start_segment(shared.fs.as_ref(), &shared.dir, first_lsn, durable)
                    .map_err(Failure::from)?;
                let path = layout::segment_path(&shared.dir, first_lsn);
                *segment = Segment {
                    file,
                    path,
                    unsynced: segment.unsynced,
                };
            }
        }
    }
    Ok(())
}

fn sync(segment: &mut Segment) -> Result<(), Failure> {
    let started = Instant::now();
    segment
        .file
        .sync_data()
        .map_err(|e| Failure::sync(&segment.path, e))?;
    metrics::wal_fsync(started.elapsed(), segment.unsynced);
    segment.unsynced = 0;
    Ok(())
}

/// The error that stopped the log, with its stable incident name.
struct Failure {
    incident: &'static str,
    error: PathError,
}

impl Failure {
    fn write(path: &Path, error: std::io::Error) -> Self {
        let error = PathError::new("write", path)(error);
        Failure {
            incident: "wal_write_failed",
            error,
        }
    }

    fn sync(path: &Path, error: std::io::Error) -> Self {
        let error = PathError::new("fsync", path)(error);
        Failure {
            incident: "wal_fsync_failed",
            error,
        }
    }
}

impl From<PathError> for Failure {
    fn from(error: PathError) -> Self {
        Failure {
            incident: "wal_rotate_failed",
            error,
        }
    }
}

fn fail(shared: &Shared, failure: Failure) {
    let Failure { incident, error } = failure;
    tracing::error!(
        incident,
        path = %error.path.display(),
        error = %error.source,
        "write-ahead log failed; the durable store is now read-only"
    );
    let reason: Arc<str> = format!("write-ahead log failed: {error}").into();
    let mut state = shared.state.lock();
    state.failure = Some(Arc::clone(&reason));
    state.pending.clear();
    shared
        .failed
        .store(true, std::sync::atomic::Ordering::Release);
    drop(state);
    shared.progress.send_modify(|p| p.failure = Some(reason));
}

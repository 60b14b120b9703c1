//! The write-ahead log: appenders frame records into a shared buffer; one log thread writes the
//! buffer to the current segment, rotates segments, and syncs according to the [`FsyncPolicy`].
//!
//! Under [`FsyncPolicy::Always`] every batch the thread takes is made durable by one
//! `fdatasync`, so writers that appended while the previous sync ran share the next one (group
//! commit); each waits for [`Wal::durable`] before it acknowledges. Before it syncs a group
//! smaller than the previous one, the thread waits a fraction of an fsync (at most 200 µs) for
//! the previous group's writers to come back, so groups do not split in two alternating halves.

mod thread;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use cache_core::StoreError;
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use crate::FsyncPolicy;
use crate::format::record::{WalRecord, encode_unsealed_frame};
use crate::format::segment;
use crate::fs::{FileSystem, PathError};

/// How far the log thread got.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Every record below this sequence number is durable.
    pub(crate) durable: u64,
    /// Why the log stopped, once it has.
    pub(crate) failure: Option<Arc<str>>,
}

/// Work handed to the log thread, in log order.
#[derive(Debug)]
enum Pending {
    /// Framed records, their checksums not filled in yet: the log thread seals them as it takes
    /// them, off the appenders' path.
    Records { bytes: Vec<u8>, count: u64 },
    /// Close the current segment and start one whose first record is `first_lsn`.
    Rotate { first_lsn: u64 },
}

#[derive(Debug)]
struct State {
    next_lsn: u64,
    pending: Vec<Pending>,
    pending_bytes: usize,
    pending_records: u64,
    /// An emptied buffer the log thread handed back, so appends rarely allocate.
    spare: Vec<u8>,
    segment_len: u64,
    /// The log thread sleeps until notified (so appenders must notify).
    idle: bool,
    closing: bool,
    failure: Option<Arc<str>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Set with `State::failure`, readable without the lock.
    failed: AtomicBool,
    work: Condvar,
    progress: watch::Sender<Progress>,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    policy: FsyncPolicy,
    segment_size: u64,
}

/// The log of one store directory; dropping it flushes, syncs and stops the log thread.
#[derive(Debug)]
pub(crate) struct Wal {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The capacity a buffer starts with when no emptied one is at hand, so that framing a batch
/// rarely reallocates.
const FIRST_BUFFER_BYTES: usize = 64 << 10;

/// Past this many buffered bytes an appender wakes the log thread even between its rounds.
const EAGER_FLUSH_BYTES: usize = 1 << 20;

impl Wal {
    /// Starts a new segment at `next_lsn` (durably) and the log thread that writes to it.
    pub(crate) fn open(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        policy: FsyncPolicy,
        segment_size: u64,
        next_lsn: u64,
    ) -> Result<Self, PathError> {
        let file = thread::start_segment(fs.as_ref(), dir, next_lsn, true)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_lsn,
                pending: Vec::new(),
                pending_bytes: 0,
                pending_records: 0,
                spare: Vec::new(),
                segment_len: segment::HEADER_LEN as u64,
                idle: false,
                closing: false,
                failure: None,
            }),
            failed: AtomicBool::new(false),
            work: Condvar::new(),
            progress: watch::Sender::new(Progress {
                durable: next_lsn,
                failure: None,
            }),
            fs,
            dir: dir.to_path_buf(),
            policy,
            segment_size,
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("cache-persist-wal".into())
            .spawn(move || thread::run(&worker, file))
            .map_err(PathError::new("start the log thread for", dir))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Frames `record` into the log; returns its sequence number. Fails once the log has failed.
    pub(crate) fn append(&self, record: &WalRecord<'_>) -> Result<u64, StoreError> {
        let mut state = self.shared.state.lock();
        if let Some(failure) = &state.failure {
            return Err(read_only(failure));
        }
        let lsn = state.next_lsn;
        state.next_lsn += 1;
        let added = match state.pending.last_mut() {
            Some(Pending::Records { bytes, count }) => {
                let before = bytes.len();
                encode_unsealed_frame(bytes, record);
                *count += 1;
                bytes.len() - before
            }
            _ => {
                let mut bytes = std::mem::take(&mut state.spare);
                if bytes.capacity() == 0 {
                    bytes.reserve(FIRST_BUFFER_BYTES);
                }
                encode_unsealed_frame(&mut bytes, record);
                let added = bytes.len();
                state.pending.push(Pending::Records { bytes, count: 1 });
                added
            }
        };
        state.pending_bytes += added;
        state.pending_records += 1;
        state.segment_len += added as u64;
        if state.segment_len >= self.shared.segment_size {
            let first_lsn = state.next_lsn;
            state.pending.push(Pending::Rotate { first_lsn });
            state.segment_len = segment::HEADER_LEN as u64;
        }
        let eager =
            self.shared.policy == FsyncPolicy::Always || state.pending_bytes >= EAGER_FLUSH_BYTES;
        if state.idle || eager {
            self.shared.work.notify_one();
        }
        Ok(lsn)
    }

    /// Waits until the record `lsn` is durable as the policy promises: on disk under
    /// [`FsyncPolicy::Always`], already (in the log's buffer) under the others.
    pub(crate) async fn durable(&self, lsn: u64) -> Result<(), StoreError> {
        if self.shared.policy != FsyncPolicy::Always {
            return Ok(());
        }
        let mut progress = self.shared.progress.subscribe();
        let reached = progress
            .wait_for(|p| p.durable > lsn || p.failure.is_some())
            .await
            .expect("the sender lives as long as the log");
        match &reached.failure {
            Some(failure) if reached.durable <= lsn => Err(read_only(failure)),
            _ => Ok(()),
        }
    }

    /// Starts a new segment at the next sequence number and returns that number: every record
    /// below it is in earlier segments. Callers hold every writer out while they cut.
    pub(crate) fn cut(&self) -> Result<u64, StoreError> {
        let mut state = self.shared.state.lock();
        if let Some(failure) = &state.failure {
            return Err(read_only(failure));
        }
        let first_lsn = state.next_lsn;
        if state.segment_len > segment::HEADER_LEN as u64 {
            state.pending.push(Pending::Rotate { first_lsn });
            state.segment_len = segment::HEADER_LEN as u64;
            self.shared.work.notify_one();
        }
        Ok(first_lsn)
    }

    /// The sequence number of the last record appended, if any.
    pub(crate) fn tail(&self) -> Option<u64> {
        self.shared.state.lock().next_lsn.checked_sub(1)
    }

    /// Why the log stopped accepting records, if it has.
    pub(crate) fn failure(&self) -> Option<Arc<str>> {
        if !self.shared.failed.load(Ordering::Acquire) {
            return None;
        }
        self.shared.state.lock().failure.clone()
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shared.state.lock().closing = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            // A panic of the log thread was already reported by the panic hook.
            let _ = thread.join();
        }
    }
}

fn read_only(failure: &str) -> StoreError {
    StoreError::ReadOnly {
        reason: failure.to_owned(),
    }
}

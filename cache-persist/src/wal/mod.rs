//! The write-ahead log: appenders frame records into a shared buffer; the log thread, which owns
//! the [`Writer`] (the current segment), writes the buffer out, rotates segments, and syncs on
//! the [`FsyncPolicy`]'s schedule.
//!
//! Under [`FsyncPolicy::Always`] every batch taken is made durable by one `fdatasync`, so writers
//! that appended while the previous sync ran share the next one (group commit); each waits for
//! [`Wal::durable`] before it acknowledges, without blocking its thread: the log thread does the
//! I/O. It commits at once while writers come one at a time, and once the group holds as many
//! records as writers waited on the last sync while they come in groups (so groups do not split
//! in two alternating halves), or when the group does not fill within a fraction of an fsync (at
//! most 200 µs, or once appends pause). The writer that completes the group wakes it.

mod thread;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use cache_core::StoreError;
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use crate::FsyncPolicy;
use crate::format::record::WalRecord;
use crate::format::segment;
use crate::fs::{FileSystem, PathError};
use writer::Writer;

/// How far the log got.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Every record below this sequence number is durable.
    pub(crate) durable: u64,
    /// Why the log stopped, once it has.
    pub(crate) failure: Option<Arc<str>>,
}

/// A segment to start among the pending records.
#[derive(Debug, Clone, Copy)]
struct Rotation {
    /// Where the new segment's first record starts in the records.
    offset: usize,
    /// Its sequence number.
    first_lsn: u64,
}

/// The work a committer takes, in log order.
#[derive(Debug)]
struct Pending {
    /// Framed records, their checksums not filled in yet: the committer seals them, off the
    /// appenders' path.
    records: Vec<u8>,
    /// How many records `records` holds.
    count: u64,
    /// Segments to start, by ascending offset.
    rotations: Vec<Rotation>,
}

/// What appenders share, kept in one place (a couple of cache lines) because every append on
/// any core writes it.
#[derive(Debug)]
struct State {
    next_lsn: u64,
    pending: Pending,
    /// An emptied buffer handed back by a committer, so appends rarely allocate.
    spare: Vec<u8>,
    segment_len: u64,
    /// The log thread sleeps until notified (so appenders must notify).
    idle: bool,
    closing: bool,
    failure: Option<Arc<str>>,
}

/// Keeps a value on cache lines of its own, so that appends on one core, which write it, do not
/// evict the read-mostly fields beside it from the other cores' caches.
#[derive(Debug)]
#[repr(align(128))]
struct OwnLines<T>(T);

impl<T> std::ops::Deref for OwnLines<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[derive(Debug)]
struct Shared {
    state: OwnLines<Mutex<State>>,
    /// Set with `State::failure`, readable without the lock.
    failed: AtomicBool,
    /// Writers waiting in [`Wal::durable`].
    waiting: AtomicU64,
    /// Writers that were waiting when the last sync was published, all of which may append
    /// again: the size the group being gathered is expected to reach.
    expected_group: AtomicU64,
    work: Condvar,
    progress: watch::Sender<Progress>,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    policy: FsyncPolicy,
    segment_size: u64,
}

impl State {
    /// Ends the current segment after the records appended so far.
    fn rotate(&mut self) {
        let rotation = Rotation {
            offset: self.pending.records.len(),
            first_lsn: self.next_lsn,
        };
        self.pending.rotations.push(rotation);
        self.segment_len = segment::HEADER_LEN as u64;
    }

    /// Whether a committer has anything to write.
    fn has_work(&self) -> bool {
        self.pending.count > 0 || !self.pending.rotations.is_empty()
    }
}

impl Shared {
    /// Takes the pending work, to be written in order by the log thread.
    fn take_pending(&self) -> Pending {
        let mut state = self.state.lock();
        let records = std::mem::take(&mut state.spare);
        let empty = Pending {
            records,
            count: 0,
            rotations: Vec::new(),
        };
        std::mem::replace(&mut state.pending, empty)
    }

    /// Keeps an emptied buffer for the next appends, unless a bigger one is kept already or it
    /// grew past what is worth keeping.
    fn recycle(&self, mut records: Vec<u8>) {
        records.clear();
        let mut state = self.state.lock();
        if state.spare.capacity() < records.capacity() && records.capacity() <= MAX_SPARE {
            state.spare = records;
        }
    }
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

/// The largest emptied buffer kept for reuse; a burst's bigger one is freed.
const MAX_SPARE: usize = 4 << 20;

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
        let file = writer::start_segment(fs.as_ref(), dir, next_lsn, true)?;
        let shared = Arc::new(Shared {
            state: OwnLines(Mutex::new(State {
                next_lsn,
                pending: Pending {
                    records: Vec::new(),
                    count: 0,
                    rotations: Vec::new(),
                },
                spare: Vec::new(),
                segment_len: segment::HEADER_LEN as u64,
                idle: false,
                closing: false,
                failure: None,
            })),
            failed: AtomicBool::new(false),
            waiting: AtomicU64::new(0),
            expected_group: AtomicU64::new(0),
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
        let writer = Writer::new(file, dir, next_lsn);
        let thread = std::thread::Builder::new()
            .name("cache-persist-wal".into())
            .spawn(move || thread::run(&worker, writer))
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
        let pending = &mut state.pending;
        if pending.records.capacity() == 0 {
            pending.records.reserve(FIRST_BUFFER_BYTES);
        }
        let before = pending.records.len();
        record.encode_unsealed_frame(&mut pending.records);
        pending.count += 1;
        let added = (pending.records.len() - before) as u64;
        state.segment_len += added;
        if state.segment_len >= self.shared.segment_size {
            state.rotate();
        }
        let wanted = state.idle || state.pending.records.len() >= EAGER_FLUSH_BYTES;
        if self.shared.policy != FsyncPolicy::Always && wanted {
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
        let _waiting = Waiting::enter(&self.shared.waiting);
        self.wake_committer();
        loop {
            {
                let seen = progress.borrow_and_update();
                if seen.durable > lsn {
                    return Ok(());
                }
                if let Some(failure) = &seen.failure {
                    return Err(read_only(failure));
                }
            }
            progress
                .changed()
                .await
                .expect("the sender lives as long as the log");
        }
    }

    /// Wakes the log thread when it sleeps, or when the group it gathers is now complete.
    fn wake_committer(&self) {
        let expected = self.shared.expected_group.load(Ordering::Relaxed);
        // Under the lock, so that the wake-up cannot fall between the log thread's check for
        // pending work and its sleep.
        let state = self.shared.state.lock();
        if state.idle || state.pending.count >= expected {
            self.shared.work.notify_one();
        }
    }

    /// Starts a new segment at the next sequence number and returns that number: every record
    /// below it is in earlier segments. Callers hold every writer out while they cut.
    pub(crate) fn cut(&self) -> Result<u64, StoreError> {
        let mut state = self.shared.state.lock();
        if let Some(failure) = &state.failure {
            return Err(read_only(failure));
        }
        if state.segment_len > segment::HEADER_LEN as u64 {
            state.rotate();
            self.shared.work.notify_one();
        }
        Ok(state.next_lsn)
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

/// Counts a writer in [`Shared::waiting`] until dropped, however its wait ends.
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn enter(waiting: &'a AtomicU64) -> Self {
        waiting.fetch_add(1, Ordering::Relaxed);
        Self(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn read_only(failure: &str) -> StoreError {
    StoreError::ReadOnly {
        reason: failure.to_owned(),
    }
}

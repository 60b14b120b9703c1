//! The write-ahead log: writers frame records into their key's lane (see [`lanes`]); the log
//! thread, which owns the [`Writer`] (the current segment), moves the lanes' records out in
//! rounds, writes them, rotates segments, and syncs on the [`FsyncPolicy`]'s schedule.
//!
//! Under [`FsyncPolicy::Always`] every round is made durable by one `fdatasync`, so writers that
//! appended while the previous sync ran share the next one (group commit); each waits for
//! [`Wal::durable`] before it acknowledges, without blocking its thread: the log thread does the
//! I/O. It commits at once while writers come one at a time, and once the group holds as many
//! records as writers waited on the last sync while they come in groups (so groups do not split
//! in two alternating halves), or when the group does not fill within a fraction of an fsync (at
//! most 200 µs, or once appends pause). The writer that completes the group wakes it.
//!
//! Records of one key keep their order in the log, since they share a lane; records of different
//! keys may be written in another order than they were appended, which no replay can tell apart.
//! A cut (for a snapshot) holds every lane and moves their records out ahead of the new segment.

mod lanes;
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
use crate::fs::{FileSystem, PathError};
use lanes::{Dirty, LANES, Lane, lane_of};
pub(crate) use lanes::{LaneGuard, Ticket};
use writer::Writer;

/// How far the log got.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Every round up to this one is durable.
    pub(crate) durable: Ticket,
    /// Why the log stopped, once it has.
    pub(crate) failure: Option<Arc<str>>,
}

/// A segment to start among the records moved out of the lanes.
#[derive(Debug, Clone, Copy)]
struct Rotation {
    /// Where the new segment's first record starts in the records.
    offset: usize,
    /// Its sequence number.
    first_lsn: u64,
}

/// Records moved out of the lanes by cuts, in log order, and where the cuts start new segments.
/// Its lock is held whenever records leave the lanes, by the log thread's rounds and by cuts.
#[derive(Debug)]
struct Moved {
    /// Framed records, their checksums not filled in yet: the log thread seals them.
    records: Vec<u8>,
    /// Segments to start, by ascending offset.
    rotations: Vec<Rotation>,
    /// The sequence number of the next record to leave a lane.
    next_lsn: u64,
}

/// What the log thread and the writers that wake it share.
#[derive(Debug, Default)]
struct Control {
    closing: bool,
    failure: Option<Arc<str>>,
}

/// Keeps a value on cache lines of its own, so that writes to it on one core do not evict the
/// read-mostly fields beside it from the other cores' caches.
#[derive(Debug, Default)]
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
    lanes: Box<[Lane]>,
    dirty: OwnLines<Dirty>,
    /// The round that moves out a record appended now, at the latest.
    round: OwnLines<AtomicU64>,
    moved: Mutex<Moved>,
    /// Whether a cut moved records (or a rotation) that no round has taken yet.
    cut_moved: AtomicBool,
    control: Mutex<Control>,
    /// The log thread sleeps until notified (so appenders must notify); changed under
    /// `control`, read without it.
    sleeping: AtomicBool,
    /// Set with `Control::failure`, readable without the lock.
    failed: AtomicBool,
    /// Records appended, and records moved out of the lanes, under `Always` only: their
    /// difference is the group being gathered.
    appended: OwnLines<AtomicU64>,
    taken: AtomicU64,
    /// Writers waiting in [`Wal::durable`].
    waiting: OwnLines<AtomicU64>,
    /// The highest ticket a writer waits for, and the last round made durable: a ticket may
    /// name a round later than the one that moved its record, so a round is due, even with
    /// no record to write, while the first exceeds the second.
    wanted: AtomicU64,
    durable_round: AtomicU64,
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

/// What one round of the log thread moved out of the lanes.
#[derive(Debug)]
pub(super) struct Round {
    /// Its number: every ticket up to it is covered once these records are durable.
    number: Ticket,
    /// Where cuts start new segments among the records.
    rotations: Vec<Rotation>,
}

impl Shared {
    /// Whether records wait to be written. Reads no lock: the log thread asks it while holding
    /// `control`, which writers take while holding a lane.
    fn has_work(&self) -> bool {
        self.dirty.any()
            || self.cut_moved.load(Ordering::SeqCst)
            || self.wanted.load(Ordering::SeqCst) > self.durable_round.load(Ordering::SeqCst)
    }

    /// Records appended under `Always` that no round has taken yet.
    fn gathered(&self) -> u64 {
        let appended = self.appended.load(Ordering::Relaxed);
        appended.saturating_sub(self.taken.load(Ordering::Relaxed))
    }

    /// Starts the next round: moves every record out of the lanes into `out`, after those that
    /// cuts moved out before.
    fn take_round(&self, out: &mut Vec<u8>) -> Round {
        let mut moved = self.moved.lock();
        let number = self.round.load(Ordering::Relaxed);
        self.round.store(number + 1, Ordering::SeqCst);
        out.extend_from_slice(&moved.records);
        moved.records.clear();
        let rotations = std::mem::take(&mut moved.rotations);
        let mut from_lanes = 0;
        for lane in self.dirty.take() {
            from_lanes += self.lanes[lane].0.lock().drain_into(out);
        }
        moved.next_lsn += from_lanes;
        self.cut_moved.store(false, Ordering::SeqCst);
        if self.policy == FsyncPolicy::Always {
            self.taken.fetch_add(from_lanes, Ordering::Relaxed);
        }
        Round { number, rotations }
    }

    /// Wakes the log thread if it sleeps.
    fn notify(&self) {
        let _control = self.control.lock();
        self.work.notify_one();
    }
}

/// The log of one store directory; dropping it flushes, syncs and stops the log thread.
#[derive(Debug)]
pub(crate) struct Wal {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Past this many bytes in one lane an appender wakes the log thread even between its rounds.
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
            lanes: (0..LANES).map(|_| Lane::default()).collect(),
            dirty: OwnLines::default(),
            round: OwnLines(AtomicU64::new(1)),
            moved: Mutex::new(Moved {
                records: Vec::new(),
                rotations: Vec::new(),
                next_lsn,
            }),
            cut_moved: AtomicBool::new(false),
            control: Mutex::new(Control::default()),
            sleeping: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            appended: OwnLines::default(),
            taken: AtomicU64::new(0),
            waiting: OwnLines::default(),
            wanted: AtomicU64::new(0),
            durable_round: AtomicU64::new(0),
            expected_group: AtomicU64::new(0),
            work: Condvar::new(),
            progress: watch::Sender::new(Progress::default()),
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

    /// Locks the lane of `key`, serializing the key's writes until the guard drops.
    pub(crate) fn lock(&self, key: &[u8]) -> LaneGuard<'_> {
        let index = lane_of(key);
        LaneGuard {
            buffer: self.shared.lanes[index].0.lock(),
            index,
        }
    }

    /// Frames `record` into the locked lane; returns its ticket. Fails once the log has failed.
    pub(crate) fn append(
        &self,
        lane: &mut LaneGuard<'_>,
        record: &WalRecord<'_>,
    ) -> Result<Ticket, StoreError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(read_only(&self.failure().unwrap_or_default()));
        }
        let pushed = lane.push(record, &self.shared.dirty, &self.shared.round);
        if self.shared.policy == FsyncPolicy::Always {
            self.shared.appended.fetch_add(1, Ordering::Relaxed);
        } else if (pushed.first && self.shared.sleeping.load(Ordering::SeqCst))
            || lane.buffered() >= EAGER_FLUSH_BYTES
        {
            self.shared.notify();
        }
        Ok(pushed.ticket)
    }

    /// Waits until the records of `ticket` are durable as the policy promises: on disk under
    /// [`FsyncPolicy::Always`], already (in the log's buffers) under the others.
    pub(crate) async fn durable(&self, ticket: Ticket) -> Result<(), StoreError> {
        if self.shared.policy != FsyncPolicy::Always {
            return Ok(());
        }
        if self.shared.durable_round.load(Ordering::Acquire) >= ticket {
            return Ok(());
        }
        let mut progress = self.shared.progress.subscribe();
        let _waiting = Waiting::enter(&self.shared.waiting);
        self.shared.wanted.fetch_max(ticket, Ordering::SeqCst);
        self.wake_committer();
        loop {
            {
                let seen = progress.borrow_and_update();
                if seen.durable >= ticket {
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

    /// Wakes the log thread when it sleeps, or when the group it gathers is now complete. The
    /// log thread marks itself asleep before it looks for work one last time (`SeqCst` on both
    /// sides), so either it sees the records and the ticket wanted before this call or this sees
    /// it asleep.
    fn wake_committer(&self) {
        let expected = self.shared.expected_group.load(Ordering::Relaxed);
        if self.shared.sleeping.load(Ordering::SeqCst) || self.shared.gathered() >= expected {
            self.shared.notify();
        }
    }

    /// Holds every lane while `read` runs, so that no write is in progress, and ends the
    /// current segment after every record appended so far. Returns the sequence number the next
    /// segment starts at (every record below it is in earlier segments) and what `read` returned.
    pub(crate) fn cut<T>(&self, read: impl FnOnce() -> T) -> Result<(u64, T), StoreError> {
        if let Some(failure) = self.failure() {
            return Err(read_only(&failure));
        }
        let (cut_lsn, value) = {
            let mut moved = self.shared.moved.lock();
            let mut lanes: Vec<_> = self.shared.lanes.iter().map(|l| l.0.lock()).collect();
            let mut count = 0;
            for buffer in &mut lanes {
                count += buffer.drain_into(&mut moved.records);
            }
            moved.next_lsn += count;
            if self.shared.policy == FsyncPolicy::Always {
                self.shared.taken.fetch_add(count, Ordering::Relaxed);
            }
            let rotation = Rotation {
                offset: moved.records.len(),
                first_lsn: moved.next_lsn,
            };
            moved.rotations.push(rotation);
            self.shared.cut_moved.store(true, Ordering::SeqCst);
            (rotation.first_lsn, read())
        };
        self.shared.notify();
        Ok((cut_lsn, value))
    }

    /// Why the log stopped accepting records, if it has.
    pub(crate) fn failure(&self) -> Option<Arc<str>> {
        if !self.shared.failed.load(Ordering::Acquire) {
            return None;
        }
        self.shared.control.lock().failure.clone()
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shared.control.lock().closing = true;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fs::OsFs;

    fn always(dir: &Path) -> Wal {
        Wal::open(Arc::new(OsFs), dir, FsyncPolicy::Always, 1 << 20, 0).unwrap()
    }

    fn wait(wal: &Wal, ticket: Ticket) -> Result<(), StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), wal.durable(ticket))
                .await
                .expect("the round a writer waits for runs")
        })
    }

    #[test]
    fn a_ticket_waited_for_is_made_durable_even_with_nothing_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let wal = always(dir.path());
        // A ticket may name a round later than the one that moved its record out; that round
        // must still come once a writer waits for it.
        wait(&wal, 1).unwrap();
        wait(&wal, 2).unwrap();
    }

    #[test]
    fn tickets_follow_rounds_and_tails_follow_their_lane() {
        let dir = tempfile::tempdir().unwrap();
        let wal = always(dir.path());
        let record = WalRecord::Delete { key: b"k" };
        let first = {
            let mut lane = wal.lock(b"k");
            assert_eq!(lane.tail(), None);
            let ticket = wal.append(&mut lane, &record).unwrap();
            assert_eq!(lane.tail(), Some(ticket));
            ticket
        };
        wait(&wal, first).unwrap();
        let second = wal.append(&mut wal.lock(b"k"), &record).unwrap();
        assert!(
            second > first,
            "a record after a durable round waits for a later one"
        );
        wait(&wal, second).unwrap();
        let cut = wal.cut(|| ()).unwrap().0;
        assert_eq!(cut, 2, "both records lie below the cut");
    }
}

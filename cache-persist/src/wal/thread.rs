//! The log thread: waits for work as the policy wants, then commits it. Under `Always` it commits
//! each group as soon as it is complete or has waited long enough (see [`super`]); under the
//! other policies it writes every batch and syncs on the policy's schedule.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

use super::writer::{Writer, commit};
use super::{Control, Shared};
use crate::FsyncPolicy;

/// Under the non-`Always` policies the thread gathers work this long between writes.
const GATHER: Duration = Duration::from_millis(1);

/// Under `Always`, how long the thread waits for the writers that waited on the last sync to
/// come back before it syncs a smaller group: a fraction of one fsync, to save whole fsyncs.
const FILL_WAIT: Duration = Duration::from_micros(200);

/// Under `Always`, a pause this long without an append ends the wait for a fuller group.
const FILL_GAP: Duration = Duration::from_micros(40);

/// The log thread's loop: `writer` is the current segment, which only this thread writes.
pub(super) fn run(shared: &Shared, mut writer: Writer) {
    let mut sync_due = None;
    loop {
        let closing = wait_for_work(shared, sync_due);
        match commit(shared, &mut writer, closing) {
            Some(committed) if !closing => sync_due = committed.sync_due,
            _ => return,
        }
    }
}

/// Waits until there is work to commit as the policy wants, or until `sync_due`; returns
/// whether the log is closing.
fn wait_for_work(shared: &Shared, sync_due: Option<Instant>) -> bool {
    let mut control = shared.control.lock();
    if shared.policy != FsyncPolicy::Always && !control.closing {
        shared.work.wait_for(&mut control, GATHER);
    }
    while !control.closing {
        // Marked asleep before the last look for work: see `Wal::wake_committer`.
        shared.sleeping.store(true, Ordering::SeqCst);
        if shared.has_work() {
            shared.sleeping.store(false, Ordering::SeqCst);
            break;
        }
        let timed_out = match sync_due {
            Some(deadline) => shared.work.wait_until(&mut control, deadline).timed_out(),
            None => {
                shared.work.wait(&mut control);
                false
            }
        };
        shared.sleeping.store(false, Ordering::SeqCst);
        if timed_out {
            return control.closing;
        }
    }
    if shared.policy == FsyncPolicy::Always {
        gather_group(shared, &mut control);
    }
    control.closing
}

/// Waits, up to [`FILL_WAIT`], for as many records as writers waited on the last sync, unless
/// appends stop for [`FILL_GAP`].
fn gather_group(shared: &Shared, control: &mut MutexGuard<'_, Control>) {
    let expected = shared.expected_group.load(Ordering::Relaxed);
    let deadline = Instant::now() + FILL_WAIT;
    while shared.gathered() < expected && !control.closing {
        let before = shared.gathered();
        let gap_end = (Instant::now() + FILL_GAP).min(deadline);
        shared.work.wait_until(control, gap_end);
        if shared.gathered() == before || Instant::now() >= deadline {
            break;
        }
    }
}

//! The log's lanes: a key's writes are serialized by its lane's lock, under which they apply to
//! the cache and frame their record into the lane's buffer. Keys spread over many lanes, so writers
//! of different keys on different cores share no lock and no buffer; the log thread moves the
//! lanes' records out in rounds.
//!
//! A record's ticket is the round that moves it out at the latest; it is durable once that round
//! is. Appenders and the log thread agree on it without a shared lock (see [`LaneGuard::push`]).

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

use crate::format::record::WalRecord;

/// A power of two, so a hash's top bits pick the lane. Writers on different cores rarely meet in
/// one of 64 lanes; more lanes scatter a lone writer's appends over more buffers, each a cache
/// miss once the log thread has read it (256 lanes cost a single writer a fifth of its rate).
pub(super) const LANES: usize = 64;

/// The round a record is moved out in at the latest; see the [module documentation](self).
pub(crate) type Ticket = u64;

/// What a lane holds between two rounds of the log thread.
#[derive(Debug, Default)]
pub(super) struct Buffer {
    /// Framed records, their checksums not filled in yet.
    pub(super) records: Vec<u8>,
    /// How many records `records` holds.
    pub(super) count: u64,
    /// The ticket of the last record appended to this lane, or 0 before the first.
    last_ticket: Ticket,
}

/// The largest emptied lane buffer kept for the next round; a burst's bigger one is freed.
const MAX_KEPT: usize = 64 << 10;

impl Buffer {
    /// Moves the records out into `out`, keeping the allocation for the next round unless a
    /// burst made it large; returns how many records moved.
    pub(super) fn drain_into(&mut self, out: &mut Vec<u8>) -> u64 {
        out.extend_from_slice(&self.records);
        if self.records.capacity() > MAX_KEPT {
            self.records = Vec::new();
        } else {
            self.records.clear();
        }
        std::mem::take(&mut self.count)
    }
}

/// One lane, alone on its cache lines: writers of different lanes on different cores then never
/// contend for a line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct Lane(pub(super) Mutex<Buffer>);

/// One bit per lane that may hold records: the log thread visits only those.
#[derive(Debug, Default)]
pub(super) struct Dirty(AtomicU64);

const _: () = assert!(LANES <= 64, "one word of dirty bits");

impl Dirty {
    fn mark(&self, lane: usize) {
        self.0.fetch_or(1 << lane, Ordering::SeqCst);
    }

    /// Clears every bit, returning the lanes that were marked, in ascending order.
    pub(super) fn take(&self) -> impl Iterator<Item = usize> {
        let mut bits = self.0.swap(0, Ordering::SeqCst);
        std::iter::from_fn(move || {
            let lane = bits.trailing_zeros() as usize;
            (bits != 0).then(|| {
                bits &= bits - 1;
                lane
            })
        })
    }

    /// Whether any lane is marked.
    pub(super) fn any(&self) -> bool {
        self.0.load(Ordering::SeqCst) != 0
    }
}

/// What [`LaneGuard::push`] did.
pub(super) struct Pushed {
    pub(super) ticket: Ticket,
    /// Whether the lane was empty before: the push that marked it dirty.
    pub(super) first: bool,
}

/// A key's lane, locked: the key's writes are serialized while it is held.
#[derive(Debug)]
pub(crate) struct LaneGuard<'a> {
    pub(super) buffer: MutexGuard<'a, Buffer>,
    pub(super) index: usize,
}

impl LaneGuard<'_> {
    /// Frames `record` into the lane and returns its ticket.
    ///
    /// The first record into an empty lane marks it dirty, then reads the round: both `SeqCst`,
    /// as the log thread advances the round, then clears the dirty bits. If the round read is `r`,
    /// the mark came before round `r` cleared the bits, so round `r` (or an earlier one) visits
    /// the lane, after this lock is released, and moves the record. A later record in the same
    /// lane leaves with the first one and reads a round no earlier than the first one read.
    pub(super) fn push(
        &mut self,
        record: &WalRecord<'_>,
        dirty: &Dirty,
        round: &AtomicU64,
    ) -> Pushed {
        let first = self.buffer.count == 0;
        record.encode_unsealed_frame(&mut self.buffer.records);
        self.buffer.count += 1;
        if first {
            dirty.mark(self.index);
        }
        let ticket = round.load(Ordering::SeqCst);
        self.buffer.last_ticket = ticket;
        Pushed { ticket, first }
    }

    /// The ticket of the last record appended to this lane, if any: the state of the key was
    /// written by a record no later than it.
    pub(crate) fn tail(&self) -> Option<Ticket> {
        (self.buffer.last_ticket > 0).then_some(self.buffer.last_ticket)
    }

    /// Bytes waiting in this lane.
    pub(super) fn buffered(&self) -> usize {
        self.buffer.records.len()
    }
}

/// The lane of `key`: the top bits of a multiplicative hash of its 8-byte words (the mixing of
/// rustc's FxHash). Only the spread of keys over lanes depends on it, never correctness.
pub(super) fn lane_of(key: &[u8]) -> usize {
    const SEED: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = key.len() as u64;
    for chunk in key.chunks(8) {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    (hash >> (u64::BITS - LANES.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_every_lane() {
        let mut hits = [0_u32; LANES];
        for n in 0..LANES * 64 {
            hits[lane_of(format!("order-{n}").as_bytes())] += 1;
        }
        assert!(hits.iter().all(|&count| count > 16), "{hits:?}");
    }

    #[test]
    fn dirty_lanes_are_taken_once_in_order() {
        let dirty = Dirty::default();
        for lane in [50, 3, 63, 3] {
            dirty.mark(lane);
        }
        assert!(dirty.any());
        assert_eq!(dirty.take().collect::<Vec<_>>(), [3, 50, 63]);
        assert!(!dirty.any());
        assert_eq!(dirty.take().count(), 0);
    }
}

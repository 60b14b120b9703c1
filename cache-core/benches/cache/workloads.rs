//! The three workloads, as per-thread operation streams built before any clock starts.

use crate::keys::{Rng, Zipf, splitmix64};
use crate::replay::Op;

/// Keys above this bit would collide with the insert flag of [`Op`].
const KEY_MASK: u64 = (1 << 62) - 1;

/// Zipf s = 0.99 over `universe` scrambled ids: 90% reads that insert on a miss, 10% inserts,
/// `ops` in all, split over `threads`.
pub(crate) fn zipf(universe: usize, ops: usize, threads: usize) -> Vec<Vec<Op>> {
    let zipf = Zipf::new(universe, 0.99);
    (0..threads)
        .map(|thread| {
            let mut rng = Rng::new(0x5EED ^ thread as u64);
            (0..ops / threads)
                .map(|_| {
                    let key = splitmix64(zipf.sample(&mut rng) as u64) & KEY_MASK;
                    if rng.next_u64().is_multiple_of(10) {
                        Op::insert(key)
                    } else {
                        Op::read(key)
                    }
                })
                .collect()
        })
        .collect()
}

/// Consecutive requests of a trace that go to one thread.
pub(crate) const TRACE_RUN: usize = 64;

/// A recorded trace replayed as reads (insert on a miss), dealt to `threads` in runs of
/// [`TRACE_RUN`] consecutive requests so each thread keeps the trace's locality (replayed with
/// [`Pacing::InStep`](crate::replay::Pacing::InStep), they reach the cache in about the trace's
/// order).
pub(crate) fn trace(blocks: &[u64], threads: usize) -> Vec<Vec<Op>> {
    let mut streams = vec![Vec::with_capacity(blocks.len() / threads + TRACE_RUN); threads];
    for (run, chunk) in blocks.chunks(TRACE_RUN).enumerate() {
        streams[run % threads].extend(chunk.iter().map(|&block| Op::read(block & KEY_MASK)));
    }
    streams
}

/// The idempotency shape: half the operations insert a new key, half read one of the 1,024
/// most recently inserted by the same thread.
pub(crate) fn ttl(ops: usize, threads: usize) -> Vec<Vec<Op>> {
    (0..threads)
        .map(|thread| {
            let mut rng = Rng::new(0x77 ^ thread as u64);
            let base = (thread as u64) << 40;
            let mut inserted = 0u64;
            (0..ops / threads)
                .map(|i| {
                    if i.is_multiple_of(2) {
                        inserted += 1;
                        Op::insert(base + inserted)
                    } else {
                        let back = rng.next_u64() % inserted.min(1024);
                        Op::read(base + inserted - back)
                    }
                })
                .collect()
        })
        .collect()
}

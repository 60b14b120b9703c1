//! Replaying per-thread operation streams against a cache, timed from a common start.

use std::sync::Barrier;
use std::time::Instant;

use crate::systems::BenchCache;

/// The top bit of an encoded operation marks a plain insert; otherwise it is a read that
/// inserts on a miss (a cache in front of a slower source).
const INSERT: u64 = 1 << 63;

/// One operation, packed into a u64 so that streams stay compact and cheap to walk.
#[derive(Clone, Copy)]
pub(crate) struct Op(u64);

impl Op {
    pub(crate) fn read(key: u64) -> Self {
        Op(key & !INSERT)
    }

    pub(crate) fn insert(key: u64) -> Self {
        Op(key | INSERT)
    }
}

/// What a replay measured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outcome {
    pub(crate) ops_per_sec: f64,
    /// Hits over reads; `None` when the streams hold no reads.
    pub(crate) hit_ratio: Option<f64>,
}

/// Runs each stream on its own thread against `cache`, all released together; the clock stops
/// when the last thread finishes.
pub(crate) fn replay(cache: &dyn BenchCache, streams: &[Vec<Op>]) -> Outcome {
    let barrier = Barrier::new(streams.len() + 1);
    let (elapsed, counts) = std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .iter()
            .enumerate()
            .map(|(worker, stream)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    crate::pin::to_own_core(worker);
                    barrier.wait();
                    run(cache, stream)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let counts: Vec<(u64, u64)> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (start.elapsed(), counts)
    });
    let ops: usize = streams.iter().map(Vec::len).sum();
    let (reads, hits) = counts
        .iter()
        .fold((0, 0), |(r, h), (reads, hits)| (r + reads, h + hits));
    Outcome {
        ops_per_sec: ops as f64 / elapsed.as_secs_f64(),
        hit_ratio: (reads > 0).then(|| hits as f64 / reads as f64),
    }
}

/// Returns (reads, hits).
fn run(cache: &dyn BenchCache, stream: &[Op]) -> (u64, u64) {
    let (mut reads, mut hits) = (0, 0);
    for &Op(op) in stream {
        if op & INSERT != 0 {
            cache.insert(op & !INSERT, op);
        } else {
            reads += 1;
            match cache.get(op) {
                Some(_) => hits += 1,
                None => cache.insert(op, op),
            }
        }
    }
    (reads, hits)
}

//! Replaying per-thread operation streams against a cache, timed from a common start.

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// How the threads of a replay move through their streams.
#[derive(Clone, Copy)]
pub(crate) enum Pacing {
    /// Each on its own: the streams are independent.
    Free,
    /// In step: the streams are one trace dealt in runs of `run` operations, and no thread starts
    /// a run while another is more than [`LEAD`] runs behind it. The requests then reach the
    /// cache in about the trace's order whatever the scheduler does; left free, a thread that
    /// the machine slowed for a moment fell thousands of requests behind, and the 2-thread hit
    /// ratios moved by a point or more from run to run with that drift alone.
    InStep { run: usize },
}

/// How many runs a thread replaying in step may be ahead of the slowest.
const LEAD: usize = 1;

/// Runs each stream on its own thread against `cache`, all released together; the clock stops
/// when the last thread finishes.
pub(crate) fn replay(cache: &dyn BenchCache, streams: &[Vec<Op>], pacing: Pacing) -> Outcome {
    let barrier = Barrier::new(streams.len() + 1);
    let progress: Vec<Progress> = streams.iter().map(|_| Progress::default()).collect();
    let (elapsed, counts) = std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .iter()
            .enumerate()
            .map(|(worker, stream)| {
                let (barrier, progress) = (&barrier, &progress[..]);
                scope.spawn(move || {
                    crate::pin::to_own_core(worker);
                    barrier.wait();
                    match pacing {
                        Pacing::Free => run(cache, stream),
                        Pacing::InStep { run } => run_in_step(cache, stream, run, worker, progress),
                    }
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

/// Runs done by one thread replaying in step, on a cache line of its own.
#[derive(Default)]
#[repr(align(128))]
struct Progress(AtomicUsize);

/// [`run`], one run of `run_len` operations at a time, each started only once no other thread is
/// more than [`LEAD`] runs behind; returns (reads, hits).
fn run_in_step(
    cache: &dyn BenchCache,
    stream: &[Op],
    run_len: usize,
    worker: usize,
    progress: &[Progress],
) -> (u64, u64) {
    let (mut reads, mut hits) = (0, 0);
    for (index, ops) in stream.chunks(run_len).enumerate() {
        let behind = |other: &Progress| other.0.load(Ordering::Acquire) + LEAD < index;
        let mut spins = 0u32;
        while progress.iter().any(behind) {
            spins += 1;
            if spins.is_multiple_of(64) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        let (run_reads, run_hits) = run(cache, ops);
        reads += run_reads;
        hits += run_hits;
        progress[worker].0.store(index + 1, Ordering::Release);
    }
    // Finished: never hold the others back.
    progress[worker]
        .0
        .store(usize::MAX - LEAD, Ordering::Release);
    (reads, hits)
}

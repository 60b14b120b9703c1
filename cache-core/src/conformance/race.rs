//! Two OS threads that meet before every round, so each round's operations really contend.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Barrier};

use tokio::runtime::Handle;

/// The contenders of a race, numbered 0 and 1.
pub(crate) const CONTENDERS: usize = 2;

/// Runs `op(contender, round)` for `rounds` rounds on two OS threads at once, both threads
/// waiting for each other before every round, and returns each round's two outcomes in contender
/// order.
///
/// The threads come from tokio's blocking pool and drive `op` with the current runtime's handle,
/// so a backend's I/O keeps working. A contender whose `op` panics keeps meeting the other one at
/// every remaining round without running `op`, so that neither waits forever; the panic is then
/// raised again here.
pub(crate) async fn race<T, Op, Fut>(rounds: u64, op: Op) -> Vec<[T; CONTENDERS]>
where
    T: Send + 'static,
    Op: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T>,
{
    let runtime = Handle::current();
    let barrier = Arc::new(Barrier::new(CONTENDERS));
    let op = Arc::new(op);
    let threads = [0, 1].map(|contender| {
        let (runtime, barrier, op) = (runtime.clone(), Arc::clone(&barrier), Arc::clone(&op));
        tokio::task::spawn_blocking(move || {
            let mut outcomes = Vec::new();
            let mut panicked = None;
            for round in 0..rounds {
                barrier.wait();
                if panicked.is_none() {
                    let run = AssertUnwindSafe(|| runtime.block_on(op(contender, round)));
                    match panic::catch_unwind(run) {
                        Ok(outcome) => outcomes.push(outcome),
                        Err(payload) => panicked = Some(payload),
                    }
                }
            }
            match panicked {
                Some(payload) => panic::resume_unwind(payload),
                None => outcomes,
            }
        })
    });
    let [first, second] = threads;
    let first = first
        .await
        .unwrap_or_else(|err| panic::resume_unwind(err.into_panic()));
    let second = second
        .await
        .unwrap_or_else(|err| panic::resume_unwind(err.into_panic()));
    first.into_iter().zip(second).map(|(a, b)| [a, b]).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_round_has_both_outcomes_in_contender_order() {
        let outcomes = race(100, |contender, round| async move { (contender, round) }).await;
        assert_eq!(outcomes.len(), 100);
        for (round, pair) in (0..).zip(&outcomes) {
            assert_eq!(*pair, [(0, round), (1, round)]);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn contenders_overlap_within_a_round() {
        // Each contender stays inside the round long enough for the other to arrive: if the
        // threads ran one after the other, no round would ever see both inside at once.
        let inside = Arc::new(AtomicUsize::new(0));
        let outcomes = race(20, move |_, _| {
            let inside = Arc::clone(&inside);
            async move {
                inside.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                let both = inside.load(Ordering::SeqCst) == CONTENDERS;
                inside.fetch_sub(1, Ordering::SeqCst);
                both
            }
        })
        .await;
        assert!(outcomes.iter().flatten().any(|&both| both));
    }

    #[tokio::test]
    async fn works_on_a_current_thread_runtime_too() {
        let outcomes = race(3, |contender, _| async move {
            tokio::task::yield_now().await;
            contender
        })
        .await;
        assert_eq!(outcomes, vec![[0, 1]; 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[should_panic(expected = "contender 1 broke in round 3")]
    async fn a_panicking_contender_fails_the_race_without_stranding_the_other() {
        race(10, |contender, round| async move {
            assert!(contender != 1 || round != 3, "contender 1 broke in round 3");
        })
        .await;
    }
}

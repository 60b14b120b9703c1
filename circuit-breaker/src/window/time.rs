//! The last N seconds of calls, in buckets.

use std::time::Duration;

use super::{Sample, Tally};

/// `buckets` buckets of `length / buckets` each; a bucket is reused once it falls out of the
/// window, so memory is fixed and recording is O(1) amortised.
#[derive(Debug)]
pub(crate) struct TimeWindow {
    buckets: Box<[Tally]>,
    bucket_nanos: u64,
    /// The newest bucket index (time / bucket width) seen so far.
    newest: u64,
    tally: Tally,
}

impl TimeWindow {
    pub(crate) fn new(length: Duration, buckets: u32) -> Self {
        assert!(buckets > 0, "a time window has at least one bucket");
        let bucket_nanos = (length.as_nanos() / u128::from(buckets)) as u64;
        assert!(
            bucket_nanos > 0,
            "a time window's buckets last at least 1ns"
        );
        Self {
            buckets: vec![Tally::default(); buckets as usize].into_boxed_slice(),
            bucket_nanos,
            newest: 0,
            tally: Tally::default(),
        }
    }

    pub(crate) fn record(&mut self, sample: Sample, now: u64) -> Tally {
        let index = self.advance(now);
        let slot = (index % self.buckets.len() as u64) as usize;
        self.buckets[slot].add(sample);
        self.tally.add(sample);
        self.tally
    }

    pub(crate) fn tally(&mut self, now: u64) -> Tally {
        self.advance(now);
        self.tally
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.fill(Tally::default());
        self.tally = Tally::default();
    }

    /// Moves the window's head to `now`, emptying the buckets that fell out of it; returns the
    /// bucket index of `now`. A reading older than the head (a coarse clock may lag a little)
    /// counts in the head's bucket.
    fn advance(&mut self, now: u64) -> u64 {
        let index = now / self.bucket_nanos;
        if index <= self.newest {
            return self.newest;
        }
        let len = self.buckets.len() as u64;
        let first_stale = (self.newest + 1).max(index.saturating_sub(len - 1));
        for stale in first_stale..=index {
            let bucket = &mut self.buckets[(stale % len) as usize];
            self.tally.calls -= bucket.calls;
            self.tally.failures -= bucket.failures;
            self.tally.slow -= bucket.slow;
            *bucket = Tally::default();
        }
        self.newest = index;
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;
    const FAILED: Sample = Sample {
        failed: true,
        slow: false,
    };
    const OK: Sample = Sample {
        failed: false,
        slow: false,
    };

    #[test]
    fn calls_leave_the_window_when_their_bucket_expires() {
        let mut window = TimeWindow::new(Duration::from_secs(10), 10);
        window.record(FAILED, 0);
        window.record(OK, 5 * SECOND);
        assert_eq!(window.tally(9 * SECOND).calls, 2);
        let tally = window.tally(10 * SECOND);
        assert_eq!((tally.calls, tally.failures), (1, 0));
        assert_eq!(window.tally(15 * SECOND).calls, 0);
    }

    #[test]
    fn a_long_gap_empties_everything_once() {
        let mut window = TimeWindow::new(Duration::from_secs(3), 3);
        for second in 0..3 {
            window.record(FAILED, second * SECOND);
        }
        let tally = window.record(OK, 1_000 * SECOND);
        assert_eq!((tally.calls, tally.failures), (1, 0));
    }

    #[test]
    fn a_lagging_reading_counts_in_the_newest_bucket() {
        let mut window = TimeWindow::new(Duration::from_secs(2), 2);
        window.record(OK, 5 * SECOND);
        window.record(FAILED, 4 * SECOND);
        assert_eq!(window.tally(6 * SECOND).calls, 2);
        assert_eq!(window.tally(7 * SECOND).calls, 0);
    }
}

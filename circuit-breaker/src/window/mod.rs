//! Sliding windows over the most recent outcomes: the last N calls, or the last N seconds.

mod count;
mod time;

use std::time::Duration;

pub(crate) use count::CountWindow;
pub(crate) use time::TimeWindow;

/// The outcome of one recorded call, as a window keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) failed: bool,
    pub(crate) slow: bool,
}

/// The totals of a window: calls recorded, and how many of them failed or were slow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Calls recorded (ignored calls are not).
    pub calls: u32,
    /// Recorded calls that failed.
    pub failures: u32,
    /// Recorded calls slower than the slow-call duration, failed or not.
    pub slow: u32,
}

impl Tally {
    pub(crate) fn add(&mut self, sample: Sample) {
        self.calls += 1;
        self.failures += u32::from(sample.failed);
        self.slow += u32::from(sample.slow);
    }

    pub(crate) fn remove(&mut self, sample: Sample) {
        self.calls -= 1;
        self.failures -= u32::from(sample.failed);
        self.slow -= u32::from(sample.slow);
    }

    /// Whether `part` of these calls reaches `threshold` percent.
    pub(crate) fn reaches(&self, part: u32, threshold: f64) -> bool {
        self.calls > 0 && f64::from(part) * 100.0 >= threshold * f64::from(self.calls)
    }
}

/// A count-based or time-based sliding window.
#[derive(Debug)]
pub(crate) enum Window {
    Count(CountWindow),
    Time(TimeWindow),
}

impl Window {
    pub(crate) fn count(size: u32) -> Self {
        Window::Count(CountWindow::new(size))
    }

    pub(crate) fn time(length: Duration, buckets: u32) -> Self {
        Window::Time(TimeWindow::new(length, buckets))
    }

    /// Whether recording needs the time (a coarse reading is enough).
    pub(crate) fn needs_clock(&self) -> bool {
        matches!(self, Window::Time(_))
    }

    /// Whether this is a count window holding as many calls as it can (`tally` is its totals).
    pub(crate) fn is_full_count(&self, tally: Tally) -> bool {
        matches!(self, Window::Count(window) if tally.calls == window.size())
    }

    /// Records `sample` taken at `now` (nanoseconds; ignored by a count window) and returns the
    /// window's totals.
    pub(crate) fn record(&mut self, sample: Sample, now: u64) -> Tally {
        match self {
            Window::Count(window) => window.record(sample),
            Window::Time(window) => window.record(sample, now),
        }
    }

    /// The totals as of `now`.
    pub(crate) fn tally(&mut self, now: u64) -> Tally {
        match self {
            Window::Count(window) => window.tally(),
            Window::Time(window) => window.tally(now),
        }
    }

    pub(crate) fn clear(&mut self) {
        match self {
            Window::Count(window) => window.clear(),
            Window::Time(window) => window.clear(),
        }
    }
}

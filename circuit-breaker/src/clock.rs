//! Time as a dependency: the breaker reads an injected [`Clock`], so tests control time.

use std::fmt;

/// A monotonic clock, in nanoseconds since an origin of the clock's choosing.
///
/// The breaker reads [`Clock::recent`] (coarse, cheap) to place outcomes in a time-based window
/// and to end the open state's wait, and [`Clock::now`] (precise) only to time calls when
/// slow-call detection is on. A closed breaker with a count-based window and no slow-call
/// detection reads no clock at all.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The precise current time.
    fn now(&self) -> u64;

    /// A reading at most a few milliseconds behind [`Clock::now`], and cheaper to take.
    fn recent(&self) -> u64 {
        self.now()
    }
}

/// The real clock: `CLOCK_MONOTONIC`, with `CLOCK_MONOTONIC_COARSE` (a few nanoseconds, no
/// syscall, a tick of a few milliseconds) as its coarse reading on Linux.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: monotonic::Origin,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: monotonic::origin(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        monotonic::precise(&self.origin)
    }

    fn recent(&self) -> u64 {
        monotonic::coarse(&self.origin)
    }
}

#[cfg(target_os = "linux")]
mod monotonic {
    use rustix::time::{ClockId, clock_gettime};

    /// Both Linux clocks count from the same base, so one origin serves both.
    pub(super) type Origin = u64;

    fn read(id: ClockId) -> u64 {
        let time = clock_gettime(id);
        time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64
    }

    pub(super) fn origin() -> Origin {
        read(ClockId::Monotonic)
    }

    pub(super) fn precise(origin: &Origin) -> u64 {
        read(ClockId::Monotonic).saturating_sub(*origin)
    }

    pub(super) fn coarse(origin: &Origin) -> u64 {
        read(ClockId::MonotonicCoarse).saturating_sub(*origin)
    }
}

#[cfg(not(target_os = "linux"))]
mod monotonic {
    use std::time::Instant;

    pub(super) type Origin = Instant;

    pub(super) fn origin() -> Origin {
        Instant::now()
    }

    pub(super) fn precise(origin: &Origin) -> u64 {
        origin.elapsed().as_nanos() as u64
    }

    pub(super) fn coarse(origin: &Origin) -> u64 {
        precise(origin)
    }
}

/// A clock that follows tokio's time, so `tokio::time::pause` and `advance` move it.
///
/// Both readings are precise; use it in tests (or wherever time is virtual), not on a hot path.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is tokio's now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_coarse_reading_trails_the_precise_one_by_little() {
        let clock = SystemClock::new();
        let recent = clock.recent();
        let now = clock.now();
        assert!(recent <= now + 1_000, "{recent} > {now}");
        assert!(
            now - recent.min(now) < 50_000_000,
            "coarse lags by {}ns",
            now - recent
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_paused_time() {
        let clock = TokioClock::new();
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(clock.now(), 3_000_000_000);
        assert_eq!(clock.recent(), clock.now());
    }
}

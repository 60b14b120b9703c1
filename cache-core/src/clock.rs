//! Time as a dependency: policy code reads an injected [`Clock`], never `Instant::now()`, so tests
//! control time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock, in nanoseconds since an origin of the clock's choosing.
///
/// [`Clock::recent`] is the cheap, coarse reading (a few milliseconds of resolution at most) that
/// TTL checks use on the hot path; [`Clock::now`] is the precise one.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The precise current time.
    fn now(&self) -> u64;

    /// A reading at most a few milliseconds behind [`Clock::now`], and cheaper to take.
    fn recent(&self) -> u64 {
        self.now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> u64 {
        (**self).now()
    }

    fn recent(&self) -> u64 {
        (**self).recent()
    }
}

/// The real clock: monotonic, with its origin at construction. Clones share one origin.
///
/// # Cost
///
/// [`Clock::now`] reads the precise monotonic time: a vDSO call of some 20 to 80 ns depending on
/// the machine's clock source. What [`Clock::recent`] costs depends on the constructor:
///
/// - [`SystemClock::coarse`] (what a cache uses unless given a clock): on Linux, the kernel's
///   `CLOCK_MONOTONIC_COARSE`, a vDSO read of a few nanoseconds that lags `now()` by at most one
///   scheduler tick (1 to 10 ms), with no thread; elsewhere the same as `now()`.
/// - [`SystemClock::ticking`]: a cached reading that a small background thread refreshes every
///   `resolution`: one relaxed atomic load (about a nanosecond), at most about `resolution`
///   behind. The thread is a convenience, never a requirement.
/// - [`SystemClock::new`]: the precise time, at the cost of `now()`.
///
/// ```
/// use std::time::Duration;
/// use cache_core::{Clock, SystemClock};
///
/// let clock = SystemClock::coarse();
/// let recent = clock.recent();
/// assert!(recent <= clock.now());
///
/// let ticking = SystemClock::ticking(Duration::from_millis(1));
/// assert!(ticking.recent() <= ticking.now());
/// ```
#[derive(Debug, Clone)]
pub struct SystemClock {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    origin: Origin,
    /// The ticker's last reading plus one (so that zero means "no ticker").
    recent: AtomicU64,
}

/// Where a clock's readings come from, and their zero.
#[derive(Debug)]
enum Origin {
    /// `Instant` readings since this one; the coarse reading is the precise one.
    Instant(Instant),
    /// The kernel's `CLOCK_MONOTONIC` (precise) and `CLOCK_MONOTONIC_COARSE` (coarse), read
    /// through libc's `clock_gettime` (its vDSO path, and what valgrind understands), in
    /// nanoseconds since this coarse reading. Both count from one base, and a coarse reading is
    /// never ahead of a precise one taken after it, so `recent()` never leads `now()`.
    #[cfg(target_os = "linux")]
    Kernel(u64),
}

#[cfg(target_os = "linux")]
fn kernel_nanos(id: rustix::time::ClockId) -> u64 {
    let time = rustix::time::clock_gettime(id);
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(time.tv_nsec).unwrap_or(0);
    seconds.saturating_mul(1_000_000_000).saturating_add(nanos)
}

impl Shared {
    fn new(origin: Origin) -> Self {
        Self {
            origin,
            recent: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        match self.origin {
            Origin::Instant(origin) => duration_nanos(origin.elapsed()),
            #[cfg(target_os = "linux")]
            Origin::Kernel(origin) => {
                kernel_nanos(rustix::time::ClockId::Monotonic).saturating_sub(origin)
            }
        }
    }

    fn coarse(&self) -> u64 {
        match self.origin {
            Origin::Instant(_) => self.now(),
            #[cfg(target_os = "linux")]
            Origin::Kernel(origin) => {
                kernel_nanos(rustix::time::ClockId::MonotonicCoarse).saturating_sub(origin)
            }
        }
    }

    fn tick(&self) {
        self.recent.store(self.now() + 1, Ordering::Relaxed);
    }
}

impl SystemClock {
    /// A clock whose origin is now, without a ticker: [`Clock::recent`] reads the time precisely.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared::new(Origin::Instant(Instant::now()))),
        }
    }

    /// A clock whose origin is now and whose [`Clock::recent`] is the operating system's coarse
    /// monotonic time (Linux; elsewhere it is [`SystemClock::new`]): a few nanoseconds to read,
    /// at most one scheduler tick behind [`Clock::now`], and no thread. The default clock of a
    /// cache.
    pub fn coarse() -> Self {
        #[cfg(target_os = "linux")]
        let origin = Origin::Kernel(kernel_nanos(rustix::time::ClockId::MonotonicCoarse));
        #[cfg(not(target_os = "linux"))]
        let origin = Origin::Instant(Instant::now());
        Self {
            shared: Arc::new(Shared::new(origin)),
        }
    }

    /// A clock whose [`Clock::recent`] is a cached reading refreshed every `resolution` by a
    /// background thread, which stops on its own once every clone of the clock is dropped.
    ///
    /// # Panics
    ///
    /// Panics when `resolution` is zero, or when the operating system refuses to spawn a thread.
    pub fn ticking(resolution: Duration) -> Self {
        assert!(
            !resolution.is_zero(),
            "SystemClock::ticking needs a resolution longer than zero"
        );
        let clock = Self::new();
        clock.shared.tick();
        let weak = Arc::downgrade(&clock.shared);
        std::thread::Builder::new()
            .name("cache-core-clock".into())
            .spawn(move || {
                while let Some(shared) = weak.upgrade() {
                    shared.tick();
                    drop(shared);
                    std::thread::sleep(resolution);
                }
            })
            .expect("failed to spawn the clock's ticker thread");
        clock
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        self.shared.now()
    }

    #[inline]
    fn recent(&self) -> u64 {
        match self.shared.recent.load(Ordering::Relaxed) {
            0 => self.shared.coarse(),
            ticked => ticked - 1,
        }
    }
}

/// A clock that moves only when told to, for tests. Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use cache_core::{Clock, MockClock};
///
/// let clock = MockClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now() - start, 5_000_000_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MockClock {
    nanos: Arc<AtomicU64>,
}

impl MockClock {
    /// A clock standing at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(duration_nanos(by), Ordering::SeqCst);
    }
}

impl Clock for MockClock {
    fn now(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub fn duration_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_monotonic_and_recent_never_leads() {
        let clock = SystemClock::new();
        let first = clock.now();
        assert!(clock.recent() >= first);
        assert!(clock.now() >= first);
    }

    #[test]
    fn ticking_clock_follows_the_real_time() {
        let clock = SystemClock::ticking(Duration::from_millis(1));
        let before = clock.recent();
        assert!(before <= clock.now());
        let give_up = Instant::now() + Duration::from_secs(10);
        while clock.recent() == before {
            assert!(Instant::now() < give_up, "the ticker never advanced");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(clock.recent() <= clock.now());
    }

    #[test]
    fn coarse_clock_follows_the_real_time_and_never_leads() {
        let clock = SystemClock::coarse();
        let start = clock.now();
        let give_up = Instant::now() + Duration::from_secs(10);
        loop {
            let recent = clock.recent();
            assert!(
                recent <= clock.now(),
                "the coarse reading led the precise one"
            );
            if recent > start {
                break;
            }
            assert!(
                Instant::now() < give_up,
                "the coarse reading never advanced"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(clock.clone().now() >= start, "clones share the origin");
    }

    #[test]
    fn mock_clock_clones_share_time() {
        let clock = MockClock::new();
        let other = clock.clone();
        clock.advance(Duration::from_millis(3));
        assert_eq!(other.now(), 3_000_000);
        assert_eq!(other.recent(), other.now());
    }

    #[test]
    fn durations_saturate() {
        assert_eq!(duration_nanos(Duration::MAX), u64::MAX);
        assert_eq!(duration_nanos(Duration::from_micros(2)), 2_000);
    }
}

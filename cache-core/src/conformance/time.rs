//! How time passes for a backend under test.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::MockClock;

/// Lets time pass for a store under test, so that the expiry cases can make records expire.
///
/// Backends whose clock can be injected pass the [`MockClock`] they were built with: the cases
/// then run instantly. Backends whose clock cannot be injected (moka, Redis) use [`RealTime`] and
/// short real TTLs.
pub trait TimeControl: Send + Sync + fmt::Debug {
    /// The shortest TTL the expiry cases give a record; every other TTL and every wait of the
    /// cases is a small multiple of it.
    ///
    /// Under real time, pick it several times coarser than the backend's expiry resolution; the
    /// expiry cases wait for nine units at most.
    fn ttl_unit(&self) -> Duration;

    /// Lets `by` pass for the store.
    fn advance(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

impl TimeControl for MockClock {
    /// One second: nothing waits under a mock clock, so the unit only has to be realistic.
    fn ttl_unit(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn advance(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        MockClock::advance(self, by);
        Box::pin(std::future::ready(()))
    }
}

/// Real time: [`TimeControl::advance`] sleeps on the tokio timer.
///
/// ```
/// use std::time::Duration;
/// use cache_core::conformance::{RealTime, TimeControl};
///
/// let time = RealTime::new(Duration::from_millis(50));
/// assert_eq!(time.ttl_unit(), Duration::from_millis(50));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RealTime {
    unit: Duration,
}

impl RealTime {
    /// Real time with `unit` as the shortest TTL of the expiry cases.
    ///
    /// # Panics
    ///
    /// When `unit` is zero: a zero TTL is invalid input to every store.
    pub fn new(unit: Duration) -> Self {
        assert!(
            !unit.is_zero(),
            "the TTL unit of real time must be longer than zero"
        );
        Self { unit }
    }
}

impl Default for RealTime {
    /// A 50 ms unit: well above the millisecond expiry resolution of moka and Redis, short enough
    /// that every expiry case finishes within a few hundred milliseconds.
    fn default() -> Self {
        Self::new(Duration::from_millis(50))
    }
}

impl TimeControl for RealTime {
    fn ttl_unit(&self) -> Duration {
        self.unit
    }

    fn advance(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move { tokio::time::sleep(by).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;

    #[test]
    fn mock_clock_moves_by_exactly_the_advance() {
        let clock = MockClock::new();
        let before = clock.now();
        futures_ready(TimeControl::advance(&clock, Duration::from_millis(1500)));
        assert_eq!(clock.now() - before, 1_500_000_000);
    }

    #[test]
    fn real_time_sleeps_at_least_the_advance() {
        let start = std::time::Instant::now();
        futures_ready(RealTime::default().advance(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    #[should_panic(expected = "longer than zero")]
    fn real_time_refuses_a_zero_unit() {
        RealTime::new(Duration::ZERO);
    }

    fn futures_ready(future: Pin<Box<dyn Future<Output = ()> + Send + '_>>) {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
            .block_on(future);
    }
}

//! Reading and forcing a breaker's state from outside (an admin route, a readiness probe).

use std::sync::Arc;
use std::time::Duration;

use crate::breaker::Breaker;
use crate::state::State;
use crate::window::Tally;

/// A handle on one breaker, cheap to clone, from
/// [`CircuitBreakerLayer::handle`](crate::CircuitBreakerLayer::handle).
///
/// The reads are cheap (an atomic load, plus a clock reading while open), so a readiness probe
/// or an admin route may call them on every request. The forcing methods return whether the
/// state changed; each change is reported like any other transition (event, metric, listener).
///
/// ```
/// use std::time::Duration;
///
/// use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, State};
///
/// let layer = CircuitBreakerLayer::new(CircuitBreakerConfig::default()).unwrap();
/// let handle = layer.handle();
/// assert!(!handle.is_open());
///
/// assert!(handle.force_open());
/// assert_eq!(handle.state(), State::ForcedOpen);
/// assert!(handle.is_open(), "a readiness probe reports not ready");
/// assert_eq!(handle.retry_after(), None, "forced open has no end");
///
/// assert!(handle.reset());
/// assert_eq!(handle.state(), State::Closed);
/// ```
#[derive(Debug, Clone)]
pub struct BreakerHandle {
    breaker: Arc<Breaker>,
}

impl BreakerHandle {
    pub(crate) fn new(breaker: Arc<Breaker>) -> Self {
        Self { breaker }
    }

    /// The breaker's configured name.
    pub fn name(&self) -> &str {
        self.breaker.name()
    }

    /// The current state.
    ///
    /// An open breaker whose wait is over is moved to half-open by this read, as the next call
    /// would move it (the transition is reported as usual). Without that, a breaker that gets no
    /// traffic while open (say, because a readiness probe took the instance out of its load
    /// balancer) would read `Open` forever.
    pub fn state(&self) -> State {
        self.breaker.current_state()
    }

    /// Whether every call is rejected now ([`State::rejects`]: open with time left in its wait,
    /// or forced open). A half-open breaker is not open: it lets its probes through.
    pub fn is_open(&self) -> bool {
        self.state().rejects()
    }

    /// How long until an open breaker lets probes through; `None` in any other state (forced
    /// open included: it ends only when forced otherwise).
    pub fn retry_after(&self) -> Option<Duration> {
        match self.breaker.state() {
            State::Open => self.breaker.open_for(),
            _ => None,
        }
    }

    /// The sliding window's totals now.
    pub fn tally(&self) -> Tally {
        self.breaker.tally()
    }

    /// Rejects every call until another state is forced.
    pub fn force_open(&self) -> bool {
        self.breaker.force(State::ForcedOpen)
    }

    /// Lets every call through and records nothing.
    pub fn disable(&self) -> bool {
        self.breaker.force(State::Disabled)
    }

    /// Lets every call through, records and reports outcomes, never opens.
    pub fn metrics_only(&self) -> bool {
        self.breaker.force(State::MetricsOnly)
    }

    /// Closes the breaker with an empty window (also empties the window of a closed one).
    pub fn reset(&self) -> bool {
        self.breaker.force(State::Closed)
    }
}

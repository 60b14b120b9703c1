//! State changes as values, and the hook that hears them.

use std::sync::Arc;
use std::time::Duration;

use crate::State;

/// One state change of one breaker.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Transition {
    /// The breaker's configured name.
    pub breaker: Arc<str>,
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// On entering [`State::Open`], how long until probes are let through.
    pub wait: Option<Duration>,
}

/// Hears every state change, once, after it took effect.
///
/// Implemented for `()` (the default: nothing) and for closures `Fn(&Transition)`. Every
/// transition is also a `tracing` event and a metric, so a listener is for the rest (waking a
/// readiness probe, a test's log).
///
/// ```
/// use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, State, Transition};
///
/// let layer = CircuitBreakerLayer::builder(CircuitBreakerConfig::default())
///     .listener(|transition: &Transition| {
///         if transition.to == State::Open {
///             eprintln!("{} opened", transition.breaker);
///         }
///     })
///     .build()
///     .unwrap();
/// # drop(layer);
/// ```
pub trait Listener: Send + Sync + 'static {
    /// Called for each transition, on the thread that caused it.
    fn on_transition(&self, transition: &Transition);
}

impl Listener for () {
    fn on_transition(&self, _: &Transition) {}
}

impl<F> Listener for F
where
    F: Fn(&Transition) + Send + Sync + 'static,
{
    fn on_transition(&self, transition: &Transition) {
        self(transition)
    }
}

//! What the outside world sees of a breaker: `tracing` events, `metrics`, the listener.

use std::fmt;
use std::sync::Arc;

use metrics::{Counter, Gauge};

use crate::classify::Outcome;
use crate::listener::{Listener, Transition};
use crate::state::State;

/// The incident kind of an open breaker, shared by the event that raises it and the one that
/// resolves it.
pub const INCIDENT_KIND: &str = "breaker_open";

/// The handles of one breaker's metrics, registered once so the hot path only increments.
pub(crate) struct Signals {
    name: Arc<str>,
    listener: Box<dyn Listener>,
    state: Gauge,
    successes: Counter,
    failures: Counter,
    ignored: Counter,
    slow: Counter,
    rejected: Counter,
}

impl Signals {
    pub(crate) fn new(name: Arc<str>, listener: Box<dyn Listener>) -> Self {
        let breaker = name.to_string();
        let calls = |outcome: &'static str| metrics::counter!("circuit_breaker.calls", "breaker" => breaker.clone(), "outcome" => outcome);
        Self {
            state: metrics::gauge!("circuit_breaker.state", "breaker" => breaker.clone()),
            successes: calls("success"),
            failures: calls("failure"),
            ignored: calls("ignored"),
            slow: metrics::counter!("circuit_breaker.slow_calls", "breaker" => breaker.clone()),
            rejected: metrics::counter!("circuit_breaker.rejected", "breaker" => breaker),
            name,
            listener,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Sets the state gauge. Called under the breaker's lock, so concurrent transitions leave
    /// the gauge at the state the breaker is in; the rest of a transition is reported outside
    /// it, by [`Signals::transition`].
    pub(crate) fn set_state(&self, state: State) {
        self.state.set(f64::from(state as u8));
    }

    pub(crate) fn call(&self, outcome: Outcome, slow: bool) {
        match outcome {
            Outcome::Success => self.successes.increment(1),
            Outcome::Failure => self.failures.increment(1),
            Outcome::Ignored => self.ignored.increment(1),
        }
        if slow {
            self.slow.increment(1);
        }
    }

    pub(crate) fn rejected(&self) {
        self.rejected.increment(1);
    }

    /// Reports `transition` once: counter, event and listener (the gauge is set by
    /// [`Signals::set_state`]).
    pub(crate) fn transition(&self, transition: &Transition) {
        let (from, to) = (transition.from.as_str(), transition.to.as_str());
        metrics::counter!(
            "circuit_breaker.transitions",
            "breaker" => self.name.to_string(), "from" => from, "to" => to
        )
        .increment(1);
        let name = &*self.name;
        let wait_secs = transition.wait.map(|wait| wait.as_secs_f64());
        if transition.to.rejects() {
            tracing::warn!(
                incident = INCIDENT_KIND,
                source = name,
                breaker = name,
                from,
                to,
                wait_secs,
                "circuit breaker `{name}` is {to}: calls to it are rejected"
            );
        } else if transition.from.rejects() || transition.from == State::HalfOpen {
            if transition.to == State::HalfOpen {
                tracing::info!(
                    breaker = name,
                    from,
                    to,
                    "circuit breaker `{name}` is probing"
                );
            } else {
                tracing::info!(
                    incident = INCIDENT_KIND,
                    resolves = true,
                    source = name,
                    breaker = name,
                    from,
                    to,
                    "circuit breaker `{name}` is {to}: calls to it pass again"
                );
            }
        } else {
            tracing::info!(breaker = name, from, to, "circuit breaker `{name}` is {to}");
        }
        self.listener.on_transition(transition);
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

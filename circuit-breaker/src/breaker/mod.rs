//! The state machine every clone of one layer shares: atomics for the hot path's reads, a short
//! `parking_lot` critical section for recording outcomes and changing state.

mod admit;
mod record;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};

pub(crate) use admit::{Permit, Ticket};

use crate::clock::Clock;
use crate::config::{CircuitBreakerConfig, WaitConfig};
use crate::listener::Transition;
use crate::signals::Signals;
use crate::state::State;
use crate::window::{Tally, Window};

/// One breaker: the shared state behind a layer and every service it builds.
pub(crate) struct Breaker {
    /// `state | cycle << 8`, written under the lock, read without it.
    word: AtomicU64,
    /// The coarse clock reading at which an open breaker lets probes through.
    open_until: AtomicU64,
    /// Whether the window is a count window full of fast successes, written under the lock.
    /// Recording one more fast success then changes nothing (it evicts an identical sample), so
    /// the healthy steady state records without locking.
    all_successes: AtomicBool,
    core: Mutex<Core>,
    rules: Rules,
    clock: Box<dyn Clock>,
    signals: Signals,
}

/// The configuration, in the form the state machine reads it.
#[derive(Debug)]
struct Rules {
    minimum_calls: u32,
    failure_rate: f64,
    slow_rate: f64,
    slow_call: Option<Duration>,
    wait: WaitConfig,
    probes: u32,
    window_reads_clock: bool,
}

#[derive(Debug)]
struct Core {
    state: State,
    /// Bumped by every transition, so outcomes and probe slots of an earlier cycle are void.
    cycle: u64,
    window: Window,
    /// Openings since the breaker last closed, for the backoff.
    openings: u32,
    /// Probe slots taken in this half-open cycle (running or done).
    reserved: u32,
    /// The outcomes of this half-open cycle's probes.
    probed: Tally,
}

const fn pack(state: State, cycle: u64) -> u64 {
    (cycle << 8) | state as u64
}

const fn unpack(word: u64) -> (State, u64) {
    (State::from_u8(word as u8), word >> 8)
}

impl Breaker {
    /// A closed breaker. `config` must be valid.
    pub(crate) fn new(
        config: &CircuitBreakerConfig,
        clock: Box<dyn Clock>,
        signals: Signals,
    ) -> Self {
        let window = config.window.build();
        signals.set_state(State::Closed);
        Self {
            word: AtomicU64::new(pack(State::Closed, 0)),
            open_until: AtomicU64::new(0),
            all_successes: AtomicBool::new(false),
            rules: Rules {
                minimum_calls: config.minimum_calls,
                failure_rate: config.failure_rate_threshold,
                slow_rate: config.slow_call_rate_threshold,
                slow_call: config.slow_call_duration,
                wait: config.wait.clone(),
                probes: config.half_open_probes,
                window_reads_clock: window.needs_clock(),
            },
            core: Mutex::new(Core {
                state: State::Closed,
                cycle: 0,
                window,
                openings: 0,
                reserved: 0,
                probed: Tally::default(),
            }),
            clock,
            signals,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        self.signals.name()
    }

    /// The state as last stored, read without locking.
    pub(crate) fn state(&self) -> State {
        unpack(self.word.load(Ordering::Acquire)).0
    }

    /// The state now: an open breaker whose wait is over moves to half-open first, as the next
    /// call would move it, so no reader sees `Open` once probes would be let through. Otherwise
    /// one atomic load.
    pub(crate) fn current_state(&self) -> State {
        let state = self.state();
        if state != State::Open || self.open_for().is_some() {
            return state;
        }
        let mut core = self.core.lock();
        let transition = self.half_open_if_due(&mut core);
        let state = core.state;
        drop(core);
        if let Some(transition) = transition {
            self.signals.transition(&transition);
        }
        state
    }

    /// The sliding window's totals now.
    pub(crate) fn tally(&self) -> Tally {
        let now = self.window_time();
        self.core.lock().window.tally(now)
    }

    /// Moves to `to` from outside; returns whether the state changed. Forcing `Closed` also
    /// empties the window when the breaker is closed already.
    pub(crate) fn force(&self, to: State) -> bool {
        let mut core = self.core.lock();
        if core.state == to {
            if to == State::Closed {
                core.window.clear();
                self.all_successes.store(false, Ordering::Release);
            }
            return false;
        }
        let transition = self.transition(&mut core, to);
        drop(core);
        self.signals.transition(&transition);
        true
    }

    /// The time a window places an outcome at: none for a count window, coarse otherwise.
    fn window_time(&self) -> u64 {
        if self.rules.window_reads_clock {
            self.clock.recent()
        } else {
            0
        }
    }

    /// Changes state under the lock; the caller reports the transition once it let go of it.
    ///
    /// # Panics
    ///
    /// On a transition [`State::can_transition_to`] forbids: a bug in this module.
    fn transition(&self, core: &mut MutexGuard<'_, Core>, to: State) -> Transition {
        let from = core.state;
        assert!(
            from.can_transition_to(to),
            "illegal circuit breaker transition {from} -> {to}"
        );
        core.state = to;
        core.cycle += 1;
        let mut wait = None;
        match to {
            State::Open => {
                core.openings += 1;
                let open_for = self.rules.wait.wait(core.openings);
                let until = self
                    .clock
                    .recent()
                    .saturating_add(open_for.as_nanos() as u64);
                self.open_until.store(until, Ordering::Release);
                wait = Some(open_for);
            }
            State::HalfOpen => {
                core.reserved = 0;
                core.probed = Tally::default();
            }
            State::Closed | State::MetricsOnly | State::Disabled => {
                core.window.clear();
                self.all_successes.store(false, Ordering::Release);
                core.openings = 0;
            }
            State::ForcedOpen => {}
        }
        self.word.store(pack(to, core.cycle), Ordering::Release);
        self.signals.set_state(to);
        Transition {
            breaker: self.name().clone(),
            from,
            to,
            wait,
        }
    }
}

impl fmt::Debug for Breaker {
    /// The name, state and rules: the window may hold up to a million samples.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("name", self.name())
            .field("state", &self.state())
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests;

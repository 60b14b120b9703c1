//! Letting calls in: the readiness check, the re-check at call time, and probe slots.

use std::sync::atomic::Ordering;
use std::time::Duration;

use parking_lot::MutexGuard;

use super::{Breaker, Core, unpack};
use crate::listener::Transition;
use crate::state::State;

/// What `poll_ready` decided for the next call.
#[derive(Debug)]
pub(crate) enum Permit {
    /// The breaker lets calls through (closed, metrics-only or disabled).
    Pass,
    /// A half-open probe slot of `cycle`, reserved until the call ends or the permit is freed.
    Probe { cycle: u64 },
    /// The next call is rejected without reaching the inner service.
    Reject(Rejection),
}

/// Why and for how long calls are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) state: State,
    pub(crate) retry_after: Option<Duration>,
}

/// A call let through, and what its outcome is recorded against.
#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) kind: TicketKind,
    pub(crate) cycle: u64,
    /// The precise start time, taken only when slow-call detection is on.
    pub(crate) started: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TicketKind {
    /// Recorded in the sliding window.
    Window,
    /// Recorded as a half-open probe.
    Probe,
    /// Not recorded (disabled).
    Untracked,
}

/// How long a caller turned away by a half-open breaker is told to wait.
const PROBING_RETRY_AFTER: Duration = Duration::from_secs(1);

impl Breaker {
    /// Decides, in `poll_ready`, what the next call may do; in the closed state this is one
    /// atomic load.
    pub(crate) fn acquire(&self) -> Permit {
        let (state, _) = unpack(self.word.load(Ordering::Acquire));
        match state {
            State::Closed | State::MetricsOnly | State::Disabled => Permit::Pass,
            State::ForcedOpen => Permit::Reject(self.rejection(State::ForcedOpen)),
            State::Open => match self.open_for() {
                Some(retry_after) => Permit::Reject(Rejection {
                    state,
                    retry_after: Some(retry_after),
                }),
                None => self.reserve_probe(),
            },
            State::HalfOpen => self.reserve_probe(),
        }
    }

    /// Re-checks `permit` in `call`, as the state may have changed since `poll_ready`.
    pub(crate) fn admit(&self, permit: Permit) -> Result<Ticket, Rejection> {
        let (kind, cycle) = match permit {
            Permit::Reject(rejection) => return Err(rejection),
            Permit::Pass => self.passing()?,
            Permit::Probe { cycle } => {
                let core = self.core.lock();
                if core.state == State::HalfOpen && core.cycle == cycle {
                    (TicketKind::Probe, cycle)
                } else {
                    drop(core);
                    self.passing()?
                }
            }
        };
        let started = self
            .rules
            .slow_call
            .filter(|_| kind != TicketKind::Untracked)
            .map(|_| self.clock.now());
        Ok(Ticket {
            kind,
            cycle,
            started,
        })
    }

    /// Frees a probe slot reserved but never used (the service clone or the call's future was
    /// dropped), without recording an outcome.
    pub(crate) fn release(&self, cycle: u64) {
        let mut core = self.core.lock();
        if core.state == State::HalfOpen && core.cycle == cycle {
            core.reserved -= 1;
        }
    }

    /// Forgets a call that ended without an outcome (its future was dropped): nothing is
    /// recorded, and a probe's slot is freed for another caller.
    pub(crate) fn cancel(&self, ticket: Ticket) {
        if ticket.kind == TicketKind::Probe {
            self.release(ticket.cycle);
        }
    }

    /// Counts a call turned away.
    pub(crate) fn count_rejection(&self) {
        self.signals.rejected();
    }

    /// Whether a call without a probe slot may pass in the current state.
    fn passing(&self) -> Result<(TicketKind, u64), Rejection> {
        let (state, cycle) = unpack(self.word.load(Ordering::Acquire));
        match state {
            State::Closed | State::MetricsOnly => Ok((TicketKind::Window, cycle)),
            State::Disabled => Ok((TicketKind::Untracked, cycle)),
            State::Open | State::HalfOpen | State::ForcedOpen => Err(self.rejection(state)),
        }
    }

    /// Takes a probe slot, moving an open breaker whose wait is over to half-open first.
    fn reserve_probe(&self) -> Permit {
        let mut core = self.core.lock();
        let transition = self.half_open_if_due(&mut core);
        let permit = match core.state {
            State::HalfOpen if core.reserved < self.rules.probes => {
                core.reserved += 1;
                Permit::Probe { cycle: core.cycle }
            }
            State::Closed | State::MetricsOnly | State::Disabled => Permit::Pass,
            state => Permit::Reject(self.rejection(state)),
        };
        drop(core);
        if let Some(transition) = transition {
            self.signals.transition(&transition);
        }
        permit
    }

    /// Moves an open breaker whose wait is over to half-open; the caller reports the
    /// transition once it let go of the lock.
    pub(super) fn half_open_if_due(&self, core: &mut MutexGuard<'_, Core>) -> Option<Transition> {
        (core.state == State::Open && self.open_for().is_none())
            .then(|| self.transition(core, State::HalfOpen))
    }

    /// The time left in the open state's wait; `None` once it is over (or was never started).
    pub(crate) fn open_for(&self) -> Option<Duration> {
        let until = self.open_until.load(Ordering::Acquire);
        let now = self.clock.recent();
        (now < until).then(|| Duration::from_nanos(until - now))
    }

    fn rejection(&self, state: State) -> Rejection {
        let retry_after = match state {
            State::Open => Some(self.open_for().unwrap_or(Duration::ZERO)),
            State::HalfOpen => Some(PROBING_RETRY_AFTER),
            _ => None,
        };
        Rejection { state, retry_after }
    }
}

//! Recording outcomes, and judging the rates they add up to.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::admit::{Ticket, TicketKind};
use super::{Breaker, Core};
use crate::classify::Outcome;
use crate::state::State;
use crate::window::{Sample, Tally};

impl Breaker {
    /// The slow-call duration, when slow-call detection is on.
    pub(crate) fn slow_call_duration(&self) -> Option<Duration> {
        self.rules.slow_call
    }

    /// How long a call started at `started` (a [`Ticket`]'s precise reading) has run.
    pub(crate) fn elapsed_since(&self, started: u64) -> Duration {
        Duration::from_nanos(self.clock.now().saturating_sub(started))
    }

    /// Records the outcome of a call let through with `ticket`; may open or close the breaker.
    pub(crate) fn record(&self, ticket: Ticket, outcome: Outcome, slow: bool) {
        if ticket.kind == TicketKind::Untracked {
            return;
        }
        self.signals.call(outcome, slow);
        let sample = Sample {
            failed: outcome == Outcome::Failure,
            slow,
        };
        let fast_success = outcome == Outcome::Success && !slow;
        if ticket.kind == TicketKind::Window
            && (outcome == Outcome::Ignored
                || (fast_success && self.all_successes.load(Ordering::Acquire)))
        {
            return;
        }
        let now = self.window_time();
        let mut core = self.core.lock();
        if core.cycle != ticket.cycle {
            return;
        }
        let to = match (ticket.kind, outcome) {
            (TicketKind::Probe, Outcome::Ignored) => {
                core.reserved -= 1;
                None
            }
            (TicketKind::Window, Outcome::Ignored) | (TicketKind::Untracked, _) => None,
            (TicketKind::Window, _) => {
                let tally = core.window.record(sample, now);
                let all_successes =
                    core.window.is_full_count(tally) && tally.failures == 0 && tally.slow == 0;
                self.all_successes.store(all_successes, Ordering::Release);
                self.trips(core.state, tally).then_some(State::Open)
            }
            (TicketKind::Probe, _) => self.judge_probes(&mut core, sample),
        };
        let Some(to) = to else { return };
        let transition = self.transition(&mut core, to);
        drop(core);
        self.signals.transition(&transition);
    }

    /// Whether a closed breaker's window calls for opening.
    fn trips(&self, state: State, tally: Tally) -> bool {
        state == State::Closed
            && tally.calls >= self.rules.minimum_calls
            && self.over_threshold(tally)
    }

    fn over_threshold(&self, tally: Tally) -> bool {
        tally.reaches(tally.failures, self.rules.failure_rate)
            || (self.rules.slow_call.is_some() && tally.reaches(tally.slow, self.rules.slow_rate))
    }

    /// Adds a probe's outcome; the probes' rates are judged over all of them, so the breaker
    /// re-opens as soon as the failures (or slow calls) among them reach a threshold whatever
    /// the rest do, and closes once every probe is done below both.
    fn judge_probes(&self, core: &mut Core, sample: Sample) -> Option<State> {
        core.probed.add(sample);
        let all = Tally {
            calls: self.rules.probes,
            ..core.probed
        };
        if self.over_threshold(all) {
            Some(State::Open)
        } else if core.probed.calls == self.rules.probes {
            Some(State::Closed)
        } else {
            None
        }
    }
}

//! The state machine against a model: random outcomes, probes, time steps and forced states.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;

use super::admit::TicketKind;
use super::*;
use crate::classify::Outcome;
use crate::config::WindowConfig;
use crate::listener::Listener;

const WINDOW: usize = 5;
const MINIMUM: usize = 3;
const PROBES: u32 = 2;
const WAIT_MS: u64 = 1_000;

#[derive(Debug, Clone, Default)]
struct HandClock(Arc<AtomicU64>);

impl Clock for HandClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(State, State)>>>);

impl Listener for Log {
    fn on_transition(&self, transition: &Transition) {
        self.0
            .lock()
            .unwrap()
            .push((transition.from, transition.to));
    }
}

fn breaker(clock: HandClock, log: Log) -> Breaker {
    let config = CircuitBreakerConfig {
        name: "model".into(),
        window: WindowConfig::Count {
            size: WINDOW as u32,
        },
        minimum_calls: MINIMUM as u32,
        failure_rate_threshold: 50.0,
        slow_call_duration: Some(Duration::from_millis(100)),
        slow_call_rate_threshold: 60.0,
        wait: WaitConfig::Fixed {
            duration: Duration::from_millis(WAIT_MS),
        },
        half_open_probes: PROBES,
    };
    config.validate().unwrap();
    let name: Arc<str> = "model".into();
    Breaker::new(&config, Box::new(clock), Signals::new(name, Box::new(log)))
}

/// The breaker as a reader of its documentation would expect it to behave.
#[derive(Debug)]
struct Model {
    state: State,
    epoch: u64,
    window: VecDeque<(bool, bool)>,
    open_until: u64,
    reserved: u32,
    probed: Vec<(bool, bool)>,
    transitions: Vec<(State, State)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expected {
    Window(u64),
    Probe(u64),
    Untracked,
    Rejected,
}

impl Model {
    fn over(samples: &[(bool, bool)], calls: usize) -> bool {
        let failures = samples.iter().filter(|s| s.0).count();
        let slow = samples.iter().filter(|s| s.1).count();
        failures * 100 >= 50 * calls || slow * 100 >= 60 * calls
    }

    fn go(&mut self, to: State, now: u64) {
        assert!(self.state.can_transition_to(to));
        self.transitions.push((self.state, to));
        self.state = to;
        self.epoch += 1;
        match to {
            State::Open => self.open_until = now + WAIT_MS * 1_000_000,
            State::HalfOpen => {
                self.reserved = 0;
                self.probed.clear();
            }
            State::Closed | State::MetricsOnly | State::Disabled => self.window.clear(),
            State::ForcedOpen => {}
        }
    }

    /// An open breaker whose wait is over is half-open to anyone who looks.
    fn look(&mut self, now: u64) -> State {
        if self.state == State::Open && now >= self.open_until {
            self.go(State::HalfOpen, now);
        }
        self.state
    }

    fn start(&mut self, now: u64) -> Expected {
        self.look(now);
        match self.state {
            State::Closed | State::MetricsOnly => Expected::Window(self.epoch),
            State::Disabled => Expected::Untracked,
            State::HalfOpen if self.reserved < PROBES => {
                self.reserved += 1;
                Expected::Probe(self.epoch)
            }
            _ => Expected::Rejected,
        }
    }

    fn finish(&mut self, ticket: Expected, outcome: Outcome, slow: bool, now: u64) {
        let sample = (outcome == Outcome::Failure, slow);
        match ticket {
            Expected::Window(epoch) if epoch == self.epoch && outcome != Outcome::Ignored => {
                self.window.push_back(sample);
                if self.window.len() > WINDOW {
                    self.window.pop_front();
                }
                let samples: Vec<_> = self.window.iter().copied().collect();
                if self.state == State::Closed
                    && samples.len() >= MINIMUM
                    && Self::over(&samples, samples.len())
                {
                    self.go(State::Open, now);
                }
            }
            Expected::Probe(epoch) if epoch == self.epoch => {
                if outcome == Outcome::Ignored {
                    self.reserved -= 1;
                    return;
                }
                self.probed.push(sample);
                if Self::over(&self.probed, PROBES as usize) {
                    self.go(State::Open, now);
                } else if self.probed.len() == PROBES as usize {
                    self.go(State::Closed, now);
                }
            }
            _ => {}
        }
    }

    fn abandon(&mut self, ticket: Expected) {
        if ticket == Expected::Probe(self.epoch) {
            self.reserved -= 1;
        }
    }

    fn force(&mut self, to: State, now: u64) {
        if self.state == to {
            if to == State::Closed {
                self.window.clear();
            }
        } else {
            self.go(to, now);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Start,
    Finish(usize, Outcome, bool),
    Abandon(usize),
    Advance(u64),
    Force(State),
    Look,
}

fn op() -> impl Strategy<Value = Op> {
    let outcome = prop_oneof![
        Just(Outcome::Success),
        Just(Outcome::Failure),
        Just(Outcome::Ignored)
    ];
    let forced = prop_oneof![
        Just(State::Closed),
        Just(State::ForcedOpen),
        Just(State::Disabled),
        Just(State::MetricsOnly),
    ];
    prop_oneof![
        6 => Just(Op::Start),
        6 => (any::<usize>(), outcome, any::<bool>()).prop_map(|(i, o, s)| Op::Finish(i, o, s)),
        1 => any::<usize>().prop_map(Op::Abandon),
        2 => (0..1_500u64).prop_map(Op::Advance),
        1 => forced.prop_map(Op::Force),
        1 => Just(Op::Look),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_breaker_follows_its_model(ops in proptest::collection::vec(op(), 1..200)) {
        let clock = HandClock::default();
        let log = Log::default();
        let breaker = breaker(clock.clone(), log.clone());
        let mut model = Model {
            state: State::Closed,
            epoch: 0,
            window: VecDeque::new(),
            open_until: 0,
            reserved: 0,
            probed: Vec::new(),
            transitions: Vec::new(),
        };
        let mut in_flight: Vec<(Ticket, Expected)> = Vec::new();
        for op in ops {
            let now = clock.now();
            match op {
                Op::Start => {
                    let expected = model.start(now);
                    match (breaker.admit(breaker.acquire()), expected) {
                        (Err(_), Expected::Rejected) => {}
                        (Ok(ticket), expected) => {
                            let kind = match expected {
                                Expected::Window(_) => TicketKind::Window,
                                Expected::Probe(_) => TicketKind::Probe,
                                Expected::Untracked => TicketKind::Untracked,
                                Expected::Rejected => panic!("admitted, model rejects"),
                            };
                            prop_assert_eq!(ticket.kind, kind);
                            in_flight.push((ticket, expected));
                        }
                        (Err(rejection), expected) => {
                            prop_assert!(false, "rejected ({:?}), model expects {:?}", rejection, expected);
                        }
                    }
                }
                Op::Finish(i, outcome, slow) if !in_flight.is_empty() => {
                    let (ticket, expected) = in_flight.swap_remove(i % in_flight.len());
                    breaker.record(ticket, outcome, slow);
                    model.finish(expected, outcome, slow, now);
                }
                Op::Abandon(i) if !in_flight.is_empty() => {
                    let (ticket, expected) = in_flight.swap_remove(i % in_flight.len());
                    breaker.cancel(ticket);
                    model.abandon(expected);
                }
                Op::Finish(..) | Op::Abandon(_) => {}
                Op::Advance(ms) => {
                    clock.0.fetch_add(ms * 1_000_000, Ordering::SeqCst);
                }
                Op::Force(to) => {
                    breaker.force(to);
                    model.force(to, now);
                }
                Op::Look => {
                    prop_assert_eq!(breaker.current_state(), model.look(now));
                }
            }
            prop_assert_eq!(breaker.state(), model.state);
            if matches!(model.state, State::Closed | State::MetricsOnly) {
                let expected = Tally {
                    calls: model.window.len() as u32,
                    failures: model.window.iter().filter(|s| s.0).count() as u32,
                    slow: model.window.iter().filter(|s| s.1).count() as u32,
                };
                prop_assert_eq!(breaker.tally(), expected);
            }
            let core = breaker.core.lock();
            prop_assert!(core.reserved <= PROBES, "over-admitted: {}", core.reserved);
            if core.state == State::HalfOpen {
                prop_assert_eq!(core.reserved, model.reserved);
            }
        }
        let seen = log.0.lock().unwrap().clone();
        for (from, to) in &seen {
            prop_assert!(from.can_transition_to(*to), "illegal {} -> {}", from, to);
        }
        prop_assert_eq!(seen, model.transitions);
    }
}

#[test]
fn stale_outcomes_of_an_earlier_cycle_are_dropped() {
    let clock = HandClock::default();
    let breaker = breaker(clock.clone(), Log::default());
    let stale = breaker.admit(breaker.acquire()).unwrap();
    breaker.force(State::ForcedOpen);
    breaker.force(State::Closed);
    breaker.record(stale, Outcome::Failure, false);
    assert_eq!(breaker.tally().calls, 0);
}

#[test]
fn successes_skipped_in_a_healthy_full_window_leave_it_exact() {
    let breaker = breaker(HandClock::default(), Log::default());
    let call = |outcome, slow| {
        let ticket = breaker.admit(breaker.acquire()).unwrap();
        breaker.record(ticket, outcome, slow);
    };
    for _ in 0..WINDOW + 3 {
        call(Outcome::Success, false);
    }
    assert!(breaker.all_successes.load(Ordering::Acquire));
    call(Outcome::Success, true);
    assert!(!breaker.all_successes.load(Ordering::Acquire));
    call(Outcome::Failure, false);
    let tally = breaker.tally();
    assert_eq!(
        (tally.calls, tally.failures, tally.slow),
        (WINDOW as u32, 1, 1)
    );
}

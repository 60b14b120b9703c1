//! The states of a breaker and the transitions allowed between them.

use std::fmt;

/// The state of a circuit breaker.
///
/// `Closed`, `Open` and `HalfOpen` are driven by the calls' outcomes; `ForcedOpen`, `Disabled`
/// and `MetricsOnly` are entered only from outside, through a
/// [`BreakerHandle`](crate::BreakerHandle), and left the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// Calls pass through; their outcomes fill the sliding window.
    Closed = 0,
    /// Calls are rejected at once until the wait is over.
    Open = 1,
    /// A fixed number of probe calls pass; their outcomes close or re-open the breaker.
    HalfOpen = 2,
    /// Every call is rejected until the state is changed from outside.
    ForcedOpen = 3,
    /// Every call passes and nothing is recorded.
    Disabled = 4,
    /// Every call passes; outcomes are recorded and reported but never trip the breaker.
    MetricsOnly = 5,
}

impl State {
    const ALL: [State; 6] = [
        State::Closed,
        State::Open,
        State::HalfOpen,
        State::ForcedOpen,
        State::Disabled,
        State::MetricsOnly,
    ];

    /// The state's name, as it appears in events and metrics (`"half_open"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
            State::ForcedOpen => "forced_open",
            State::Disabled => "disabled",
            State::MetricsOnly => "metrics_only",
        }
    }

    /// Whether calls are rejected in this state without reaching the inner service.
    pub const fn rejects(self) -> bool {
        matches!(self, State::Open | State::ForcedOpen)
    }

    /// Whether the breaker may move from `self` to `to`.
    ///
    /// Outcomes move `Closed -> Open -> HalfOpen -> Closed | Open`; from outside, any state may
    /// be forced into `ForcedOpen`, `Disabled`, `MetricsOnly` or `Closed`. Nothing else is legal,
    /// and no state transitions to itself.
    pub const fn can_transition_to(self, to: State) -> bool {
        match (self, to) {
            (State::Closed, State::Open)
            | (State::Open, State::HalfOpen)
            | (State::HalfOpen, State::Closed | State::Open) => true,
            (from, State::ForcedOpen | State::Disabled | State::MetricsOnly | State::Closed) => {
                from as u8 != to as u8
            }
            _ => false,
        }
    }

    pub(crate) const fn from_u8(code: u8) -> State {
        Self::ALL[code as usize]
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;
    use super::*;

    #[test]
    fn outcome_driven_transitions_follow_the_cycle() {
        assert!(Closed.can_transition_to(Open));
        assert!(Open.can_transition_to(HalfOpen));
        assert!(HalfOpen.can_transition_to(Closed));
        assert!(HalfOpen.can_transition_to(Open));
        assert!(!Closed.can_transition_to(HalfOpen));
        assert!(!ForcedOpen.can_transition_to(HalfOpen));
        assert!(!Disabled.can_transition_to(Open));
        assert!(!MetricsOnly.can_transition_to(Open));
    }

    #[test]
    fn no_state_transitions_to_itself() {
        for state in State::ALL {
            assert!(!state.can_transition_to(state), "{state}");
            assert_eq!(State::from_u8(state as u8), state);
        }
    }

    #[test]
    fn forced_states_are_reachable_from_everywhere_else() {
        for from in State::ALL {
            for to in [ForcedOpen, Disabled, MetricsOnly, Closed] {
                assert_eq!(from.can_transition_to(to), from != to, "{from} -> {to}");
            }
        }
    }
}

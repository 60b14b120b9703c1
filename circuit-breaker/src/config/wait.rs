//! How long an open breaker waits before probing: fixed, or growing with each re-opening.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The open state's wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WaitConfig {
    /// The same wait every time.
    Fixed {
        /// The wait, e.g. `"30s"`.
        #[serde(with = "humantime_serde")]
        duration: Duration,
    },
    /// `initial`, then multiplied by `multiplier` each time the breaker re-opens without having
    /// closed in between, up to `max`.
    Exponential {
        /// The first wait.
        #[serde(with = "humantime_serde")]
        initial: Duration,
        /// The growth factor, at least 1.
        multiplier: f64,
        /// The longest wait.
        #[serde(with = "humantime_serde")]
        max: Duration,
    },
}

impl Default for WaitConfig {
    fn default() -> Self {
        WaitConfig::Fixed {
            duration: Duration::from_secs(30),
        }
    }
}

impl WaitConfig {
    /// The wait after the `openings`-th opening in a row (the first is 1).
    pub fn wait(&self, openings: u32) -> Duration {
        match *self {
            WaitConfig::Fixed { duration } => duration,
            WaitConfig::Exponential {
                initial,
                multiplier,
                max,
            } => {
                let exponent = openings.saturating_sub(1).min(1_000) as i32;
                let seconds = initial.as_secs_f64() * multiplier.powi(exponent);
                Duration::try_from_secs_f64(seconds).map_or(max, |wait| wait.min(max))
            }
        }
    }

    pub(crate) fn validate(&self, breaker: &str) -> Result<(), ConfigError> {
        let fail = |field, reason: &str| Err(ConfigError::new(breaker, field, reason));
        match *self {
            WaitConfig::Fixed { duration } if duration.is_zero() => {
                fail("wait.duration", "must be positive")
            }
            WaitConfig::Exponential { initial, .. } if initial.is_zero() => {
                fail("wait.initial", "must be positive")
            }
            WaitConfig::Exponential { multiplier, .. }
                if !(multiplier.is_finite() && multiplier >= 1.0) =>
            {
                fail("wait.multiplier", "must be a finite number of at least 1")
            }
            WaitConfig::Exponential { initial, max, .. } if max < initial => {
                fail("wait.max", "must be at least `wait.initial`")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_wait_grows_and_caps() {
        let wait = WaitConfig::Exponential {
            initial: Duration::from_secs(1),
            multiplier: 2.0,
            max: Duration::from_secs(5),
        };
        let waits: Vec<u64> = (1..=5).map(|n| wait.wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        assert_eq!(wait.wait(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn bad_waits_name_their_field() {
        let wait = WaitConfig::Exponential {
            initial: Duration::from_secs(2),
            multiplier: 0.5,
            max: Duration::from_secs(5),
        };
        assert_eq!(wait.validate("b").unwrap_err().field(), "wait.multiplier");
    }
}

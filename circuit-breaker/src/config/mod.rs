//! The breaker's configuration: a serde document, validated when the layer is built.

mod wait;
mod window;

use serde::{Deserialize, Serialize};
use std::time::Duration;

pub use wait::WaitConfig;
pub use window::WindowConfig;

/// Everything a breaker needs to know, as it appears in a configuration file.
///
/// Durations are written like `"30s"` or `"250ms"`; rates are percentages in `(0, 100]`.
///
/// ```
/// use circuit_breaker::CircuitBreakerConfig;
///
/// let config: CircuitBreakerConfig = serde_json::from_str(r#"{
///     "name": "payments-api",
///     "window": { "kind": "time", "length": "60s", "buckets": 12 },
///     "minimum_calls": 20,
///     "failure_rate_threshold": 50.0,
///     "slow_call_duration": "2s",
///     "wait": { "kind": "exponential", "initial": "5s", "multiplier": 2.0, "max": "5m" }
/// }"#).unwrap();
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitBreakerConfig {
    /// The dependency this breaker guards: the `breaker` label of its metrics and the `source`
    /// of its incident events.
    pub name: String,
    /// The sliding window the failure and slow-call rates are computed over.
    pub window: WindowConfig,
    /// Calls the window must hold before any rate is judged (at most a count window's size).
    pub minimum_calls: u32,
    /// The failure rate, in percent, at or above which the breaker opens.
    pub failure_rate_threshold: f64,
    /// A call lasting at least this long is slow; absent, slow-call detection is off and calls
    /// are not timed.
    #[serde(with = "humantime_serde")]
    pub slow_call_duration: Option<Duration>,
    /// The slow-call rate, in percent, at or above which the breaker opens.
    pub slow_call_rate_threshold: f64,
    /// How long the breaker stays open before it lets probes through.
    pub wait: WaitConfig,
    /// Probe calls admitted in the half-open state.
    pub half_open_probes: u32,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            name: "default".to_owned(),
            window: WindowConfig::default(),
            minimum_calls: 100,
            failure_rate_threshold: 50.0,
            slow_call_duration: None,
            slow_call_rate_threshold: 100.0,
            wait: WaitConfig::default(),
            half_open_probes: 10,
        }
    }
}

/// A configuration value that cannot work, named by its field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("circuit breaker `{breaker}`: invalid `{field}`: {reason}")]
pub struct ConfigError {
    breaker: String,
    field: &'static str,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(breaker: &str, field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            breaker: breaker.to_owned(),
            field,
            reason: reason.into(),
        }
    }

    /// The offending field, as a dotted path (`"window.size"`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The largest window and probe count accepted: beyond this, a typo rather than a design.
pub(crate) const MAX_CALLS: u32 = 1_000_000;

impl CircuitBreakerConfig {
    /// Checks every field; the layer's builder calls it, so a bad document never runs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field, reason: &str| Err(ConfigError::new(&self.name, field, reason));
        if self.name.trim().is_empty() {
            return fail("name", "must not be empty");
        }
        self.window.validate(&self.name)?;
        if self.minimum_calls == 0 || self.minimum_calls > MAX_CALLS {
            return fail("minimum_calls", "must be between 1 and 1000000");
        }
        if let WindowConfig::Count { size } = self.window
            && self.minimum_calls > size
        {
            return fail(
                "minimum_calls",
                &format!(
                    "must be at most the window's size ({size}): the window never holds more, \
                     so the breaker could never open"
                ),
            );
        }
        for (field, rate) in [
            ("failure_rate_threshold", self.failure_rate_threshold),
            ("slow_call_rate_threshold", self.slow_call_rate_threshold),
        ] {
            if !(rate > 0.0 && rate <= 100.0) {
                return fail(field, "must be a percentage in (0, 100]");
            }
        }
        if self.slow_call_duration == Some(Duration::ZERO) {
            return fail(
                "slow_call_duration",
                "must be positive, or absent to turn it off",
            );
        }
        self.wait.validate(&self.name)?;
        if self.half_open_probes == 0 || self.half_open_probes > MAX_CALLS {
            return fail("half_open_probes", "must be between 1 and 1000000");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_round_trips() {
        let config = CircuitBreakerConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        let back: CircuitBreakerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn errors_name_the_field() {
        type Breakage = fn(&mut CircuitBreakerConfig);
        let cases: [(&str, Breakage); 5] = [
            ("name", |c| c.name.clear()),
            ("minimum_calls", |c| c.minimum_calls = 0),
            ("failure_rate_threshold", |c| c.failure_rate_threshold = 0.0),
            ("slow_call_rate_threshold", |c| {
                c.slow_call_rate_threshold = f64::NAN
            }),
            ("half_open_probes", |c| c.half_open_probes = 0),
        ];
        for (field, break_it) in cases {
            let mut config = CircuitBreakerConfig::default();
            break_it(&mut config);
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field));
        }
    }

    #[test]
    fn a_minimum_the_count_window_cannot_hold_is_rejected() {
        let config = CircuitBreakerConfig {
            window: WindowConfig::Count { size: 10 },
            minimum_calls: 11,
            ..CircuitBreakerConfig::default()
        };
        let error = config.validate().unwrap_err();
        assert_eq!(error.field(), "minimum_calls");
        assert!(error.reason().contains("(10)"), "{error}");
        CircuitBreakerConfig {
            minimum_calls: 10,
            ..config
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = serde_json::from_str::<CircuitBreakerConfig>(r#"{"treshold": 5}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("treshold"), "{error}");
    }
}

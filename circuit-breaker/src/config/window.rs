//! Which sliding window, and how big.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, MAX_CALLS};
use crate::window::Window;

/// The sliding window the rates are computed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WindowConfig {
    /// The last `size` calls.
    Count {
        /// Calls kept.
        size: u32,
    },
    /// The calls of the last `length`, kept in `buckets` buckets (a bucket leaves the window
    /// whole, so the window's edge moves in steps of `length / buckets`).
    Time {
        /// How far back the window reaches, e.g. `"60s"`.
        #[serde(with = "humantime_serde")]
        length: Duration,
        /// Buckets the length is divided into.
        buckets: u32,
    },
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig::Count { size: 100 }
    }
}

/// The finest bucket accepted: the coarse clock ticks every few milliseconds.
const MIN_BUCKET: Duration = Duration::from_millis(10);

impl WindowConfig {
    pub(crate) fn validate(&self, breaker: &str) -> Result<(), ConfigError> {
        match *self {
            WindowConfig::Count { size } if size == 0 || size > MAX_CALLS => Err(ConfigError::new(
                breaker,
                "window.size",
                "must be between 1 and 1000000",
            )),
            WindowConfig::Time { buckets, .. } if buckets == 0 || buckets > 10_000 => Err(
                ConfigError::new(breaker, "window.buckets", "must be between 1 and 10000"),
            ),
            WindowConfig::Time { length, buckets } if length / buckets < MIN_BUCKET => {
                Err(ConfigError::new(
                    breaker,
                    "window.length",
                    format!("divided into {buckets} buckets, each must last at least 10ms"),
                ))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn build(&self) -> Window {
        match *self {
            WindowConfig::Count { size } => Window::count(size),
            WindowConfig::Time { length, buckets } => Window::time(length, buckets),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_by_kind() {
        let count: WindowConfig = serde_json::from_str(r#"{"kind":"count","size":10}"#).unwrap();
        assert_eq!(count, WindowConfig::Count { size: 10 });
        let time: WindowConfig =
            serde_json::from_str(r#"{"kind":"time","length":"1m","buckets":6}"#).unwrap();
        assert_eq!(
            time,
            WindowConfig::Time {
                length: Duration::from_secs(60),
                buckets: 6
            }
        );
    }

    #[test]
    fn too_fine_buckets_are_rejected() {
        let window = WindowConfig::Time {
            length: Duration::from_millis(50),
            buckets: 10,
        };
        assert_eq!(window.validate("b").unwrap_err().field(), "window.length");
        let empty = WindowConfig::Count { size: 0 };
        assert_eq!(empty.validate("b").unwrap_err().field(), "window.size");
    }
}

//! Validation of an [`IdempotencyConfig`] into the settings the service runs on.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, Method};

use crate::config::{IdempotencyConfig, InFlightMode, OversizedResponse, StoreFailure};
use crate::error::ConfigError;
use crate::fingerprint::FingerprintRules;
use crate::key::KeyRules;
use crate::policy::KeepPolicy;
use crate::replay::ReplayRules;

/// A duplicate in flight, once validated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum InFlightPolicy {
    Reject {
        retry_after: Duration,
    },
    Wait {
        max_wait: Duration,
        poll_interval: Duration,
        retry_after: Duration,
    },
}

impl InFlightPolicy {
    /// The `Retry-After` of a 409.
    pub(crate) fn retry_after(&self) -> Duration {
        match *self {
            InFlightPolicy::Reject { retry_after } | InFlightPolicy::Wait { retry_after, .. } => {
                retry_after
            }
        }
    }
}

/// The validated configuration the service runs on.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) key: KeyRules,
    pub(crate) require_key: bool,
    pub(crate) methods: Vec<Method>,
    pub(crate) key_prefix: Bytes,
    pub(crate) fingerprint: FingerprintRules,
    pub(crate) lease: Duration,
    pub(crate) renew_interval: Duration,
    pub(crate) retention: Duration,
    pub(crate) in_flight: InFlightPolicy,
    pub(crate) max_request_body: u64,
    pub(crate) max_response_body: u64,
    pub(crate) oversized_response: OversizedResponse,
    pub(crate) body_budget: u64,
    pub(crate) fail_open: bool,
    pub(crate) replay: ReplayRules,
    pub(crate) keep: KeepPolicy,
}

impl IdempotencyConfig {
    /// Checks every field, naming the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.settings().map(drop)
    }

    pub(crate) fn settings(&self) -> Result<Settings, ConfigError> {
        let header = header_name("header", &self.header)?;
        if self.max_key_length == 0 {
            return Err(ConfigError::new("max_key_length", "must be at least 1"));
        }
        if self.methods.is_empty() {
            return Err(ConfigError::new("methods", "must name at least one method"));
        }
        let methods = self
            .methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| ConfigError::new("methods", format!("`{m}` is not a method")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fingerprint_headers = self
            .fingerprint
            .headers
            .iter()
            .map(|h| header_name("fingerprint.headers", h))
            .collect::<Result<Vec<_>, _>>()?;
        positive("lease", self.lease)?;
        positive("retention", self.retention)?;
        positive("renew_interval", self.renew_interval)?;
        if self.renew_interval >= self.lease {
            return Err(ConfigError::new(
                "renew_interval",
                format!("must be shorter than the lease ({:?})", self.lease),
            ));
        }
        let in_flight = self.in_flight_policy()?;
        let max_response_body = self.max_response_body.as_u64();
        if max_response_body > u64::from(u32::MAX) {
            return Err(ConfigError::new("max_response_body", "must be below 4 GiB"));
        }
        let body_budget = self.body_budget.as_u64();
        for (field, size) in [
            ("max_request_body", self.max_request_body.as_u64()),
            ("max_response_body", max_response_body),
        ] {
            if size > body_budget {
                return Err(ConfigError::new(
                    field,
                    format!("must not exceed body_budget ({})", self.body_budget),
                ));
            }
        }
        if self.local_cache.capacity > 0 {
            positive("local_cache.ttl", self.local_cache.ttl)?;
            if self.local_cache.ttl > self.retention {
                return Err(ConfigError::new(
                    "local_cache.ttl",
                    "must not exceed the retention",
                ));
            }
        }
        Ok(Settings {
            key: KeyRules {
                header,
                accept_bare_token: self.accept_bare_token,
                max_length: self.max_key_length,
            },
            require_key: self.require_key,
            methods,
            key_prefix: Bytes::copy_from_slice(self.key_prefix.as_bytes()),
            fingerprint: FingerprintRules {
                include_query: self.fingerprint.include_query,
                headers: fingerprint_headers,
            },
            lease: self.lease,
            renew_interval: self.renew_interval,
            retention: self.retention,
            in_flight,
            max_request_body: self.max_request_body.as_u64(),
            max_response_body,
            oversized_response: self.oversized_response,
            body_budget,
            fail_open: self.on_store_failure == StoreFailure::FailOpen,
            replay: ReplayRules::new(&self.replay)?,
            keep: KeepPolicy::new(&self.keep)?,
        })
    }

    fn in_flight_policy(&self) -> Result<InFlightPolicy, ConfigError> {
        let config = &self.in_flight;
        Ok(match config.mode {
            InFlightMode::Reject => InFlightPolicy::Reject {
                retry_after: config.retry_after,
            },
            InFlightMode::Wait => {
                positive("in_flight.poll_interval", config.poll_interval)?;
                if config.max_wait < config.poll_interval {
                    return Err(ConfigError::new(
                        "in_flight.max_wait",
                        "must be at least one poll_interval",
                    ));
                }
                InFlightPolicy::Wait {
                    max_wait: config.max_wait,
                    poll_interval: config.poll_interval,
                    retry_after: config.retry_after,
                }
            }
        })
    }
}

pub(crate) fn header_name(field: &'static str, name: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| ConfigError::new(field, format!("`{name}` is not a header name")))
}

fn positive(field: &'static str, duration: Duration) -> Result<(), ConfigError> {
    if duration.is_zero() {
        return Err(ConfigError::new(field, "must be longer than zero"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::*;
    use bytesize::ByteSize;

    #[test]
    fn errors_name_the_field() {
        let cases: Vec<(IdempotencyConfig, &str)> = vec![
            (
                IdempotencyConfig {
                    header: "bad header".into(),
                    ..Default::default()
                },
                "header",
            ),
            (
                IdempotencyConfig {
                    methods: vec!["P O".into()],
                    ..Default::default()
                },
                "methods",
            ),
            (
                IdempotencyConfig {
                    max_key_length: 0,
                    ..Default::default()
                },
                "max_key_length",
            ),
            (
                IdempotencyConfig {
                    renew_interval: Duration::from_secs(90),
                    ..Default::default()
                },
                "renew_interval",
            ),
            (
                IdempotencyConfig {
                    lease: Duration::ZERO,
                    ..Default::default()
                },
                "lease",
            ),
            (
                IdempotencyConfig {
                    max_request_body: ByteSize::gib(1),
                    ..Default::default()
                },
                "max_request_body",
            ),
            (
                IdempotencyConfig {
                    replay: ReplayConfig {
                        headers: vec!["set-cookie".into()],
                        ..Default::default()
                    },
                    ..Default::default()
                },
                "replay.headers",
            ),
            (
                IdempotencyConfig {
                    keep: KeepConfig {
                        statuses: vec!["200-700".into()],
                        ..Default::default()
                    },
                    ..Default::default()
                },
                "keep.statuses",
            ),
            (
                IdempotencyConfig {
                    in_flight: InFlightConfig {
                        mode: InFlightMode::Wait,
                        poll_interval: Duration::ZERO,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                "in_flight.poll_interval",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(config.validate().unwrap_err().field(), field);
        }
    }
}

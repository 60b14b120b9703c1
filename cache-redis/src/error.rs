//! Errors of connecting, and how the client's failures become [`StoreError`]s.

use std::time::Duration;

use cache_core::StoreError;
use redis::{RedisError, ServerErrorKind};

/// The name every `StoreError::Unavailable` of this crate carries.
pub(crate) const BACKEND: &str = "redis";

/// A configuration field that is wrong. It never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Redis configuration, field `{field}`: {reason}")]
pub struct ConfigError {
    field: &'static str,
    reason: String,
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The name of the field that is wrong.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Why [`RedisStore::connect`](crate::RedisStore::connect) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The server could not be reached, refused the credentials, or did not answer in time.
    #[error("could not connect to Redis at {address}: {source}")]
    Unreachable {
        /// Host and port (or socket path) of the server; never credentials.
        address: String,
        /// The client's error.
        #[source]
        source: RedisError,
    },
    /// The server is older than the commands this store sends need.
    #[error(
        "Redis {found} at {address} is too old: `SET … NX GET` needs Redis {required} or newer"
    )]
    ServerTooOld {
        /// Host and port of the server.
        address: String,
        /// The version the server reported.
        found: String,
        /// The oldest version that works.
        required: &'static str,
    },
}

/// An operation that did not finish within the configured `command_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("Redis did not answer `{op}` within {after:?}")]
pub(crate) struct CommandTimedOut {
    pub(crate) op: &'static str,
    pub(crate) after: Duration,
}

/// Maps a client error to the `Store` vocabulary: a full server (`OOM` under `noeviction`) is
/// [`StoreError::CapacityExceeded`], a read-only replica is [`StoreError::ReadOnly`], and every
/// other failure (refused, reset, timed out, loading, cluster down…) is
/// [`StoreError::Unavailable`].
pub(crate) fn store_error(err: RedisError, maxmemory: u64) -> StoreError {
    if err.code() == Some("OOM") {
        return StoreError::CapacityExceeded {
            capacity: maxmemory,
        };
    }
    if err.kind() == redis::ErrorKind::Server(ServerErrorKind::ReadOnly) {
        return StoreError::ReadOnly {
            reason: err.to_string(),
        };
    }
    StoreError::unavailable(BACKEND, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_failures_are_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = store_error(RedisError::from(refused), 0);
        assert!(matches!(
            err,
            StoreError::Unavailable {
                backend: "redis",
                ..
            }
        ));
    }

    #[test]
    fn config_errors_name_the_field() {
        let err = ConfigError::invalid("command_timeout", "must be longer than zero");
        assert_eq!(err.field(), "command_timeout");
        assert_eq!(
            err.to_string(),
            "invalid Redis configuration, field `command_timeout`: must be longer than zero"
        );
    }
}

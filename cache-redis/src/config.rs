//! The serde configuration of a [`RedisStore`](crate::RedisStore), validated when the store
//! connects.

use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::key::KeyLayout;
use crate::url::RedisUrl;

/// Where the Redis server is and how to talk to it.
///
/// The password is kept apart from the URL, as a [`SecretString`]: it never appears in `Debug`,
/// logs or errors, and it is never serialized. A URL carrying a password is rejected; use
/// [`RedisConfig::from_url`] to split one (from a `REDIS_URL` variable, say).
///
/// ```
/// use cache_redis::RedisConfig;
///
/// let config: RedisConfig = serde_json::from_str(r#"{
///     "url": "redis://cache.internal:6379/2",
///     "key_prefix": "orders:",
///     "command_timeout": "500ms"
/// }"#).unwrap();
/// assert_eq!(config.command_timeout, std::time::Duration::from_millis(500));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://[user@]host[:port][/db]`, `rediss://…` (feature `tls`) or
    /// `redis+unix:///path/to/socket[?db=N]`.
    pub url: RedisUrl,
    /// The server at `url` is a node of a Redis Cluster (feature `cluster`): the store discovers
    /// the other nodes from it and sends each key to the node that owns its slot.
    pub cluster: bool,
    /// A PEM file of the certificate authorities to trust for `rediss://` (feature `tls`),
    /// instead of the system's.
    pub tls_ca_file: Option<PathBuf>,
    /// The password (`AUTH`), kept out of the URL; never serialized.
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// Prepended to every key: the namespace of this application's records. No `{` or `}`.
    pub key_prefix: String,
    /// How long one attempt to open a connection may take.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// How long one operation may take, including a wait for a reconnection, before it fails
    /// with `StoreError::Unavailable`.
    #[serde(with = "humantime_serde")]
    pub command_timeout: Duration,
    /// The first delay between reconnection attempts; it doubles up to `reconnect_max_delay`.
    #[serde(with = "humantime_serde")]
    pub reconnect_min_delay: Duration,
    /// The longest delay between two reconnection attempts.
    #[serde(with = "humantime_serde")]
    pub reconnect_max_delay: Duration,
    /// The longest key accepted (before the prefix is added).
    pub max_key_size: ByteSize,
    /// The longest value accepted.
    pub max_value_size: ByteSize,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: RedisUrl::default(),
            cluster: false,
            tls_ca_file: None,
            password: None,
            key_prefix: "resync:".to_owned(),
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(1),
            reconnect_min_delay: Duration::from_millis(50),
            reconnect_max_delay: Duration::from_secs(2),
            max_key_size: ByteSize::kib(4),
            max_value_size: ByteSize::mib(16),
        }
    }
}

impl RedisConfig {
    /// The default configuration pointed at `url`, whose password, if any, moves into
    /// [`RedisConfig::password`].
    ///
    /// ```
    /// use secrecy::ExposeSecret;
    ///
    /// let config = cache_redis::RedisConfig::from_url("redis://app:s3cret@10.0.0.7:6380/1")?;
    /// assert_eq!(config.url.as_str(), "redis://app@10.0.0.7:6380/1");
    /// assert_eq!(config.password.as_ref().unwrap().expose_secret(), "s3cret");
    /// assert!(!format!("{config:?}").contains("s3cret"));
    /// # Ok::<(), cache_redis::ConfigError>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let (url, password) = RedisUrl::split_password(url)?;
        Ok(Self {
            url,
            password,
            ..Self::default()
        })
    }

    /// Checks every field, naming the first one that is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.url.validate("url")?;
        if self.cluster {
            self.validate_cluster()?;
        }
        if self.tls_ca_file.is_some() && !self.url.is_tls() {
            return Err(ConfigError::invalid(
                "tls_ca_file",
                "applies to `rediss://` URLs only",
            ));
        }
        KeyLayout::new(&self.key_prefix)?;
        for (field, value) in [
            ("connect_timeout", self.connect_timeout),
            ("command_timeout", self.command_timeout),
            ("reconnect_min_delay", self.reconnect_min_delay),
            ("reconnect_max_delay", self.reconnect_max_delay),
        ] {
            if value.is_zero() {
                return Err(ConfigError::invalid(field, "must be longer than zero"));
            }
        }
        if self.reconnect_max_delay < self.reconnect_min_delay {
            return Err(ConfigError::invalid(
                "reconnect_max_delay",
                "must not be shorter than `reconnect_min_delay`",
            ));
        }
        if self.max_key_size.as_u64() == 0 {
            return Err(ConfigError::invalid(
                "max_key_size",
                "must be at least 1 byte",
            ));
        }
        // Redis refuses strings longer than 512 MiB.
        if self.max_value_size > ByteSize::mib(512) {
            return Err(ConfigError::invalid(
                "max_value_size",
                "Redis stores at most 512 MiB in one value",
            ));
        }
        Ok(())
    }

    fn validate_cluster(&self) -> Result<(), ConfigError> {
        if !cfg!(feature = "cluster") {
            return Err(ConfigError::invalid(
                "cluster",
                "needs cache-redis built with its `cluster` feature",
            ));
        }
        let info = self.url.connection_info("url")?;
        if matches!(info.addr(), redis::ConnectionAddr::Unix(_)) {
            return Err(ConfigError::invalid(
                "url",
                "a Redis Cluster is reached over TCP: a socket path cannot name its nodes",
            ));
        }
        if info.redis_settings().db() != 0 {
            return Err(ConfigError::invalid(
                "url",
                "a Redis Cluster has only database 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_round_trips_through_serde() {
        let config = RedisConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        let back: RedisConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.url, config.url);
        assert_eq!(back.command_timeout, config.command_timeout);
        assert_eq!(back.max_value_size, config.max_value_size);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<RedisConfig>(r#"{"urll": "redis://x"}"#).unwrap_err();
        assert!(err.to_string().contains("urll"), "{err}");
    }

    #[test]
    fn the_password_never_shows_in_debug_or_serialized_form() {
        let mut config = RedisConfig::from_url("redis://:hunter2-secret@127.0.0.1:6379").unwrap();
        assert!(config.password.is_some());
        config.key_prefix = "p:".into();
        assert!(!format!("{config:?}").contains("hunter2-secret"));
        assert!(!format!("{config:#?}").contains("hunter2-secret"));
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("hunter2-secret"), "{json}");
        assert!(!json.contains("password"), "{json}");
    }

    #[test]
    fn a_password_in_a_deserialized_url_is_refused_without_echoing_it() {
        let err = serde_json::from_str::<RedisConfig>(r#"{"url": "redis://u:hunter2-secret@h"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("password"), "{err}");
        assert!(!err.contains("hunter2-secret"), "{err}");
    }

    #[test]
    fn each_wrong_field_is_named() {
        type Breaker = fn(&mut RedisConfig);
        let cases: [(&str, Breaker); 7] = [
            ("command_timeout", |c| c.command_timeout = Duration::ZERO),
            ("connect_timeout", |c| c.connect_timeout = Duration::ZERO),
            ("reconnect_max_delay", |c| {
                c.reconnect_max_delay = Duration::from_millis(1)
            }),
            ("key_prefix", |c| c.key_prefix = "a{b}".into()),
            ("max_key_size", |c| c.max_key_size = ByteSize::b(0)),
            ("max_value_size", |c| c.max_value_size = ByteSize::gib(1)),
            ("tls_ca_file", |c| c.tls_ca_file = Some("ca.pem".into())),
        ];
        for (field, break_it) in cases {
            let mut config = RedisConfig::default();
            break_it(&mut config);
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}

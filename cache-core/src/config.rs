//! [`CacheConfig`]: the serde configuration of a cache or a [`CacheStore`], validated when built.

use std::hash::Hash;
use std::time::Duration;

use bytes::Bytes;
use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

use crate::cache_store::{DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_VALUE_SIZE};
use crate::{CacheBuilder, CacheStore, DEFAULT_CAPACITY, EvictionMode, ShardedCache};

/// The most shards a configuration may ask for.
const MAX_SHARDS: usize = 1 << 16;

/// How a cache is configured; any serde format works, here JSON:
///
/// ```
/// use cache_core::{CacheConfig, EvictionMode};
///
/// let config: CacheConfig = serde_json::from_str(
///     r#"{ "max_capacity": 50000, "time_to_live": "30s", "max_value_size": "1 MiB" }"#,
/// ).unwrap();
/// assert_eq!(config.eviction, EvictionMode::Evict);
/// let store = config.build_store()?;
/// assert_eq!(store.max_value_size(), 1024 * 1024);
/// # Ok::<(), cache_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Shards, a power of two; absent: sixteen per core, more for large caches and fewer for small
    /// ones.
    pub shards: Option<usize>,
    /// The capacity in entries (weight units for a cache built with a weigher).
    pub max_capacity: u64,
    /// The time-to-live of entries written without one, e.g. `"30s"`; absent: none. Does not
    /// apply to a [`CacheStore`], whose writes say their own TTL.
    #[serde(with = "humantime_serde")]
    pub time_to_live: Option<Duration>,
    /// Entries expire once idle this long, e.g. `"10m"`; absent: never.
    #[serde(with = "humantime_serde")]
    pub time_to_idle: Option<Duration>,
    /// The longest key a [`CacheStore`] accepts, e.g. `"4 KiB"`.
    pub max_key_size: ByteSize,
    /// The longest value a [`CacheStore`] accepts, e.g. `"16 MiB"`.
    pub max_value_size: ByteSize,
    /// `evict` (the default) or `reject`; a [`CacheStore`] always rejects.
    pub eviction: EvictionMode,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            shards: None,
            max_capacity: DEFAULT_CAPACITY,
            time_to_live: None,
            time_to_idle: None,
            max_key_size: ByteSize::b(DEFAULT_MAX_KEY_SIZE as u64),
            max_value_size: ByteSize::b(DEFAULT_MAX_VALUE_SIZE as u64),
            eviction: EvictionMode::Evict,
        }
    }
}

/// A [`CacheConfig`] field with a value the cache cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cache configuration: `{field}` {problem}")]
pub struct ConfigError {
    /// The offending field, as spelled in the configuration (e.g. `max_capacity`).
    pub field: &'static str,
    /// What is wrong with its value, without the field's name.
    pub problem: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }

    /// The offending field, as spelled in the configuration (e.g. `max_capacity`).
    pub fn field(&self) -> &str {
        self.field
    }

    /// What is wrong with its value, without the field's name.
    pub fn reason(&self) -> &str {
        &self.problem
    }
}

impl CacheConfig {
    /// Checks every field, naming the first one that is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(shards) = self.shards
            && (!shards.is_power_of_two() || shards > MAX_SHARDS)
        {
            return Err(ConfigError::new(
                "shards",
                format!("must be a power of two between 1 and {MAX_SHARDS}, got {shards}"),
            ));
        }
        if self.max_capacity == 0 {
            return Err(ConfigError::new("max_capacity", "must be at least 1"));
        }
        if let Some(shards) = self.shards
            && self.eviction == EvictionMode::Evict
            && shards as u64 > self.max_capacity
        {
            return Err(ConfigError::new(
                "shards",
                format!(
                    "must not exceed `max_capacity` ({}) in an evicting cache, got {shards}",
                    self.max_capacity
                ),
            ));
        }
        for (field, duration) in [
            ("time_to_live", self.time_to_live),
            ("time_to_idle", self.time_to_idle),
        ] {
            if duration.is_some_and(|duration| duration.is_zero()) {
                return Err(ConfigError::new(
                    field,
                    "must be longer than zero (omit it for none)",
                ));
            }
        }
        size_limit("max_key_size", self.max_key_size)?;
        size_limit("max_value_size", self.max_value_size)?;
        Ok(())
    }

    /// A builder set up from this configuration, for the settings it does not cover (a clock, a
    /// weigher, a listener).
    pub fn builder<K, V>(&self) -> Result<CacheBuilder<K, V>, ConfigError>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        self.validate()?;
        let mut builder = ShardedCache::builder()
            .max_capacity(self.max_capacity)
            .eviction_mode(self.eviction)
            .max_key_size(size_limit("max_key_size", self.max_key_size)?)
            .max_value_size(size_limit("max_value_size", self.max_value_size)?);
        if let Some(shards) = self.shards {
            builder = builder.shards(shards);
        }
        if let Some(ttl) = self.time_to_live {
            builder = builder.time_to_live(ttl);
        }
        if let Some(tti) = self.time_to_idle {
            builder = builder.time_to_idle(tti);
        }
        Ok(builder)
    }

    /// Builds the cache this configuration describes.
    pub fn build<K, V>(&self) -> Result<ShardedCache<K, V>, ConfigError>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        Ok(self.builder()?.build())
    }

    /// Builds the [`CacheStore`] this configuration describes.
    pub fn build_store(&self) -> Result<CacheStore, ConfigError> {
        Ok(self.builder::<Bytes, Bytes>()?.build_store())
    }
}

fn size_limit(field: &'static str, size: ByteSize) -> Result<usize, ConfigError> {
    match usize::try_from(size.as_u64()) {
        Ok(0) => Err(ConfigError::new(field, "must be at least 1 byte")),
        Ok(bytes) => Ok(bytes),
        Err(_) => Err(ConfigError::new(
            field,
            format!("{size} does not fit in memory"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let config = CacheConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<CacheConfig>(&json).unwrap(), config);
    }

    #[test]
    fn durations_and_sizes_read_as_humans_write_them() {
        let config: CacheConfig = serde_json::from_str(
            r#"{"shards": 8, "time_to_live": "1m 30s", "time_to_idle": "2h", "max_key_size": "512 B", "eviction": "reject"}"#,
        )
        .unwrap();
        assert_eq!(config.time_to_live, Some(Duration::from_secs(90)));
        assert_eq!(config.time_to_idle, Some(Duration::from_secs(7200)));
        assert_eq!(config.max_key_size, ByteSize::b(512));
        let cache: ShardedCache<u32, u32> = config.build().unwrap();
        assert_eq!(cache.shard_count(), 8);
        assert_eq!(cache.eviction_mode(), EvictionMode::Reject);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = serde_json::from_str::<CacheConfig>(r#"{"capacity": 10}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `capacity`"),
            "{error}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                CacheConfig {
                    shards: Some(6),
                    ..CacheConfig::default()
                },
                "shards",
            ),
            (
                CacheConfig {
                    shards: Some(8),
                    max_capacity: 4,
                    ..CacheConfig::default()
                },
                "shards",
            ),
            (
                CacheConfig {
                    max_capacity: 0,
                    ..CacheConfig::default()
                },
                "max_capacity",
            ),
            (
                CacheConfig {
                    time_to_live: Some(Duration::ZERO),
                    ..CacheConfig::default()
                },
                "time_to_live",
            ),
            (
                CacheConfig {
                    time_to_idle: Some(Duration::ZERO),
                    ..CacheConfig::default()
                },
                "time_to_idle",
            ),
            (
                CacheConfig {
                    max_key_size: ByteSize::b(0),
                    ..CacheConfig::default()
                },
                "max_key_size",
            ),
            (
                CacheConfig {
                    max_value_size: ByteSize::b(0),
                    ..CacheConfig::default()
                },
                "max_value_size",
            ),
        ];
        for (config, field) in cases {
            let error = config.build_store().unwrap_err();
            assert_eq!(error.field(), field);
            assert!(!error.reason().contains(field), "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }
}

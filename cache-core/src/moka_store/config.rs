//! [`MokaStoreConfig`]: the serde configuration of a [`MokaStore`], validated when built.

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

use super::{MokaStore, MokaStoreBuilder};
use crate::{ConfigError, DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_VALUE_SIZE};

/// How a [`MokaStore`] is configured, e.g. from TOML or JSON:
///
/// ```
/// use cache_core::MokaStoreConfig;
///
/// let config: MokaStoreConfig =
///     serde_json::from_str(r#"{ "max_capacity": 100000, "max_value_size": "1 MiB" }"#).unwrap();
/// let store = config.build()?;
/// # drop(store);
/// let zero: MokaStoreConfig = serde_json::from_str(r#"{ "max_capacity": 0 }"#).unwrap();
/// assert_eq!(zero.build().unwrap_err().field, "max_capacity");
/// # Ok::<(), cache_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MokaStoreConfig {
    /// The most records the store holds before refusing new keys; absent: unbounded.
    pub max_capacity: Option<u64>,
    /// The longest key the store accepts, e.g. `"4 KiB"`.
    pub max_key_size: ByteSize,
    /// The longest value the store accepts, e.g. `"16 MiB"`.
    pub max_value_size: ByteSize,
}

impl Default for MokaStoreConfig {
    fn default() -> Self {
        Self {
            max_capacity: None,
            max_key_size: ByteSize::b(DEFAULT_MAX_KEY_SIZE as u64),
            max_value_size: ByteSize::b(DEFAULT_MAX_VALUE_SIZE as u64),
        }
    }
}

impl MokaStoreConfig {
    /// A builder set from this configuration, once it is checked.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field when `max_capacity` is zero or a size does not fit
    /// this platform's address space.
    pub fn builder(&self) -> Result<MokaStoreBuilder, ConfigError> {
        let mut builder = MokaStore::builder()
            .max_key_size(size(self.max_key_size, "max_key_size")?)
            .max_value_size(size(self.max_value_size, "max_value_size")?);
        if let Some(capacity) = self.max_capacity {
            if capacity == 0 {
                return Err(invalid("max_capacity", "must be at least 1 record"));
            }
            builder = builder.max_capacity(capacity);
        }
        Ok(builder)
    }

    /// The store this configuration describes.
    ///
    /// # Errors
    ///
    /// As [`MokaStoreConfig::builder`].
    pub fn build(&self) -> Result<MokaStore, ConfigError> {
        Ok(self.builder()?.build())
    }
}

fn size(bytes: ByteSize, field: &'static str) -> Result<usize, ConfigError> {
    usize::try_from(bytes.as_u64())
        .map_err(|_| invalid(field, format!("of {bytes} does not fit in memory here")))
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        field,
        problem: problem.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_builder() {
        let config = MokaStoreConfig::default();
        let built = format!("{:?}", config.build().unwrap());
        assert_eq!(built, format!("{:?}", MokaStore::builder().build()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let parsed = serde_json::from_str::<MokaStoreConfig>(r#"{ "capacity": 5 }"#);
        assert!(
            parsed
                .unwrap_err()
                .to_string()
                .contains("unknown field `capacity`")
        );
    }

    #[test]
    fn sizes_read_as_human_sizes_and_round_trip() {
        let config: MokaStoreConfig =
            serde_json::from_str(r#"{ "max_key_size": "512 B", "max_capacity": 9 }"#).unwrap();
        assert_eq!(config.max_key_size, ByteSize::b(512));
        let again: MokaStoreConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(again, config);
        let shown = format!("{:?}", config.build().unwrap());
        assert!(shown.contains("max_key_size: 512") && shown.contains("max_capacity: Some(9)"));
    }

    #[test]
    fn a_zero_capacity_names_the_field() {
        let config = MokaStoreConfig {
            max_capacity: Some(0),
            ..MokaStoreConfig::default()
        };
        let err = config.build().unwrap_err();
        assert_eq!(err.field, "max_capacity");
        assert!(err.to_string().contains("at least 1"));
    }
}

//! [`DurableConfig`]: where the store lives and what it trades between speed and durability.

use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

/// When the log is made durable, and so what an acknowledged write may lose.
///
/// In every policy a write is in the log before it is acknowledged, and a process crash with the
/// machine still up loses at most what sits in the store's own buffer (see each variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// A write is acknowledged only once its record is on disk (`fdatasync`). Concurrent writers
    /// share one `fdatasync` (group commit). Loses nothing acknowledged, on a crash or a power
    /// failure.
    ///
    /// The log thread commits: at once while writes come one at a time, and, while they come in
    /// groups, once the expected group is complete (a record from each writer that waited on the
    /// last sync) or a fraction of an fsync has passed. A write's future never blocks its thread:
    /// it waits for the log thread's news.
    #[default]
    Always,
    /// A write is acknowledged once its record is in the log's buffer; a background thread hands
    /// the buffer to the OS as soon as it can and calls `fdatasync` every interval. A power
    /// failure may lose up to one interval of acknowledged writes; a process crash loses the
    /// writes still in the buffer (those acknowledged while the log thread was busy writing).
    #[serde(with = "humantime_serde")]
    Interval(Duration),
    /// Like `Interval`, but never calls `fdatasync`: the OS writes pages back when it chooses
    /// (typically within 30 s on Linux). A power failure may lose any amount of acknowledged
    /// writes not yet written back; a process crash as for `Interval`.
    Never,
}

/// How recovery treats damage other than a torn tail in the last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryMode {
    /// Fall back to the previous snapshot past a corrupt one, stop replaying at a corrupt record,
    /// move what was dropped aside (renamed `*.dropped`) and report it in the
    /// [`RecoveryReport`](crate::RecoveryReport).
    #[default]
    Tolerant,
    /// Refuse to open on any damage other than a torn tail.
    Strict,
}

/// Which snapshots garbage collection keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// How many snapshots to keep, newest first (at least 1).
    pub keep: usize,
    /// Older snapshots are removed, except the newest one, which is always kept.
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            keep: 2,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Configuration of a [`DurableStore`](crate::DurableStore), validated when it opens.
///
/// ```
/// use cache_persist::{DurableConfig, FsyncPolicy};
///
/// let config: DurableConfig = serde_json::from_str(r#"{
///     "dir": "/var/lib/orders/cache",
///     "fsync": { "interval": "10ms" },
///     "segment_size": "32 MiB",
///     "snapshot_interval": "5m"
/// }"#).unwrap();
/// assert_eq!(config.fsync, FsyncPolicy::Interval(std::time::Duration::from_millis(10)));
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DurableConfig {
    /// The store's directory, created if missing; one open store per directory.
    pub dir: PathBuf,
    /// When the log is made durable.
    pub fsync: FsyncPolicy,
    /// A log segment is closed and a new one started past this size.
    pub segment_size: ByteSize,
    /// How often a snapshot is taken in the background; `None` for on demand only.
    #[serde(with = "humantime_serde")]
    pub snapshot_interval: Option<Duration>,
    /// Which snapshots garbage collection keeps.
    pub retention: Retention,
    /// How recovery treats damage.
    pub recovery: RecoveryMode,
    /// Most live entries the store holds; a write beyond it fails, nothing is evicted.
    pub max_entries: u64,
    /// The longest key accepted.
    pub max_key_size: ByteSize,
    /// The longest value accepted.
    pub max_value_size: ByteSize,
}

impl Default for DurableConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("cache-data"),
            fsync: FsyncPolicy::Always,
            segment_size: ByteSize::mib(64),
            snapshot_interval: Some(Duration::from_secs(300)),
            retention: Retention::default(),
            recovery: RecoveryMode::Tolerant,
            max_entries: 1_000_000,
            max_key_size: ByteSize::kib(4),
            max_value_size: ByteSize::mib(16),
        }
    }
}

/// A configuration value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cache-persist configuration: `{field}` {problem}")]
pub struct ConfigError {
    /// The offending field, e.g. `retention.keep`.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    /// The offending field, relative to [`DurableConfig`] (e.g. `retention.keep`).
    pub fn field(&self) -> &str {
        self.field
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> &str {
        &self.problem
    }
}

impl DurableConfig {
    /// A default configuration for the store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            ..Self::default()
        }
    }

    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_owned(),
            })
        };
        if self.dir.as_os_str().is_empty() {
            return fail("dir", "must not be empty");
        }
        if let FsyncPolicy::Interval(every) = self.fsync
            && every.is_zero()
        {
            return fail("fsync", "interval must be longer than zero (use `always`)");
        }
        if self.segment_size < ByteSize::kib(4) || self.segment_size > ByteSize::gib(4) {
            return fail("segment_size", "must be between 4 KiB and 4 GiB");
        }
        if self
            .snapshot_interval
            .is_some_and(|every| every < Duration::from_millis(10))
        {
            return fail(
                "snapshot_interval",
                "must be at least 10ms (or null for on demand)",
            );
        }
        if self.retention.keep == 0 {
            return fail("retention.keep", "must keep at least one snapshot");
        }
        if self.retention.max_age.is_zero() {
            return fail("retention.max_age", "must be longer than zero");
        }
        if self.max_entries == 0 {
            return fail("max_entries", "must be at least 1");
        }
        if self.max_key_size.as_u64() == 0 || self.max_key_size > ByteSize::mib(1) {
            return fail("max_key_size", "must be between 1 byte and 1 MiB");
        }
        if self.max_value_size > ByteSize::mib(32) {
            return fail(
                "max_value_size",
                "must be at most 32 MiB (one log record each)",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let config = DurableConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<DurableConfig>(&json).unwrap(),
            config
        );
        assert!(json.contains(r#""fsync":"always""#), "{json}");
    }

    #[test]
    fn errors_name_the_field() {
        let mut config = DurableConfig::new("/tmp/x");
        config.retention.keep = 0;
        assert_eq!(config.validate().unwrap_err().field, "retention.keep");
        config = DurableConfig::new("/tmp/x");
        config.fsync = FsyncPolicy::Interval(Duration::ZERO);
        assert_eq!(config.validate().unwrap_err().field, "fsync");
        let unknown = serde_json::from_str::<DurableConfig>(r#"{"fsynk": "never"}"#);
        assert!(unknown.unwrap_err().to_string().contains("fsynk"));
    }
}

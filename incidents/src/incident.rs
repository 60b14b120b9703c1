//! An incident as the sinks see it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

/// Whether an incident starts or clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The incident started: alert someone.
    Trigger,
    /// The incident cleared: close the alert.
    Resolve,
}

/// How bad it is, in PagerDuty's four levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Service down: wake someone up.
    Critical,
    /// Something failed.
    Error,
    /// Degraded, not yet failing.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// The level's name (`"warning"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Parses a level's name, as an event's `severity` field carries it.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "critical" => Some(Severity::Critical),
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    pub(crate) fn of_level(level: tracing::Level) -> Self {
        match level {
            tracing::Level::ERROR => Severity::Error,
            tracing::Level::WARN => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One incident event: what happened, where, and whether it starts or clears.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Trigger or resolve.
    pub action: Action,
    /// The stable kind (`"breaker_open"`, `"wal_fsync_failed"`).
    pub kind: String,
    /// Which instance raised it: the event's `source` field, else its target.
    pub source: String,
    /// How bad: the event's `severity` field, else its level.
    pub severity: Severity,
    /// The event's message.
    pub summary: String,
    /// The event's other fields, rendered as text.
    pub details: BTreeMap<String, String>,
    /// When the event was raised.
    #[serde(serialize_with = "rfc3339")]
    pub timestamp: SystemTime,
}

impl Incident {
    /// The key that ties a resolve to its trigger: one per kind and source, so the same
    /// incident raised twice stays one alert.
    pub fn dedup_key(&self) -> String {
        format!("{}/{}", self.kind, self.source)
    }
}

/// Serializes a time as RFC 3339 with milliseconds, in UTC.
pub(crate) fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*time))
}

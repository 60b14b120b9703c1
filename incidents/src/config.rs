//! The configuration of the sink and its delivery queue, validated when built.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

use crate::sink::{ConfiguredSink, LogSink, PagerDutySink, WebhookSink, check_routing_key};

/// The sink and the queue in front of it.
///
/// ```
/// use incidents::IncidentsConfig;
///
/// let config: IncidentsConfig = serde_json::from_str(r#"{
///     "sink": { "kind": "webhook", "url": "http://alerts.internal:8080/hooks/incidents" },
///     "queue": { "capacity": 256, "max_attempts": 5, "initial_backoff": "500ms" }
/// }"#).unwrap();
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentsConfig {
    /// Where alerts go.
    pub sink: SinkConfig,
    /// How they get there.
    pub queue: QueueConfig,
}

/// Which sink, and its settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkConfig {
    /// The application's log.
    #[default]
    Log,
    /// A JSON `POST` to `url`.
    Webhook {
        /// `http://` (or `https://` with the `tls` feature).
        url: String,
    },
    /// The PagerDuty Events API v2.
    #[serde(rename = "pagerduty")]
    PagerDuty {
        /// The integration's routing key. Serialized as `"[redacted]"`, never in clear.
        #[serde(serialize_with = "redacted")]
        routing_key: SecretString,
        /// The Events API endpoint.
        #[serde(default = "pagerduty_url")]
        url: String,
    },
}

/// The Events API v2 endpoint.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

fn pagerduty_url() -> String {
    PAGERDUTY_URL.to_owned()
}

fn redacted<S: Serializer>(_: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("[redacted]")
}

/// The bounded queue between the events and the sink, and the retry policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Incidents waiting for delivery; beyond it new ones are dropped and counted.
    pub capacity: usize,
    /// Attempts per incident, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; each retry doubles it.
    #[serde(with = "humantime_serde")]
    pub initial_backoff: Duration,
    /// The longest wait between attempts (also caps an endpoint's `Retry-After`).
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
    /// How long one HTTP attempt may take.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            capacity: 1024,
            max_attempts: 6,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// A configuration value that cannot work, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("incidents: invalid `{field}`: {reason}")]
pub struct ConfigError {
    field: &'static str,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The offending field, as a dotted path (`"sink.url"`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl IncidentsConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.queue.validate()?;
        match &self.sink {
            SinkConfig::Log => {}
            SinkConfig::Webhook { url } => {
                Endpoint::parse(url, "sink.url")?;
            }
            SinkConfig::PagerDuty { routing_key, url } => {
                Endpoint::parse(url, "sink.url")?;
                check_routing_key(routing_key)?;
            }
        }
        Ok(())
    }
}

impl IncidentsConfig {
    /// The sink this configuration names.
    pub(crate) fn build_sink(&self) -> Result<ConfiguredSink, ConfigError> {
        let timeout = self.queue.request_timeout;
        Ok(match &self.sink {
            SinkConfig::Log => ConfiguredSink::Log(LogSink),
            SinkConfig::Webhook { url } => ConfiguredSink::Webhook(WebhookSink::new(url, timeout)?),
            SinkConfig::PagerDuty { routing_key, url } => {
                ConfiguredSink::PagerDuty(PagerDutySink::new(routing_key.clone(), url, timeout)?)
            }
        })
    }
}

impl QueueConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field, reason: &str| Err(ConfigError::new(field, reason));
        if self.capacity == 0 || self.capacity > 1 << 20 {
            return fail("queue.capacity", "must be between 1 and 1048576");
        }
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return fail("queue.max_attempts", "must be between 1 and 100");
        }
        if self.initial_backoff.is_zero() {
            return fail("queue.initial_backoff", "must be positive");
        }
        if self.max_backoff < self.initial_backoff {
            return fail(
                "queue.max_backoff",
                "must be at least `queue.initial_backoff`",
            );
        }
        if self.request_timeout.is_zero() {
            return fail("queue.request_timeout", "must be positive");
        }
        Ok(())
    }
}

/// A validated `http`/`https` URL; shown without credentials or query.
#[derive(Clone)]
pub(crate) struct Endpoint {
    uri: http::Uri,
}

impl Endpoint {
    pub(crate) fn parse(url: &str, field: &'static str) -> Result<Self, ConfigError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|error| ConfigError::new(field, format!("not a URL: {error}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") if cfg!(feature = "tls") => {}
            Some("https") => {
                return Err(ConfigError::new(
                    field,
                    "https needs the crate's `tls` feature",
                ));
            }
            _ => {
                return Err(ConfigError::new(
                    field,
                    "must start with http:// or https://",
                ));
            }
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(ConfigError::new(field, "has no host"));
        }
        Ok(Self { uri })
    }

    pub(crate) fn uri(&self) -> &http::Uri {
        &self.uri
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uri = &self.uri;
        let scheme = uri.scheme_str().unwrap_or("http");
        write!(f, "{scheme}://{}", uri.host().unwrap_or_default())?;
        if let Some(port) = uri.port_u16() {
            write!(f, ":{port}")?;
        }
        f.write_str(uri.path())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_hide_credentials_and_queries() {
        let endpoint = Endpoint::parse("http://user:pw@hooks.local:81/a?token=x", "url").unwrap();
        assert_eq!(endpoint.to_string(), "http://hooks.local:81/a");
    }

    #[test]
    fn bad_urls_name_their_field() {
        for url in ["ftp://x/", "not a url", "/relative"] {
            let error = Endpoint::parse(url, "sink.url").unwrap_err();
            assert_eq!(error.field(), "sink.url", "{url}: {error}");
        }
    }

    #[test]
    fn the_routing_key_is_validated_and_never_serialized() {
        let config: IncidentsConfig = serde_json::from_str(
            r#"{"sink":{"kind":"pagerduty","routing_key":"abc123","url":"http://127.0.0.1:9/"}}"#,
        )
        .unwrap();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("abc123"), "{json}");
        assert!(!format!("{config:?}").contains("abc123"));
        let redacted: IncidentsConfig = serde_json::from_str(&json).unwrap();
        let error = redacted.validate().unwrap_err();
        assert_eq!(error.field(), "sink.routing_key");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_endpoints_are_accepted_with_tls() {
        Endpoint::parse(PAGERDUTY_URL, "sink.url").unwrap();
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_endpoints_need_the_tls_feature() {
        let error = Endpoint::parse(PAGERDUTY_URL, "sink.url").unwrap_err();
        assert!(error.to_string().contains("`tls` feature"), "{error}");
    }

    #[test]
    fn queue_errors_name_their_field() {
        let queue = QueueConfig {
            capacity: 0,
            ..QueueConfig::default()
        };
        assert_eq!(queue.validate().unwrap_err().field(), "queue.capacity");
        let queue = QueueConfig {
            max_backoff: Duration::from_millis(1),
            ..QueueConfig::default()
        };
        assert_eq!(queue.validate().unwrap_err().field(), "queue.max_backoff");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = serde_json::from_str::<IncidentsConfig>(r#"{"queue":{"capcity":3}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("capcity"), "{error}");
    }
}

//! Alerts sent to the PagerDuty Events API v2.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{DeliveryError, HttpClient, IncidentSink};
use crate::config::{ConfigError, Endpoint};
use crate::{Action, Incident, Severity};

/// PagerDuty's limits on `payload.summary` and `dedup_key`, in bytes.
const MAX_SUMMARY: usize = 1024;
const MAX_DEDUP_KEY: usize = 255;

/// Sends `trigger` events (with `payload.summary`, `payload.source`, `payload.severity`) and
/// `resolve` events to the Events API v2, both under the incident's
/// [`dedup_key`](Incident::dedup_key), so PagerDuty keeps one alert per kind and source.
///
/// The routing key is a secret: it is sent in the body only, and `Debug` shows it redacted.
#[derive(Debug, Clone)]
pub struct PagerDutySink {
    routing_key: SecretString,
    endpoint: Endpoint,
    client: HttpClient,
}

impl PagerDutySink {
    /// A sink sending to the Events API at `url` (usually [`PAGERDUTY_URL`](crate::PAGERDUTY_URL), which needs the
    /// `tls` feature) with the integration's `routing_key`, each attempt given at most
    /// `request_timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use incidents::PagerDutySink;
    ///
    /// let key = "R0UT1NGKEY".to_owned().into();
    /// let sink = PagerDutySink::new(key, "http://127.0.0.1:9/v2/enqueue", Duration::from_secs(5));
    /// assert!(!format!("{sink:?}").contains("R0UT1NGKEY"));
    /// ```
    pub fn new(
        routing_key: SecretString,
        url: &str,
        request_timeout: Duration,
    ) -> Result<Self, ConfigError> {
        check_routing_key(&routing_key)?;
        Ok(Self {
            routing_key,
            endpoint: Endpoint::parse(url, "sink.url")?,
            client: HttpClient::new(request_timeout),
        })
    }
}

/// A routing key is the integration's key: ASCII letters and digits.
pub(crate) fn check_routing_key(routing_key: &SecretString) -> Result<(), ConfigError> {
    let key = routing_key.expose_secret();
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError::new(
            "sink.routing_key",
            "must be the integration's key: ASCII letters and digits",
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct Event<'a> {
    routing_key: &'a str,
    event_action: Action,
    dedup_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload<'a>>,
}

#[derive(Serialize)]
struct Payload<'a> {
    summary: &'a str,
    source: &'a str,
    severity: Severity,
    #[serde(serialize_with = "crate::incident::rfc3339")]
    timestamp: SystemTime,
    component: &'a str,
    custom_details: &'a BTreeMap<String, String>,
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl IncidentSink for PagerDutySink {
    async fn deliver(&self, incident: &Incident) -> Result<(), DeliveryError> {
        let dedup_key = incident.dedup_key();
        let summary = if incident.summary.is_empty() {
            &incident.kind
        } else {
            &incident.summary
        };
        let payload = (incident.action == Action::Trigger).then(|| Payload {
            summary: truncate(summary, MAX_SUMMARY),
            source: &incident.source,
            severity: incident.severity,
            timestamp: incident.timestamp,
            component: &incident.kind,
            custom_details: &incident.details,
        });
        let event = Event {
            routing_key: self.routing_key.expose_secret(),
            event_action: incident.action,
            dedup_key: truncate(&dedup_key, MAX_DEDUP_KEY),
            payload,
        };
        let body = serde_json::to_vec(&event)
            .map_err(|error| DeliveryError::Invalid(error.to_string()))?;
        self.client.post_json(&self.endpoint, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("hello", 10), "hello");
    }

    #[test]
    fn the_routing_key_never_shows_in_debug() {
        let key = SecretString::from("R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12");
        let sink = PagerDutySink::new(key, "http://127.0.0.1:1/", Duration::from_secs(1)).unwrap();
        assert!(!format!("{sink:?}").contains("R0UT1NG"));
    }

    #[test]
    fn a_malformed_routing_key_is_refused() {
        let key = SecretString::from("not a key");
        let error =
            PagerDutySink::new(key, "http://127.0.0.1:1/", Duration::from_secs(1)).unwrap_err();
        assert_eq!(error.field(), "sink.routing_key");
        assert!(!error.to_string().contains("not a key"), "{error}");
    }
}

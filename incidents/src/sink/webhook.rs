//! Alerts posted as JSON to any URL.

use std::time::Duration;

use super::{DeliveryError, HttpClient, IncidentSink};
use crate::Incident;
use crate::config::{ConfigError, Endpoint};

/// Posts each incident to a URL as JSON: the [`Incident`] fields (`action`, `kind`, `source`,
/// `severity`, `summary`, `details`, `timestamp`) plus its `dedup_key`.
#[derive(Debug, Clone)]
pub struct WebhookSink {
    endpoint: Endpoint,
    client: HttpClient,
}

impl WebhookSink {
    /// A sink posting to `url` (`http://`, or `https://` with the `tls` feature), each attempt
    /// given at most `request_timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sink = incidents::WebhookSink::new("http://alerts.internal/hooks", Duration::from_secs(5));
    /// assert!(sink.is_ok());
    /// let error = incidents::WebhookSink::new("alerts.internal", Duration::from_secs(5)).unwrap_err();
    /// assert_eq!(error.field(), "sink.url");
    /// ```
    pub fn new(url: &str, request_timeout: Duration) -> Result<Self, ConfigError> {
        Ok(Self {
            endpoint: Endpoint::parse(url, "sink.url")?,
            client: HttpClient::new(request_timeout),
        })
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    incident: &'a Incident,
    dedup_key: String,
}

impl IncidentSink for WebhookSink {
    async fn deliver(&self, incident: &Incident) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&Body {
            incident,
            dedup_key: incident.dedup_key(),
        })
        .map_err(|error| DeliveryError::Invalid(error.to_string()))?;
        self.client.post_json(&self.endpoint, body).await
    }
}

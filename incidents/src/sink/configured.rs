//! The sink a configuration file chose.

use super::{DeliveryError, IncidentSink, LogSink, PagerDutySink, WebhookSink};
use crate::Incident;

/// Whichever sink [`SinkConfig`](crate::SinkConfig) named.
#[derive(Debug, Clone)]
pub enum ConfiguredSink {
    /// [`LogSink`].
    Log(LogSink),
    /// [`WebhookSink`].
    Webhook(WebhookSink),
    /// [`PagerDutySink`].
    PagerDuty(PagerDutySink),
}

impl IncidentSink for ConfiguredSink {
    async fn deliver(&self, incident: &Incident) -> Result<(), DeliveryError> {
        match self {
            ConfiguredSink::Log(sink) => sink.deliver(incident).await,
            ConfiguredSink::Webhook(sink) => sink.deliver(incident).await,
            ConfiguredSink::PagerDuty(sink) => sink.deliver(incident).await,
        }
    }
}

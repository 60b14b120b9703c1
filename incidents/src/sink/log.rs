//! Alerts written to the log, through `tracing`.

use super::{DeliveryError, IncidentSink};
use crate::{Action, Incident, Severity};

/// Writes each incident as a `tracing` event with target `incidents::alert` (`ERROR` for a
/// critical or error trigger, `WARN` for other triggers, `INFO` for resolves).
///
/// The event carries no `incident` field, so it is never taken for a new incident.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSink;

impl IncidentSink for LogSink {
    async fn deliver(&self, incident: &Incident) -> Result<(), DeliveryError> {
        let (kind, source, key) = (&incident.kind, &incident.source, incident.dedup_key());
        let summary = &incident.summary;
        match (incident.action, incident.severity) {
            (Action::Resolve, _) => tracing::info!(
                target: "incidents::alert", alert_kind = %kind, alert_source = %source,
                dedup_key = %key, "resolved: {summary}"
            ),
            (Action::Trigger, Severity::Critical | Severity::Error) => tracing::error!(
                target: "incidents::alert", alert_kind = %kind, alert_source = %source,
                dedup_key = %key, severity = %incident.severity, "incident: {summary}"
            ),
            (Action::Trigger, _) => tracing::warn!(
                target: "incidents::alert", alert_kind = %kind, alert_source = %source,
                dedup_key = %key, severity = %incident.severity, "incident: {summary}"
            ),
        }
        Ok(())
    }
}

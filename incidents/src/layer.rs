//! The `tracing-subscriber` layer that picks incident events out of the stream.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;
use tokio::sync::mpsc;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::config::{ConfigError, IncidentsConfig, QueueConfig};
use crate::delivery::Delivery;
use crate::fields::Fields;
use crate::sink::{ConfiguredSink, IncidentSink};
use crate::stats::DeliveryStats;
use crate::{Action, Incident, Severity};

/// Turns events carrying an `incident` field into [`Incident`]s and queues them for delivery.
///
/// It keeps the set of open incidents (by [`dedup_key`](Incident::dedup_key)): a trigger for
/// one already open, or a resolve for one not open, is not sent. Queueing never blocks the
/// thread that raised the event: when the queue is full the incident is dropped and counted.
#[derive(Debug, Clone)]
pub struct IncidentLayer {
    queue: mpsc::Sender<Incident>,
    open: Arc<Mutex<HashSet<String>>>,
    stats: DeliveryStats,
}

impl IncidentLayer {
    /// A layer delivering to `sink` through a queue configured by `queue`; spawn the returned
    /// [`Delivery`]'s `run` on a tokio runtime.
    pub fn with_sink<S: IncidentSink>(
        sink: S,
        queue: QueueConfig,
    ) -> Result<(Self, Delivery<S>), ConfigError> {
        queue.validate()?;
        let (sender, receiver) = mpsc::channel(queue.capacity);
        let stats = DeliveryStats::default();
        let layer = Self {
            queue: sender,
            open: Arc::default(),
            stats: stats.clone(),
        };
        Ok((layer, Delivery::new(receiver, sink, queue, stats)))
    }

    /// A layer and its delivery as `config` describes them. [`Delivery::run`] returns once
    /// every clone of the layer is dropped and the queue is drained:
    ///
    /// ```
    /// use incidents::{IncidentLayer, IncidentsConfig};
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config: IncidentsConfig = serde_json::from_str(r#"{ "sink": { "kind": "log" } }"#).unwrap();
    /// let (layer, delivery) = IncidentLayer::from_config(&config).unwrap();
    /// let stats = layer.stats().clone();
    /// let worker = tokio::spawn(delivery.run());
    ///
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// tracing::subscriber::with_default(subscriber, || {
    ///     tracing::error!(incident = "wal_fsync_failed", source = "orders-wal", "fsync failed");
    /// });
    /// worker.await.unwrap();
    /// assert_eq!(stats.delivered(), 1);
    /// # }
    /// ```
    pub fn from_config(
        config: &IncidentsConfig,
    ) -> Result<(Self, Delivery<ConfiguredSink>), ConfigError> {
        config.validate()?;
        Self::with_sink(config.build_sink()?, config.queue.clone())
    }

    /// The counters of this layer and its delivery.
    pub fn stats(&self) -> &DeliveryStats {
        &self.stats
    }

    /// Queues `incident` if it changes what is open. The set of open incidents changes only
    /// once the incident is queued, under the same lock: an alert dropped because the queue was
    /// full must not suppress the next trigger (or resolve) of the same incident.
    fn enqueue(&self, incident: Incident) {
        let key = incident.dedup_key();
        let mut open = self.open.lock();
        let action = incident.action;
        if open.contains(&key) == (action == Action::Trigger) {
            self.stats.count_suppressed();
            return;
        }
        if self.queue.try_send(incident).is_err() {
            self.stats.count_dropped();
            return;
        }
        match action {
            Action::Trigger => open.insert(key),
            Action::Resolve => open.remove(&key),
        };
    }
}

impl<S: Subscriber> Layer<S> for IncidentLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if !event
            .fields()
            .any(|field| field.name() == crate::INCIDENT_FIELD)
        {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(kind) = fields.kind else { return };
        let metadata = event.metadata();
        let incident = Incident {
            action: if fields.resolves {
                Action::Resolve
            } else {
                Action::Trigger
            },
            source: fields
                .source
                .unwrap_or_else(|| metadata.target().to_owned()),
            severity: fields
                .severity
                .as_deref()
                .and_then(Severity::parse)
                .unwrap_or_else(|| Severity::of_level(*metadata.level())),
            summary: fields.message,
            details: fields.details,
            timestamp: SystemTime::now(),
            kind,
        };
        self.enqueue(incident);
    }
}

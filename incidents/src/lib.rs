//! Incident events in, alerts out: log, JSON webhook, PagerDuty.
//!
//! A component raises an incident as a plain `tracing` event with a stable `incident` field
//! naming its kind, and clears it with the same fields plus `resolves = true`; it needs no
//! dependency on this crate:
//!
//! ```
//! let dependency = "payments-api";
//! tracing::warn!(incident = "breaker_open", source = dependency, "payments-api is failing");
//! tracing::info!(incident = "breaker_open", resolves = true, source = dependency, "recovered");
//! ```
//!
//! The application installs an [`IncidentLayer`] in its subscriber. The layer picks those
//! events out, turns each into an [`Incident`] (kind, `source` field or the event's target,
//! severity from a `severity` field or the level, the message as summary, the other fields as
//! details) and queues it; a [`Delivery`] task hands the queue to an [`IncidentSink`] off the
//! request path, retrying `429`, `5xx` and network errors with backoff.
//!
//! # Example
//!
//! An application installs the layer in its subscriber, beside its log output, and runs the
//! delivery on its runtime. Here the sink is the log: [`LogSink`] writes each alert as an event
//! with target `incidents::alert`, which the `fmt` layer prints.
//!
//! ```
//! use incidents::{IncidentLayer, LogSink, QueueConfig};
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), incidents::ConfigError> {
//! let (incidents, delivery) = IncidentLayer::with_sink(LogSink, QueueConfig::default())?;
//! let stats = incidents.stats().clone();
//! tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer())
//!     .with(incidents)
//!     .init();
//! tokio::spawn(delivery.run());
//!
//! // Anywhere in the application, including components that do not depend on this crate:
//! tracing::error!(incident = "wal_fsync_failed", source = "orders-wal", "fsync failed");
//! # while stats.delivered() == 0 {
//! #     tokio::task::yield_now().await;
//! # }
//! assert_eq!(stats.delivered(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! [`IncidentLayer::from_config`] builds the layer and the sink an [`IncidentsConfig`] names
//! (the log, a webhook or PagerDuty) instead.
//!
//! # One alert per incident
//!
//! The [`dedup_key`](Incident::dedup_key) is `kind/source`. The layer sends a trigger only when
//! that incident is not already open and a resolve only when it is, so a breaker that re-opens
//! while still failing does not page twice; PagerDuty receives both under the same
//! `dedup_key`, so its resolve closes the alert its trigger opened.
//!
//! # Security
//!
//! The PagerDuty routing key is a [`secrecy::SecretString`]: it appears in no `Debug` output,
//! no log line and no serialized configuration. Endpoints are logged without credentials or
//! query strings. HTTPS needs the `tls` feature (rustls with the `ring` provider, webpki roots).

#![forbid(unsafe_code)]

mod config;
mod delivery;
mod fields;
mod incident;
mod layer;
mod sink;
mod stats;

pub use config::{ConfigError, IncidentsConfig, PAGERDUTY_URL, QueueConfig, SinkConfig};
pub use delivery::Delivery;
pub use fields::{INCIDENT_FIELD, RESOLVES_FIELD, SEVERITY_FIELD, SOURCE_FIELD};
pub use incident::{Action, Incident, Severity};
pub use layer::IncidentLayer;
pub use sink::{ConfiguredSink, DeliveryError, IncidentSink, LogSink, PagerDutySink, WebhookSink};
pub use stats::DeliveryStats;

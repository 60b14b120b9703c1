//! Where alerts go: the [`IncidentSink`] trait and its implementations.

mod configured;
mod http;
mod log;
mod pagerduty;
mod webhook;

use std::future::Future;
use std::time::Duration;

pub use configured::ConfiguredSink;
pub(crate) use http::HttpClient;
pub use log::LogSink;
pub use pagerduty::PagerDutySink;
pub(crate) use pagerduty::check_routing_key;
pub use webhook::WebhookSink;

use crate::Incident;

/// Delivers one incident somewhere a person will see it.
///
/// Called off the request path, one incident at a time, by [`Delivery`](crate::Delivery),
/// which retries the errors [`DeliveryError::is_retryable`] allows.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use incidents::{DeliveryError, Incident, IncidentLayer, IncidentSink, QueueConfig};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// /// Keeps the dedup keys it was handed, in order.
/// #[derive(Clone, Default)]
/// struct Inbox(Arc<Mutex<Vec<String>>>);
///
/// impl IncidentSink for Inbox {
///     async fn deliver(&self, incident: &Incident) -> Result<(), DeliveryError> {
///         self.0.lock().unwrap().push(incident.dedup_key());
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let inbox = Inbox::default();
/// let (layer, delivery) = IncidentLayer::with_sink(inbox.clone(), QueueConfig::default()).unwrap();
/// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
///     tracing::warn!(incident = "memory_overload", source = "cache", "90% of the budget");
/// });
/// delivery.run().await;
/// assert_eq!(*inbox.0.lock().unwrap(), ["memory_overload/cache"]);
/// # }
/// ```
pub trait IncidentSink: Send + Sync + 'static {
    /// Delivers `incident` once.
    fn deliver(
        &self,
        incident: &Incident,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The endpoint could not be reached, or the connection broke: retried.
    #[error("could not reach {endpoint}: {reason}")]
    Network {
        /// The URL, without credentials.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// No answer within the request timeout: retried.
    #[error("{endpoint} did not answer within {timeout:?}")]
    Timeout {
        /// The URL.
        endpoint: String,
        /// The timeout.
        timeout: Duration,
    },
    /// The endpoint answered with an error status: retried on `429` and `5xx` (after
    /// `Retry-After` when it says so), never on another `4xx`.
    #[error("{endpoint} answered {status}: {body}")]
    Status {
        /// The URL.
        endpoint: String,
        /// The status.
        status: ::http::StatusCode,
        /// The start of the body, for the log.
        body: String,
        /// The endpoint's `Retry-After`, in seconds.
        retry_after: Option<Duration>,
    },
    /// The incident cannot be delivered as it is: never retried.
    #[error("cannot deliver: {0}")]
    Invalid(String),
}

impl DeliveryError {
    /// Whether the same delivery may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Network { .. } | DeliveryError::Timeout { .. } => true,
            DeliveryError::Status { status, .. } => {
                *status == ::http::StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
            DeliveryError::Invalid(_) => false,
        }
    }

    /// How long the endpoint asked to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

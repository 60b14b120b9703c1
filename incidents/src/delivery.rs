//! The worker that takes incidents off the queue and hands them to the sink, with retries.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::QueueConfig;
use crate::sink::{DeliveryError, IncidentSink};
use crate::stats::DeliveryStats;
use crate::{Action, Incident};

/// Delivers queued incidents to a sink, one at a time and in order (a resolve never overtakes
/// its trigger); spawn [`Delivery::run`] on the runtime.
///
/// A retryable error ([`DeliveryError::is_retryable`]) is retried after a backoff that starts at
/// `initial_backoff` and doubles up to `max_backoff` (longer if the endpoint's `Retry-After`
/// asks), for at most `max_attempts` attempts; any other error gives up at once. `run` returns
/// once every [`IncidentLayer`](crate::IncidentLayer) is dropped and the queue is empty.
#[derive(Debug)]
pub struct Delivery<S> {
    queue: mpsc::Receiver<Incident>,
    sink: S,
    policy: QueueConfig,
    stats: DeliveryStats,
}

impl<S: IncidentSink> Delivery<S> {
    pub(crate) fn new(
        queue: mpsc::Receiver<Incident>,
        sink: S,
        policy: QueueConfig,
        stats: DeliveryStats,
    ) -> Self {
        Self {
            queue,
            sink,
            policy,
            stats,
        }
    }

    /// The counters this delivery updates.
    pub fn stats(&self) -> &DeliveryStats {
        &self.stats
    }

    /// Delivers incidents until the queue closes.
    pub async fn run(mut self) {
        while let Some(incident) = self.queue.recv().await {
            self.deliver(&incident).await;
        }
    }

    async fn deliver(&self, incident: &Incident) {
        let mut attempt = 1;
        loop {
            let error = match self.sink.deliver(incident).await {
                Ok(()) => {
                    self.stats.count_delivered();
                    return;
                }
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= self.policy.max_attempts {
                self.stats.count_failed();
                tracing::error!(
                    target: "incidents::delivery",
                    alert_kind = %incident.kind,
                    alert_source = %incident.source,
                    resolve = incident.action == Action::Resolve,
                    attempts = attempt,
                    %error,
                    "incident alert not delivered"
                );
                return;
            }
            let wait = self.backoff(attempt, &error);
            tracing::warn!(
                target: "incidents::delivery",
                alert_kind = %incident.kind,
                attempt,
                retry_in_ms = wait.as_millis() as u64,
                %error,
                "incident alert delivery failed; retrying"
            );
            self.stats.count_retry();
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The wait after failed attempt number `attempt` (the first is 1).
    fn backoff(&self, attempt: u32, error: &DeliveryError) -> Duration {
        let doubled = self
            .policy
            .initial_backoff
            .saturating_mul(1 << (attempt - 1).min(20));
        doubled
            .max(error.retry_after().unwrap_or_default())
            .min(self.policy.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Arc;
    use std::time::SystemTime;

    use http::StatusCode;
    use parking_lot::Mutex;
    use tokio::time::Instant;

    use super::*;
    use crate::Severity;

    /// A sink answering from a script and noting when each attempt came.
    #[derive(Clone, Default)]
    struct Scripted {
        replies: Arc<Mutex<VecDeque<Result<(), DeliveryError>>>>,
        attempts: Arc<Mutex<Vec<Instant>>>,
    }

    impl IncidentSink for Scripted {
        async fn deliver(&self, _: &Incident) -> Result<(), DeliveryError> {
            self.attempts.lock().push(Instant::now());
            self.replies.lock().pop_front().unwrap_or(Ok(()))
        }
    }

    fn status(code: u16, retry_after: Option<u64>) -> Result<(), DeliveryError> {
        Err(DeliveryError::Status {
            endpoint: "http://sink/".into(),
            status: StatusCode::from_u16(code).unwrap(),
            body: String::new(),
            retry_after: retry_after.map(Duration::from_secs),
        })
    }

    fn incident() -> Incident {
        Incident {
            action: Action::Trigger,
            kind: "disk_full".into(),
            source: "test".into(),
            severity: Severity::Critical,
            summary: "disk full".into(),
            details: BTreeMap::new(),
            timestamp: SystemTime::UNIX_EPOCH,
        }
    }

    async fn run(
        replies: Vec<Result<(), DeliveryError>>,
        policy: QueueConfig,
    ) -> (Vec<u64>, DeliveryStats) {
        let sink = Scripted::default();
        sink.replies.lock().extend(replies);
        let (sender, receiver) = mpsc::channel(1);
        let stats = DeliveryStats::default();
        let delivery = Delivery::new(receiver, sink.clone(), policy, stats.clone());
        sender.send(incident()).await.unwrap();
        drop(sender);
        let start = Instant::now();
        delivery.run().await;
        let offsets = sink
            .attempts
            .lock()
            .iter()
            .map(|at| (*at - start).as_secs())
            .collect();
        (offsets, stats)
    }

    fn policy(max_attempts: u32) -> QueueConfig {
        QueueConfig {
            max_attempts,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            ..QueueConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_honours_retry_after_and_caps() {
        let replies = vec![
            status(429, Some(3)),
            status(500, None),
            status(502, None),
            status(503, None),
        ];
        let (offsets, stats) = run(replies, policy(6)).await;
        assert_eq!(offsets, [0, 3, 5, 9, 14]);
        assert_eq!((stats.delivered(), stats.retries()), (1, 4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_is_not_retried() {
        let replies = vec![status(403, None)];
        let (offsets, stats) = run(replies, policy(6)).await;
        assert_eq!(offsets, [0]);
        assert_eq!((stats.failed(), stats.retries()), (1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn timeouts_and_network_errors_are_retried_up_to_the_limit() {
        let timeout = || {
            Err(DeliveryError::Timeout {
                endpoint: "http://sink/".into(),
                timeout: Duration::from_secs(10),
            })
        };
        let network = || {
            Err(DeliveryError::Network {
                endpoint: "http://sink/".into(),
                reason: "connection refused".into(),
            })
        };
        let (offsets, stats) = run(vec![timeout(), network(), timeout()], policy(3)).await;
        assert_eq!(offsets, [0, 1, 3]);
        assert_eq!((stats.failed(), stats.delivered()), (1, 0));
    }
}

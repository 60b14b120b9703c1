//! Counts of what happened to incidents, for tests and health pages; mirrored as metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by an [`IncidentLayer`](crate::IncidentLayer) and its
/// [`Delivery`](crate::Delivery); cheap to clone.
///
/// Each count is also a `metrics` counter: `incidents.delivered`, `incidents.failed`,
/// `incidents.dropped` (queue full), `incidents.retries` and `incidents.suppressed` (a trigger
/// for an incident already open, or a resolve for one not open).
#[derive(Debug, Clone, Default)]
pub struct DeliveryStats(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
    suppressed: AtomicU64,
}

macro_rules! counts {
    ($($field:ident, $bump:ident, $metric:literal, $doc:literal;)*) => {
        impl DeliveryStats {
            $(
                #[doc = $doc]
                pub fn $field(&self) -> u64 {
                    self.0.$field.load(Ordering::Relaxed)
                }

                pub(crate) fn $bump(&self) {
                    self.0.$field.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!($metric).increment(1);
                }
            )*
        }
    };
}

counts! {
    delivered, count_delivered, "incidents.delivered", "Incidents the sink accepted.";
    failed, count_failed, "incidents.failed", "Incidents given up on (a permanent error, or every attempt failed).";
    dropped, count_dropped, "incidents.dropped", "Incidents dropped because the queue was full.";
    retries, count_retry, "incidents.retries", "Attempts repeated after a retryable error.";
    suppressed, count_suppressed, "incidents.suppressed", "Duplicate triggers and unmatched resolves not sent.";
}

//! What became of a request, as the span's `outcome` field and the `idempotency.requests` counter.

use std::sync::OnceLock;

use metrics::Counter;
use tracing::Span;

/// The outcome of one request through the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The handler ran under a claim.
    Executed,
    /// A stored response was replayed.
    Replayed,
    /// A duplicate of a request in flight was refused (409).
    Conflict,
    /// The key was first used with another request (422).
    Mismatch,
    /// The layer refused the request (bad key, body limits, store failure, unreadable record).
    Rejected,
    /// The request is not covered, or carries no key where none is required.
    PassThrough,
    /// The store failed and the handler ran without a claim.
    FailOpen,
}

impl Outcome {
    /// How many outcomes there are.
    const COUNT: usize = 7;

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Executed => "executed",
            Outcome::Replayed => "replayed",
            Outcome::Conflict => "conflict",
            Outcome::Mismatch => "mismatch",
            Outcome::Rejected => "rejected",
            Outcome::PassThrough => "pass-through",
            Outcome::FailOpen => "fail-open",
        }
    }

    /// Records the outcome on `span` and counts it in `counters`.
    pub(crate) fn record(self, span: &Span, counters: &OutcomeCounters) {
        span.record("outcome", self.as_str());
        counters.count(self);
    }

    /// Registers this outcome's counter with the installed recorder.
    fn register(self) -> Counter {
        metrics::counter!("idempotency.requests", "outcome" => self.as_str())
    }
}

/// The `idempotency.requests` counter of each outcome, registered once per layer and then reused.
///
/// Registering looks the key up in the recorder's registry: with the Prometheus exporter that cost
/// about 3,000 instructions a request (callgrind, on the bench's pass-through and replay). Each
/// counter is registered on its first use rather than when the layer is built, so a recorder
/// installed after the layer but before the first request still receives every count.
#[derive(Debug, Default)]
pub(crate) struct OutcomeCounters([OnceLock<Counter>; Outcome::COUNT]);

impl OutcomeCounters {
    /// Counts one request with `outcome`.
    pub(crate) fn count(&self, outcome: Outcome) {
        self.0[outcome as usize]
            .get_or_init(|| outcome.register())
            .increment(1);
    }
}

#[cfg(test)]
mod tests {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    use super::*;

    #[test]
    fn each_outcome_is_counted_under_its_label_by_the_recorder_of_its_first_use() {
        let counters = OutcomeCounters::default();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            for _ in 0..3 {
                counters.count(Outcome::PassThrough);
            }
            counters.count(Outcome::Executed);
        });
        let mut counts: Vec<(String, u64)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let key = key.key();
                assert_eq!(key.name(), "idempotency.requests");
                let outcome = key.labels().find(|l| l.key() == "outcome").unwrap();
                let DebugValue::Counter(count) = value else {
                    panic!("a counter");
                };
                (outcome.value().to_owned(), count)
            })
            .collect();
        counts.sort();
        assert_eq!(
            counts,
            [
                (String::from("executed"), 1),
                (String::from("pass-through"), 3)
            ]
        );
    }
}

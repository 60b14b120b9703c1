//! What became of a request, as the span's `outcome` field and the `idempotency.requests` counter.

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

    /// Records the outcome on `span` and counts it.
    pub(crate) fn record(self, span: &Span) {
        span.record("outcome", self.as_str());
        self.count();
    }

    /// Counts the outcome (a pass-through, which has no span, is only counted).
    pub(crate) fn count(self) {
        // One literal label per arm: the macro then builds a static key, with no allocation.
        let counter = match self {
            Outcome::Executed => metrics::counter!("idempotency.requests", "outcome" => "executed"),
            Outcome::Replayed => metrics::counter!("idempotency.requests", "outcome" => "replayed"),
            Outcome::Conflict => metrics::counter!("idempotency.requests", "outcome" => "conflict"),
            Outcome::Mismatch => metrics::counter!("idempotency.requests", "outcome" => "mismatch"),
            Outcome::Rejected => metrics::counter!("idempotency.requests", "outcome" => "rejected"),
            Outcome::PassThrough => {
                metrics::counter!("idempotency.requests", "outcome" => "pass-through")
            }
            Outcome::FailOpen => {
                metrics::counter!("idempotency.requests", "outcome" => "fail-open")
            }
        };
        counter.increment(1);
    }
}

//! The [`OperationGuard`].

use std::time::Duration;

use quanta::Instant;

use super::Operation;

/// Times one run of an [`Operation`]; records when dropped, or when [finished](Self::finish).
#[derive(Debug)]
#[must_use = "the operation is timed until the guard is dropped"]
pub struct OperationGuard {
    operation: Operation,
    start: Option<Instant>,
}

impl OperationGuard {
    pub(super) fn new(operation: Operation, start: Instant) -> Self {
        Self {
            operation,
            start: Some(start),
        }
    }

    /// Records the run now and returns how long it took.
    pub fn finish(mut self) -> Duration {
        self.record()
    }

    fn record(&mut self) -> Duration {
        let Some(start) = self.start.take() else {
            return Duration::ZERO;
        };
        let elapsed = self
            .operation
            .0
            .clock
            .now()
            .saturating_duration_since(start);
        self.operation.record(elapsed);
        elapsed
    }
}

impl Drop for OperationGuard {
    fn drop(&mut self) {
        self.record();
    }
}

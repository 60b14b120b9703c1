//! Timing the application's own work that is not an HTTP request: a named operation records
//! `operation.duration` (seconds, label `operation` plus its own) and warns when it was slow.
//!
//! Build each [`Operation`] once (that registers its histogram) and time it many times, with a
//! guard ([`Operation::start`]) or by wrapping a future ([`Operation::instrument`]).
//!
//! # Example
//!
//! ```
//! use profiling::Operations;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let operations = Operations::new();
//! let import = operations.operation("import", &[("source", "s3")]);
//!
//! {
//!     let _timer = import.start();
//!     // ... the work; recorded when the guard drops, even on an early return.
//! }
//! let rows = import.instrument(async { 42 }).await;
//! assert_eq!(rows, 42);
//! # }
//! ```

mod future;
mod guard;

use std::sync::Arc;
use std::time::Duration;

use metrics::{Histogram, IntoLabels, Label, SharedString};
use quanta::Clock;

use crate::config::ProfilingConfig;
use crate::error::ConfigError;
use crate::names::{OPERATION, OPERATION_DURATION};

pub use self::future::Instrumented;
pub use self::guard::OperationGuard;

/// Makes [`Operation`]s that share a clock and a slow threshold.
#[derive(Debug, Clone)]
pub struct Operations {
    clock: Clock,
    slow_threshold: Duration,
}

impl Operations {
    /// Operations with the default threshold (100 ms) and the real clock.
    pub fn new() -> Self {
        Self::from_config(&ProfilingConfig::default())
            .expect("the default profiling config is valid")
    }

    /// Operations with `config`'s slow threshold, once the config is validated.
    pub fn from_config(config: &ProfilingConfig) -> Result<Self, ConfigError> {
        let config = config.validated()?;
        crate::describe::operation();
        Ok(Self {
            clock: Clock::new(),
            slow_threshold: config.slow_threshold,
        })
    }

    /// The same factory reading time from `clock` (tests pass `quanta::Clock::mock()`).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The operation called `name`, with `labels` added to every recording. Registers its
    /// histogram with the installed recorder, so build it once and keep it.
    pub fn operation(&self, name: impl Into<SharedString>, labels: impl IntoLabels) -> Operation {
        let name = name.into();
        let mut all = vec![Label::new(OPERATION, name.clone())];
        all.extend(labels.into_labels());
        let histogram = metrics::histogram!(OPERATION_DURATION, all.iter());
        Operation(Arc::new(Inner {
            name,
            labels: all,
            histogram,
            clock: self.clock.clone(),
            slow_threshold: self.slow_threshold,
        }))
    }
}

impl Default for Operations {
    fn default() -> Self {
        Self::new()
    }
}

/// A named, labelled operation: cheap to clone, and timed by [`start`](Self::start) or
/// [`instrument`](Self::instrument).
#[derive(Debug, Clone)]
pub struct Operation(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    name: SharedString,
    labels: Vec<Label>,
    histogram: Histogram,
    clock: Clock,
    slow_threshold: Duration,
}

impl Operation {
    /// Starts timing; the guard records when it is dropped or [finished](OperationGuard::finish).
    pub fn start(&self) -> OperationGuard {
        OperationGuard::new(self.clone(), self.0.clock.now())
    }

    /// Times `future` from its first poll to its completion.
    pub fn instrument<F>(&self, future: F) -> Instrumented<F> {
        Instrumented::new(self.clone(), future)
    }

    /// Records one run that took `elapsed`, and warns when it was slow.
    fn record(&self, elapsed: Duration) {
        let op = &self.0;
        op.histogram.record(elapsed.as_secs_f64());
        if elapsed > op.slow_threshold {
            let labels: Vec<_> = op.labels[1..]
                .iter()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            tracing::warn!(
                operation = &*op.name,
                labels = labels.join(","),
                latency_ms = elapsed.as_secs_f64() * 1e3,
                threshold_ms = op.slow_threshold.as_secs_f64() * 1e3,
                "slow operation"
            );
        }
    }
}

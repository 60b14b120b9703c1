//! Building a layer: configuration plus the hooks a file cannot carry.

use std::fmt;
use std::sync::Arc;

use crate::breaker::Breaker;
use crate::classify::ServerErrorsAsFailures;
use crate::clock::{Clock, SystemClock};
use crate::config::{CircuitBreakerConfig, ConfigError};
use crate::layer::CircuitBreakerLayer;
use crate::listener::Listener;
use crate::signals::Signals;

/// Builds a [`CircuitBreakerLayer`]; from [`CircuitBreakerLayer::builder`].
///
/// Metrics handles are registered by [`Builder::build`]: install the `metrics` recorder first.
#[must_use]
pub struct Builder<C = ServerErrorsAsFailures> {
    config: CircuitBreakerConfig,
    classifier: C,
    listener: Box<dyn Listener>,
    clock: Box<dyn Clock>,
}

impl Builder {
    pub(crate) fn new(config: CircuitBreakerConfig) -> Self {
        Self {
            config,
            classifier: ServerErrorsAsFailures,
            listener: Box::new(()),
            clock: Box::new(SystemClock::new()),
        }
    }
}

impl<C> Builder<C> {
    /// Classifies outcomes with `classifier` (a [`Classify`](crate::Classify) implementation
    /// or a closure) instead of [`ServerErrorsAsFailures`].
    pub fn classify<C2>(self, classifier: C2) -> Builder<C2> {
        Builder {
            config: self.config,
            classifier,
            listener: self.listener,
            clock: self.clock,
        }
    }

    /// Calls `listener` on every state change.
    pub fn listener(mut self, listener: impl Listener) -> Self {
        self.listener = Box::new(listener);
        self
    }

    /// Reads time from `clock` instead of the [`SystemClock`] (tests pass a
    /// [`TokioClock`](crate::TokioClock) to follow paused time).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Validates the configuration and builds the layer, closed.
    pub fn build(self) -> Result<CircuitBreakerLayer<C>, ConfigError> {
        self.config.validate()?;
        let name: Arc<str> = self.config.name.as_str().into();
        let signals = Signals::new(name, self.listener);
        let breaker = Breaker::new(&self.config, self.clock, signals);
        Ok(CircuitBreakerLayer::from_parts(breaker, self.classifier))
    }
}

impl<C: fmt::Debug> fmt::Debug for Builder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("classifier", &self.classifier)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

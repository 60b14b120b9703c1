//! The [`IdempotencyLayerBuilder`].

use std::fmt;
use std::sync::Arc;

use cache_core::Store;

use crate::config::IdempotencyConfig;
use crate::error::ConfigError;
use crate::hooks::{PrincipalHook, ReplaySanitizer, RequestPredicate};
use crate::layer::IdempotencyLayer;
use crate::local::LocalCache;
use crate::shared::Shared;

/// Builds an [`IdempotencyLayer`]: a store, a configuration and the hooks.
#[must_use]
pub struct IdempotencyLayerBuilder {
    store: Arc<dyn Store>,
    config: IdempotencyConfig,
    principal: Box<dyn PrincipalHook>,
    predicate: Box<dyn RequestPredicate>,
    sanitizer: Box<dyn ReplaySanitizer>,
}

impl IdempotencyLayerBuilder {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            config: IdempotencyConfig::default(),
            principal: Box::new(()),
            predicate: Box::new(()),
            sanitizer: Box::new(()),
        }
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: IdempotencyConfig) -> Self {
        self.config = config;
        self
    }

    /// Changes the configuration in place.
    pub fn configure(mut self, change: impl FnOnce(&mut IdempotencyConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Scopes stored keys by the principal `hook` reads from each request.
    pub fn principal(mut self, hook: impl PrincipalHook) -> Self {
        self.principal = Box::new(hook);
        self
    }

    /// Covers only the requests (of the configured methods) `predicate` accepts.
    pub fn predicate(mut self, predicate: impl RequestPredicate) -> Self {
        self.predicate = Box::new(predicate);
        self
    }

    /// Decides which response headers and trailers are stored for replay.
    pub fn sanitizer(mut self, sanitizer: impl ReplaySanitizer) -> Self {
        self.sanitizer = Box::new(sanitizer);
        self
    }

    /// Validates the configuration and builds the layer.
    pub fn build(self) -> Result<IdempotencyLayer, ConfigError> {
        let settings = self.config.settings()?;
        let local = (self.config.local_cache.capacity > 0).then(|| {
            LocalCache::new(
                self.config.local_cache.capacity,
                self.config.local_cache.ttl,
            )
        });
        Ok(IdempotencyLayer::from_shared(Shared::new(
            self.store,
            settings,
            self.principal,
            self.predicate,
            self.sanitizer,
            local,
        )))
    }
}

impl fmt::Debug for IdempotencyLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyLayerBuilder")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

//! The [`IdempotencyLayer`].

use std::sync::Arc;

use cache_core::Store;
use tower_layer::Layer;

use crate::builder::IdempotencyLayerBuilder;
use crate::service::Idempotency;
use crate::shared::Shared;

/// Applies [`Idempotency`] to a service. Cheap to clone: clones share the store, the settings
/// and the body budget.
///
/// Built with [`IdempotencyLayer::builder`], which validates the configuration.
#[derive(Debug, Clone)]
pub struct IdempotencyLayer {
    shared: Arc<Shared>,
}

impl IdempotencyLayer {
    /// A builder for a layer over `store`, with the default configuration and hooks.
    pub fn builder(store: Arc<dyn Store>) -> IdempotencyLayerBuilder {
        IdempotencyLayerBuilder::new(store)
    }

    pub(crate) fn from_shared(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }
}

impl<S> Layer<S> for IdempotencyLayer {
    type Service = Idempotency<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Idempotency::new(inner, Arc::clone(&self.shared))
    }
}

//! [`ServiceBuilder`] methods for the layer of this crate.

use tower::ServiceBuilder;
use tower::layer::util::Stack;

use crate::ErrorMappingLayer;

mod sealed {
    pub trait Sealed {}
    impl<L> Sealed for tower::ServiceBuilder<L> {}
}

/// Adds [`ErrorMappingLayer`] to a [`ServiceBuilder`].
///
/// ```
/// use error_mapping::{ErrorMappingLayer, ServiceBuilderExt};
/// use tower::ServiceBuilder;
///
/// let builder = ServiceBuilder::new().error_mapping(ErrorMappingLayer::new());
/// # let _ = builder;
/// ```
pub trait ServiceBuilderExt<L>: sealed::Sealed {
    /// Wraps the services built next in `layer`; call it first, so it is outermost.
    fn error_mapping(self, layer: ErrorMappingLayer)
    -> ServiceBuilder<Stack<ErrorMappingLayer, L>>;
}

impl<L> ServiceBuilderExt<L> for ServiceBuilder<L> {
    fn error_mapping(
        self,
        layer: ErrorMappingLayer,
    ) -> ServiceBuilder<Stack<ErrorMappingLayer, L>> {
        self.layer(layer)
    }
}

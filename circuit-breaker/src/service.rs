//! The service a [`CircuitBreakerLayer`](crate::CircuitBreakerLayer) wraps around another.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tower_service::Service;

use crate::breaker::{Breaker, Permit};
use crate::classify::{Classify, ServerErrorsAsFailures};
use crate::error::{BoxError, CircuitOpen};
use crate::future::ResponseFuture;

/// Guards an inner service with a breaker shared by every clone.
///
/// `poll_ready` decides the next call's fate: closed, it waits for the inner service; half-open,
/// it reserves a probe slot first; open, or with no slot left, it answers `Ready` at once
/// without polling the inner service, and the call is rejected with [`CircuitOpen`].
pub struct CircuitBreaker<S, C = ServerErrorsAsFailures> {
    inner: S,
    classifier: C,
    breaker: Arc<Breaker>,
    permit: Option<Permit>,
}

impl<S, C> CircuitBreaker<S, C> {
    pub(crate) fn new(inner: S, classifier: C, breaker: Arc<Breaker>) -> Self {
        Self {
            inner,
            classifier,
            breaker,
            permit: None,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Frees a reserved probe slot that no call will use.
    fn free_permit(&mut self) {
        if let Some(Permit::Probe { cycle }) = self.permit.take() {
            self.breaker.release(cycle);
        }
    }
}

impl<S, C, Req> Service<Req> for CircuitBreaker<S, C>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    C: Classify<S::Response, S::Error> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // A pass is decided afresh on every poll (one atomic load when closed): a breaker that
        // opened while the inner service was not ready turns the caller away at once.
        let permit = match self.permit.take() {
            None | Some(Permit::Pass) => self.breaker.acquire(),
            Some(kept) => kept,
        };
        if let Permit::Reject(_) = self.permit.insert(permit) {
            return Poll::Ready(Ok(()));
        }
        if let Err(error) = ready!(self.inner.poll_ready(cx)) {
            self.free_permit();
            return Poll::Ready(Err(error.into()));
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let permit = self.permit.take().expect("poll_ready must be called first");
        match self.breaker.admit(permit) {
            Ok(ticket) => ResponseFuture::called(
                self.inner.call(request),
                self.breaker.clone(),
                ticket,
                self.classifier.clone(),
            ),
            Err(rejection) => {
                self.breaker.count_rejection();
                ResponseFuture::rejected(CircuitOpen::new(
                    self.breaker.name().clone(),
                    rejection.state,
                    rejection.retry_after,
                ))
            }
        }
    }
}

impl<S: Clone, C: Clone> Clone for CircuitBreaker<S, C> {
    /// The clone shares the breaker but not the permit: a probe slot reserved by `self` belongs
    /// to the call `self` is about to make, so the clone must reserve its own in `poll_ready`.
    fn clone(&self) -> Self {
        Self::new(
            self.inner.clone(),
            self.classifier.clone(),
            self.breaker.clone(),
        )
    }
}

impl<S, C> Drop for CircuitBreaker<S, C> {
    /// A probe slot reserved by `poll_ready` and never called would otherwise stay taken until
    /// the next cycle: tower's router clones the service per request and may drop the clone.
    fn drop(&mut self) {
        self.free_permit();
    }
}

impl<S: fmt::Debug, C: fmt::Debug> fmt::Debug for CircuitBreaker<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("inner", &self.inner)
            .field("classifier", &self.classifier)
            .field("breaker", self.breaker.name())
            .field("permit", &self.permit)
            .finish()
    }
}

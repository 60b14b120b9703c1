//! The [`ErrorMapping`] service.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::respond::Responder;
use crate::render::Wire;
use crate::{BoxError, ResponseBody};

/// A service whose every failure is a problem response carrying the request's id.
///
/// Its error type is [`Infallible`](std::convert::Infallible): inner errors, panics and (when
/// configured) bare error responses all come out as responses. Built by
/// [`ErrorMappingLayer`](crate::ErrorMappingLayer).
#[derive(Debug)]
pub struct ErrorMapping<S> {
    inner: S,
    responder: Arc<Responder>,
    /// An error the inner service returned from `poll_ready`, answered to the next call.
    ready_error: Option<BoxError>,
}

impl<S> ErrorMapping<S> {
    pub(super) fn new(inner: S, responder: Arc<Responder>) -> Self {
        Self {
            inner,
            responder,
            ready_error: None,
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

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone> Clone for ErrorMapping<S> {
    /// A clone has polled nothing yet, so it holds no readiness error: that error belongs to
    /// the next call on the original.
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), Arc::clone(&self.responder))
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ErrorMapping<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ResBody: http_body::Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = std::convert::Infallible;
    type Future = ResponseFuture<S::Future>;

    /// Ready when the inner service is, or when it failed: that failure becomes the response to
    /// the next call, which then does not reach the inner service.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.ready_error.is_none() {
            match self.inner.poll_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => self.ready_error = Some(error.into()),
            }
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let request_id = self.responder.request_id(&mut request);
        request.extensions_mut().insert(request_id.clone());
        let wire = Wire::of(request.headers());
        let span = tracing::info_span!("request", request_id = %request_id);
        let responder = Arc::clone(&self.responder);
        if let Some(error) = self.ready_error.take() {
            return ResponseFuture::failed(error, responder, request_id, wire, span);
        }
        let called = {
            let _entered = span.enter();
            catch_unwind(AssertUnwindSafe(|| self.inner.call(request)))
        };
        match called {
            Ok(future) => ResponseFuture::running(future, responder, request_id, wire, span),
            Err(payload) => ResponseFuture::panicked(payload, responder, request_id, wire, span),
        }
    }
}

//! The [`HttpMetrics`] service.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::recorder::HttpRecorder;

/// Records `http.server.request.duration` and `http.server.active_requests` for every request,
/// and warns about slow ones. Built by [`HttpMetricsLayer`](super::HttpMetricsLayer).
#[derive(Debug, Clone)]
pub struct HttpMetrics<S> {
    inner: S,
    recorder: Arc<HttpRecorder>,
}

impl<S> HttpMetrics<S> {
    pub(crate) fn new(inner: S, recorder: Arc<HttpRecorder>) -> Self {
        Self { inner, recorder }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HttpMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let in_flight = self.recorder.start(&request);
        ResponseFuture::new(self.inner.call(request), in_flight)
    }
}

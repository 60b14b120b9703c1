//! The [`GrpcMetrics`] service.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::body::ResponseBody;
use super::future::ResponseFuture;
use super::recorder::GrpcRecorder;

/// Records `rpc.server.call.duration` for every call, and warns about slow ones. Built by
/// [`GrpcMetricsLayer`](super::GrpcMetricsLayer).
#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    recorder: Arc<GrpcRecorder>,
}

impl<S> GrpcMetrics<S> {
    pub(crate) fn new(inner: S, recorder: Arc<GrpcRecorder>) -> Self {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let call = self.recorder.start(&request);
        ResponseFuture::new(self.inner.call(request), call)
    }
}

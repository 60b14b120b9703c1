//! The response future of [`GrpcMetrics`](super::GrpcMetrics).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use super::attributes::{self, UNKNOWN};
use super::body::ResponseBody;
use super::recorder::Call;

pin_project! {
    /// Hands the call to the response body, or records it at once for a trailers-only response
    /// (the status in the headers) or a failed inner service.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, call: Call) -> Self {
        Self {
            inner,
            call: Some(call),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut call = this
            .call
            .take()
            .expect("ResponseFuture polled after completion");
        Poll::Ready(match result {
            Ok(response) => {
                call.answered(response.status());
                if let Some(status) = attributes::status(response.headers()) {
                    call.finish(status, false);
                }
                Ok(response.map(|body| ResponseBody::new(body, call)))
            }
            Err(error) => {
                call.finish(UNKNOWN, true);
                Err(error)
            }
        })
    }
}

//! The response future of [`HttpMetrics`](super::HttpMetrics).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use super::attributes::Outcome;
use super::recorder::InFlight;

pin_project! {
    /// Records the request when the inner service produces the response head (or fails).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<InFlight>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, in_flight: InFlight) -> Self {
        Self {
            inner,
            in_flight: Some(in_flight),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let in_flight = this
            .in_flight
            .take()
            .expect("ResponseFuture polled after completion");
        match &result {
            Ok(response) => in_flight.finish(Outcome::Status(response.status())),
            Err(_) => in_flight.finish(Outcome::Error),
        }
        Poll::Ready(result)
    }
}

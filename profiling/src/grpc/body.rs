//! The response body of [`GrpcMetrics`](super::GrpcMetrics): the call ends with its trailers.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::attributes::{self, UNKNOWN};
use super::recorder::Call;

pin_project! {
    /// Records the call when its trailers (`grpc-status`) go out, or when the stream ends or fails
    /// without them; dropped before that, the call is recorded as `CANCELLED`.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        call: Call,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, call: Call) -> Self {
        Self { inner, call }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let status = attributes::status(trailers).unwrap_or(UNKNOWN);
                    this.call.finish(status, false);
                }
            }
            Some(Err(_)) => this.call.finish(UNKNOWN, true),
            None => this.call.finish(UNKNOWN, false),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

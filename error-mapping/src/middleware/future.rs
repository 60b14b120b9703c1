//! The response future of [`ErrorMapping`](crate::ErrorMapping).

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;
use tracing::Span;

use super::respond::{Outcome, Responder};
use crate::render::Wire;
use crate::{BoxError, RequestId, ResponseBody};

pin_project! {
    /// The response of [`ErrorMapping`](crate::ErrorMapping): the inner one with the request id
    /// added, or a problem.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        finish: Option<Finish>,
        span: Span,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running { #[pin] future: F },
        Failed { error: Option<BoxError> },
        Panicked { payload: Option<Box<dyn Any + Send>> },
    }
}

/// What the response needs once the outcome is known.
struct Finish {
    responder: Arc<Responder>,
    request_id: RequestId,
    wire: Wire,
}

impl<F> ResponseFuture<F> {
    pub(super) fn running(
        future: F,
        responder: Arc<Responder>,
        request_id: RequestId,
        wire: Wire,
        span: Span,
    ) -> Self {
        Self::with_state(State::Running { future }, responder, request_id, wire, span)
    }

    pub(super) fn failed(
        error: BoxError,
        responder: Arc<Responder>,
        request_id: RequestId,
        wire: Wire,
        span: Span,
    ) -> Self {
        let state = State::Failed { error: Some(error) };
        Self::with_state(state, responder, request_id, wire, span)
    }

    pub(super) fn panicked(
        payload: Box<dyn Any + Send>,
        responder: Arc<Responder>,
        request_id: RequestId,
        wire: Wire,
        span: Span,
    ) -> Self {
        let state = State::Panicked {
            payload: Some(payload),
        };
        Self::with_state(state, responder, request_id, wire, span)
    }

    fn with_state(
        state: State<F>,
        responder: Arc<Responder>,
        request_id: RequestId,
        wire: Wire,
        span: Span,
    ) -> Self {
        let finish = Some(Finish {
            responder,
            request_id,
            wire,
        });
        Self {
            state,
            finish,
            span,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
    B: http_body::Body,
{
    type Output = Result<Response<ResponseBody<B>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(
            this.finish.is_some(),
            "ResponseFuture polled after completion"
        );
        let _entered = this.span.enter();
        let outcome = match this.state.project() {
            StateProj::Running { future } => match ready!(poll_catching_panics(future, cx)) {
                Ok(Ok(response)) => Outcome::Response(response),
                Ok(Err(error)) => Outcome::Error(error.into()),
                Err(payload) => Outcome::Panic(payload),
            },
            StateProj::Failed { error } => Outcome::Error(error.take().expect("taken once")),
            StateProj::Panicked { payload } => Outcome::Panic(payload.take().expect("taken once")),
        };
        let Finish {
            responder,
            request_id,
            wire,
        } = this.finish.take().expect("checked above");
        Poll::Ready(Ok(responder.respond(outcome, request_id, wire)))
    }
}

/// Polls `future`, turning a panic inside it into its payload.
fn poll_catching_panics<F: Future>(
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, Box<dyn Any + Send>>> {
    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
        Err(payload) => Poll::Ready(Err(payload)),
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let request_id = self.finish.as_ref().map(|finish| &finish.request_id);
        f.debug_struct("ResponseFuture")
            .field("request_id", &request_id)
            .finish_non_exhaustive()
    }
}

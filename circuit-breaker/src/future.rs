//! Future types.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use error_mapping::ProblemError;
use pin_project_lite::pin_project;

use crate::breaker::{Breaker, Ticket};
use crate::classify::Classify;
use crate::error::{BoxError, CircuitOpen};

pin_project! {
    /// The response future of [`CircuitBreaker`](crate::CircuitBreaker): the inner call,
    /// recorded when it ends, or an immediate rejection.
    pub struct ResponseFuture<F, C> {
        #[pin]
        kind: Kind<F, C>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, C> {
        Called { #[pin] future: F, call: Option<Call<C>> },
        Rejected { error: Option<CircuitOpen> },
    }
}

impl<F, C> ResponseFuture<F, C> {
    pub(crate) fn called(future: F, breaker: Arc<Breaker>, ticket: Ticket, classifier: C) -> Self {
        let call = Call {
            breaker,
            ticket: Some(ticket),
            classifier,
        };
        Self {
            kind: Kind::Called {
                future,
                call: Some(call),
            },
        }
    }

    pub(crate) fn rejected(error: CircuitOpen) -> Self {
        Self {
            kind: Kind::Rejected { error: Some(error) },
        }
    }
}

impl<F, C, Res, E> Future for ResponseFuture<F, C>
where
    F: Future<Output = Result<Res, E>>,
    E: Into<BoxError>,
    C: Classify<Res, E>,
{
    type Output = Result<Res, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Called { future, call } => {
                let result = ready!(future.poll(cx));
                call.take()
                    .expect("polled after completion")
                    .finish(result.as_ref());
                Poll::Ready(result.map_err(Into::into))
            }
            KindProj::Rejected { error } => {
                let error = error.take().expect("polled after completion");
                Poll::Ready(Err(Box::new(ProblemError::from(error))))
            }
        }
    }
}

/// A call in flight: what its outcome is recorded against. Dropped before the call ends (the
/// caller gave up), it records nothing and frees its probe slot.
struct Call<C> {
    breaker: Arc<Breaker>,
    ticket: Option<Ticket>,
    classifier: C,
}

impl<C> Call<C> {
    fn finish<Res, E>(mut self, result: Result<&Res, &E>)
    where
        C: Classify<Res, E>,
    {
        let ticket = self.ticket.take().expect("a call finishes once");
        let outcome = self.classifier.classify(result);
        let slow = match (ticket.started, self.breaker.slow_call_duration()) {
            (Some(started), Some(threshold)) => self
                .classifier
                .is_slow(self.breaker.elapsed_since(started), threshold),
            _ => false,
        };
        self.breaker.record(ticket, outcome, slow);
    }
}

impl<C> Drop for Call<C> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.breaker.cancel(ticket);
        }
    }
}

impl<F, C> fmt::Debug for ResponseFuture<F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Called { call: Some(_), .. } => "running",
            Kind::Called { call: None, .. } => "done",
            Kind::Rejected { .. } => "rejected",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

//! The [`Instrumented`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::{Operation, OperationGuard};

pin_project! {
    /// A future timed as one run of an [`Operation`], from its first poll to its output. Dropped
    /// before completion, the run is recorded up to the drop.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        operation: Operation,
        guard: Option<OperationGuard>,
    }
}

impl<F> Instrumented<F> {
    pub(super) fn new(operation: Operation, inner: F) -> Self {
        Self {
            inner,
            operation,
            guard: None,
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.guard.is_none() {
            *this.guard = Some(this.operation.start());
        }
        let output = ready!(this.inner.poll(cx));
        if let Some(guard) = this.guard.take() {
            guard.finish();
        }
        Poll::Ready(output)
    }
}

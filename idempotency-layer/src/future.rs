//! The response future of [`Idempotency`](crate::Idempotency).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use error_mapping::BoxError;
use http::Response;
use pin_project_lite::pin_project;

use crate::body::ReplayBody;
use crate::error::Rejection;

/// The boxed protocol future of a request with a key.
pub(crate) type Guarded<B> =
    Pin<Box<dyn Future<Output = Result<Response<ReplayBody<B>>, BoxError>> + Send>>;

pin_project! {
    /// The response future of [`Idempotency`](crate::Idempotency).
    ///
    /// A request without a key polls the inner future in place (nothing boxed, nothing spawned,
    /// no span); a request with a key runs the protocol in one boxed future, small enough for a
    /// replay, whose first execution runs the handler in a second one.
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        PassThrough { #[pin] future: F },
        Rejected { rejection: Option<Rejection> },
        Guarded { future: Guarded<B> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn pass_through(future: F) -> Self {
        Self {
            kind: Kind::PassThrough { future },
        }
    }

    pub(crate) fn rejected(rejection: Rejection) -> Self {
        Self {
            kind: Kind::Rejected {
                rejection: Some(rejection),
            },
        }
    }

    pub(crate) fn guarded(future: Guarded<B>) -> Self {
        Self {
            kind: Kind::Guarded { future },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<ReplayBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::PassThrough { future } => {
                let response = ready!(future.poll(cx)).map_err(Into::into)?;
                Poll::Ready(Ok(response.map(ReplayBody::inner)))
            }
            KindProj::Rejected { rejection } => Poll::Ready(Err(rejection
                .take()
                .expect("ResponseFuture polled after completion")
                .into_box_error())),
            KindProj::Guarded { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::PassThrough { .. } => "PassThrough",
            Kind::Rejected { .. } => "Rejected",
            Kind::Guarded { .. } => "Guarded",
        };
        f.debug_struct("ResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}

//! The [`Idempotency`] service.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use error_mapping::BoxError;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;
use tracing::Instrument;

use crate::body::{ReplayBody, RequestBody};
use crate::error::Rejection;
use crate::flow;
use crate::future::ResponseFuture;
use crate::key::KeyError;
use crate::outcome::Outcome;
use crate::record::IN_FLIGHT_LEN;
use crate::scope::stored_key;
use crate::shared::Shared;

/// Gives the requests it covers Idempotency-Key semantics: the first runs `S`, retries replay its
/// response. Built by [`IdempotencyLayer`](crate::IdempotencyLayer).
///
/// Refusals (a bad key, a duplicate in flight, a reused key, body limits, a failing store) are
/// returned as errors, each an [`error_mapping::ProblemError`] boxed in [`BoxError`], for the
/// error-mapping layer to render as `application/problem+json` (or a gRPC status).
#[derive(Debug)]
pub struct Idempotency<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Idempotency<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// Forwards a request the layer leaves alone, counted but with no span and no box.
    fn pass_through<R, B>(&mut self, request: Request<R>) -> ResponseFuture<S::Future, B>
    where
        S: Service<Request<R>>,
    {
        self.shared.outcomes.count(Outcome::PassThrough);
        ResponseFuture::pass_through(self.inner.call(request))
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

impl<S: Clone> Clone for Idempotency<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Idempotency<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    ReqBody: RequestBody,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<ReplayBody<ResBody>>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        // A request the layer does not cover passes, with or without a key, and so does one
        // without a key where none is required: that costs a method check (and for a covered
        // method the header lookup) and a forward, with no span and no box.
        if !shared.covers_method(request.method()) {
            return self.pass_through(request);
        }
        let (parts, body) = request.into_parts();
        let key = shared.settings.key.extract(&parts.headers);
        let keyless = !shared.settings.require_key && matches!(key, Ok(None));
        if keyless || !shared.covers(&parts) {
            return self.pass_through(Request::from_parts(parts, body));
        }
        let span = tracing::debug_span!("idempotency", outcome = tracing::field::Empty);
        let key = match key {
            Ok(Some(key)) => key,
            Ok(None) => {
                let header = shared.settings.key.header.clone();
                return reject(shared, &span, KeyError::Missing { header });
            }
            Err(error) => return reject(shared, &span, error),
        };
        let principal = shared.principal.principal(&parts);
        let key = stored_key(
            &shared.settings.key_prefix,
            principal.as_deref(),
            &key,
            IN_FLIGHT_LEN,
        );
        // The clone takes the place of the service `poll_ready` made ready, which serves this
        // request.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let future =
            flow::serve(Arc::clone(shared), inner, parts, body, key, span.clone()).instrument(span);
        ResponseFuture::guarded(Box::pin(future))
    }
}

fn reject<F, B>(shared: &Shared, span: &tracing::Span, error: KeyError) -> ResponseFuture<F, B> {
    Outcome::Rejected.record(span, &shared.outcomes);
    tracing::debug!(parent: span, %error, "idempotency key refused");
    ResponseFuture::rejected(Rejection::Key(error))
}

//! The bodies the layer handles: the request body it reads whole (to fingerprint it) and hands
//! on, and the response body it returns, either the handler's own or a buffered one.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use error_mapping::BoxError;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use pin_project_lite::pin_project;

use crate::budget::Reservation;
use crate::error::Rejection;

/// A request body the layer can rebuild after reading it whole to fingerprint it.
///
/// Implemented for the body types of axum (feature `axum`), tonic (feature `tonic`) and
/// `http-body-util`'s `Full` and boxed bodies. A hyper server's `Incoming` body is read into one of
/// these by mapping the request body first (e.g. `axum::body::Body::new`).
pub trait RequestBody: Body<Data = Bytes> + Send + Sized + 'static {
    /// A body that yields `bytes` and ends.
    fn from_bytes(bytes: Bytes) -> Self;
}

impl RequestBody for Full<Bytes> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes)
    }
}

impl<E: Send + 'static> RequestBody for http_body_util::combinators::UnsyncBoxBody<Bytes, E> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync()
    }
}

impl<E: Send + 'static> RequestBody for http_body_util::combinators::BoxBody<Bytes, E> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes).map_err(|never| match never {}).boxed()
    }
}

#[cfg(feature = "axum")]
impl RequestBody for axum::body::Body {
    fn from_bytes(bytes: Bytes) -> Self {
        axum::body::Body::from(bytes)
    }
}

#[cfg(feature = "tonic")]
impl RequestBody for tonic::body::Body {
    fn from_bytes(bytes: Bytes) -> Self {
        tonic::body::Body::new(Full::new(bytes))
    }
}

/// Reads a request body whole, within `limit` bytes and the shared budget.
pub(crate) async fn read_request<B: Body<Data = Bytes>>(
    body: B,
    limit: u64,
    reservation: &mut Reservation,
) -> Result<Bytes, Rejection> {
    let too_large = Rejection::RequestBodyTooLarge { limit };
    if body.size_hint().lower() > limit {
        return Err(too_large);
    }
    let mut body = std::pin::pin!(body);
    let mut chunks = Chunks::default();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Rejection::RequestBodyUnreadable)?;
        if let Ok(data) = frame.into_data() {
            if chunks.len + data.len() as u64 > limit {
                return Err(too_large);
            }
            if !reservation.grow(data.len() as u64) {
                return Err(Rejection::BudgetExhausted);
            }
            chunks.push(data);
        }
    }
    Ok(chunks.concat())
}

/// Data frames of a body, counted; the first is kept apart so that the common body of one frame
/// costs no allocation and is never copied.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    first: Option<Bytes>,
    more: Vec<Bytes>,
    pub(crate) len: u64,
}

impl Chunks {
    pub(crate) fn push(&mut self, data: Bytes) {
        self.len += data.len() as u64;
        if self.first.is_none() {
            self.first = Some(data);
        } else {
            self.more.push(data);
        }
    }

    /// The frames joined into one.
    pub(crate) fn concat(&self) -> Bytes {
        match (&self.first, self.more.is_empty()) {
            (None, _) => Bytes::new(),
            (Some(first), true) => first.clone(),
            (Some(first), false) => {
                let mut joined = Vec::with_capacity(self.len as usize);
                joined.extend_from_slice(first);
                for data in &self.more {
                    joined.extend_from_slice(data);
                }
                joined.into()
            }
        }
    }

    /// The frames, in order.
    pub(crate) fn into_frames(self) -> VecDeque<Bytes> {
        self.first.into_iter().chain(self.more).collect()
    }
}

pin_project! {
    /// The response body of the layer: the handler's own, or one the layer buffered (a kept
    /// response, a replay, or the read part of an oversized one followed by its rest).
    #[derive(Debug)]
    pub struct ReplayBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes>, trailers: Option<HeaderMap> },
        Buffered {
            chunks: VecDeque<Bytes>,
            trailers: Option<HeaderMap>,
            rest: Option<Pin<Box<B>>>,
            error: Option<BoxError>,
        },
    }
}

impl<B> ReplayBody<B> {
    /// The handler's body, untouched.
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// A complete buffered body.
    pub(crate) fn full(data: Bytes, trailers: Option<HeaderMap>) -> Self {
        let data = (!data.is_empty()).then_some(data);
        Self {
            kind: Kind::Full { data, trailers },
        }
    }

    /// Buffered frames, then the unread `rest` of the body, or an `error` it ended with.
    pub(crate) fn buffered(
        chunks: VecDeque<Bytes>,
        trailers: Option<HeaderMap>,
        rest: Option<Pin<Box<B>>>,
        error: Option<BoxError>,
    ) -> Self {
        Self {
            kind: Kind::Buffered {
                chunks,
                trailers,
                rest,
                error,
            },
        }
    }
}

impl<B> Body for ReplayBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx).map_err(Into::into),
            KindProj::Full { data, trailers } => Poll::Ready(match data.take() {
                Some(data) => Some(Ok(Frame::data(data))),
                None => trailers.take().map(|t| Ok(Frame::trailers(t))),
            }),
            KindProj::Buffered {
                chunks,
                trailers,
                rest,
                error,
            } => {
                while let Some(data) = chunks.pop_front() {
                    if !data.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                if let Some(error) = error.take() {
                    return Poll::Ready(Some(Err(error)));
                }
                if let Some(body) = rest {
                    match ready!(body.as_mut().poll_frame(cx)) {
                        Some(frame) => return Poll::Ready(Some(frame.map_err(Into::into))),
                        None => *rest = None,
                    }
                }
                Poll::Ready(trailers.take().map(|t| Ok(Frame::trailers(t))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data, trailers } => data.is_none() && trailers.is_none(),
            Kind::Buffered {
                chunks,
                trailers,
                rest,
                error,
            } => {
                chunks.iter().all(Bytes::is_empty)
                    && trailers.is_none()
                    && error.is_none()
                    && rest.as_ref().is_none_or(|b| b.is_end_stream())
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data, .. } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            Kind::Buffered { chunks, rest, .. } => {
                let buffered: u64 = chunks.iter().map(|c| c.len() as u64).sum();
                match rest {
                    None => SizeHint::with_exact(buffered),
                    Some(rest) => {
                        let hint = rest.size_hint();
                        let mut sum = SizeHint::new();
                        sum.set_lower(buffered + hint.lower());
                        if let Some(upper) = hint.upper() {
                            sum.set_upper(buffered + upper);
                        }
                        sum
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;

    /// A body of several data frames, then optional trailers.
    struct Frames(VecDeque<Bytes>, Option<HeaderMap>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let frame = match self.0.pop_front() {
                Some(data) => Some(Frame::data(data)),
                None => self.1.take().map(Frame::trailers),
            };
            Poll::Ready(frame.map(Ok))
        }
    }

    fn frames(parts: &[&'static [u8]]) -> Frames {
        Frames(parts.iter().map(|p| Bytes::from_static(p)).collect(), None)
    }

    #[tokio::test]
    async fn request_bodies_are_joined_within_the_limit_and_the_budget() {
        let budget = Budget::new(10);
        let mut reservation = budget.reservation();
        let body = read_request(frames(&[b"abc", b"def"]), 8, &mut reservation).await;
        assert_eq!(body.unwrap(), "abcdef");
        let over = read_request(frames(&[b"abc", b"defghi"]), 8, &mut budget.reservation()).await;
        assert!(matches!(
            over,
            Err(Rejection::RequestBodyTooLarge { limit: 8 })
        ));
        let spent = read_request(frames(&[b"abcde"]), 8, &mut budget.reservation()).await;
        assert!(matches!(spent, Err(Rejection::BudgetExhausted)));
        let hinted = read_request(
            Full::new(Bytes::from_static(b"0123456789")),
            8,
            &mut reservation,
        )
        .await;
        assert!(matches!(hinted, Err(Rejection::RequestBodyTooLarge { .. })));
    }

    #[tokio::test]
    async fn a_buffered_body_yields_its_frames_then_the_rest_then_trailers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().unwrap());
        let rest = Frames(
            VecDeque::from([Bytes::from_static(b"cd")]),
            Some(trailers.clone()),
        );
        let body = ReplayBody::buffered(
            VecDeque::from([Bytes::from_static(b"ab")]),
            None,
            Some(Box::pin(rest)),
            None,
        );
        assert_eq!(body.size_hint().lower(), 2);
        let collected = body.collect().await.unwrap();
        assert_eq!(collected.trailers(), Some(&trailers));
        assert_eq!(collected.to_bytes(), "abcd");
        let full = ReplayBody::<Frames>::full(Bytes::from_static(b"xyz"), Some(trailers.clone()));
        assert_eq!(full.size_hint().exact(), Some(3));
        let collected = full.collect().await.unwrap();
        assert_eq!(collected.trailers(), Some(&trailers));
    }
}

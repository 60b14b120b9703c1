//! Recording a response once the handler has returned: buffer its body (within the limits), then
//! compare-and-set the claim to the completed record, a tombstone, or release it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use cache_core::StoreError;
use error_mapping::BoxError;
use http::{HeaderMap, Response};
use http_body::Body;
use http_body_util::BodyExt;

use crate::body::{Chunks, ReplayBody};
use crate::budget::Reservation;
use crate::claim::{Recording, release};
use crate::config::OversizedResponse;
use crate::fingerprint::Fingerprint;
use crate::record::{Completed, Record, completed_len, encode_completed};
use crate::shared::Shared;

/// What the recording needs besides the response: whose claim it completes.
pub(crate) struct RecordingContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) key: Bytes,
    pub(crate) claim: Bytes,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) reservation: Reservation,
}

/// How reading the response body ended.
enum Read {
    Whole,
    Oversized,
    Failed(BoxError),
}

/// The recording of `response` under `context`'s claim, as a future the claim can own.
pub(crate) fn recording<B>(context: RecordingContext, response: Response<B>) -> Recording<B>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Box::pin(record(context, response))
}

async fn record<B>(mut context: RecordingContext, response: Response<B>) -> Response<ReplayBody<B>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let settings = &context.shared.settings;
    let limit = settings.max_response_body;
    let mut body = Box::pin(body);
    let mut chunks = Chunks::default();
    let mut trailers = None;
    let read = loop {
        let Some(frame) = body.frame().await else {
            break Read::Whole;
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => break Read::Failed(error.into()),
        };
        match frame.into_data() {
            Ok(data) => {
                let len = data.len() as u64;
                let fits = chunks.len + len <= limit && context.reservation.grow(len);
                chunks.push(data);
                if !fits {
                    break Read::Oversized;
                }
            }
            Err(frame) => {
                if let Ok(more) = frame.into_trailers() {
                    trailers.get_or_insert_with(HeaderMap::new).extend(more);
                }
            }
        }
    };
    let spilled = matches!(read, Read::Oversized);
    let whole = match read {
        Read::Whole => chunks.concat(),
        _ => Bytes::new(),
    };
    let mut error = None;
    let next = match read {
        Read::Whole
            if settings
                .keep
                .keeps(parts.status, &parts.headers, trailers.as_ref()) =>
        {
            let (encoded, completed) = encode(&context, &parts, &whole, trailers.as_ref());
            match complete(&context, encoded).await {
                Completion::Stored => {
                    if let (Some(local), Some(completed)) = (&context.shared.local, completed) {
                        local.insert(context.key.clone(), Arc::new(completed));
                    }
                    Next::Done
                }
                Completion::TooLarge => Next::Oversized,
                Completion::NotStored => Next::Done,
            }
        }
        Read::Whole => Next::Release,
        Read::Oversized => Next::Oversized,
        Read::Failed(failure) => {
            tracing::warn!(error = %failure, "response body failed: releasing the claim");
            error = Some(failure);
            Next::Release
        }
    };
    let store = context.shared.store.as_ref();
    match next {
        Next::Done => {}
        Next::Oversized if settings.oversized_response == OversizedResponse::Tombstone => {
            tracing::warn!(limit, "response too large to keep: keeping a tombstone");
            let tombstone = Record::Tombstone {
                fingerprint: context.fingerprint,
                status: parts.status,
            };
            complete(&context, tombstone.encode()).await;
        }
        Next::Oversized | Next::Release => {
            release(store, &context.key, &context.claim).await;
        }
    }
    let body = if spilled || error.is_some() {
        ReplayBody::buffered(
            chunks.into_frames(),
            trailers,
            spilled.then_some(body),
            error,
        )
    } else {
        ReplayBody::full(whole, trailers)
    };
    Response::from_parts(parts, body)
}

/// The completed record of a kept response and, when a local cache will hold it, the response
/// as stored; without one, the record is encoded straight from the response.
fn encode(
    context: &RecordingContext,
    parts: &http::response::Parts,
    body: &Bytes,
    trailers: Option<&HeaderMap>,
) -> (Bytes, Option<Completed>) {
    let (settings, sanitizer) = (&context.shared.settings, context.shared.sanitizer.as_ref());
    if context.shared.local.is_some() {
        let completed = Completed {
            fingerprint: context.fingerprint,
            status: parts.status,
            headers: settings.replay.headers(sanitizer, &parts.headers),
            body: body.clone(),
            trailers: trailers.map(|t| settings.replay.trailers(sanitizer, t)),
        };
        return (completed.encode_into(BytesMut::new()), Some(completed));
    }
    let room = completed_len(&parts.headers, body.len(), trailers);
    let encoded = encode_completed(
        context.fingerprint,
        parts.status,
        settings.replay.kept_headers(sanitizer, &parts.headers),
        body,
        trailers.map(|t| settings.replay.kept_trailers(sanitizer, t)),
        BytesMut::with_capacity(room),
    );
    (encoded, None)
}

/// What to do with the claim once the body is read.
enum Next {
    Done,
    Oversized,
    Release,
}

/// How a compare-and-set of the claim to its record ended.
enum Completion {
    Stored,
    /// The store refuses a value this large: nothing was written.
    TooLarge,
    /// Taken over, or the store failed: logged and counted.
    NotStored,
}

/// Compare-and-set of the claim to `record`.
async fn complete(context: &RecordingContext, record: Bytes) -> Completion {
    let retention = Some(context.shared.settings.retention);
    let result = context
        .shared
        .store
        .compare_and_set(&context.key, &context.claim, record, retention)
        .await;
    match result {
        Ok(true) => Completion::Stored,
        Err(StoreError::InvalidInput(input)) => {
            tracing::warn!(%input, "the store refuses the response record");
            Completion::TooLarge
        }
        Ok(false) => {
            tracing::warn!(
                "completion rejected: the claim expired and was taken over; this response is not kept"
            );
            metrics::counter!("idempotency.claims.lost", "when" => "completion").increment(1);
            Completion::NotStored
        }
        Err(error) => {
            tracing::error!(%error, "recording the response failed: the claim stays until its lease expires");
            metrics::counter!("idempotency.store.errors", "op" => "complete").increment(1);
            Completion::NotStored
        }
    }
}

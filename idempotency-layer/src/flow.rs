//! The protocol for a request with a key: read and fingerprint it, claim the key (or answer from
//! the record already there), run the handler under the claim, record or release.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use error_mapping::BoxError;
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use tokio::time::Instant;
use tower_service::Service;
use tracing::Span;

use crate::body::{ReplayBody, RequestBody, read_request};
use crate::claim::Claim;
use crate::error::Rejection;
use crate::fingerprint::Fingerprint;
use crate::outcome::Outcome;
use crate::record::{Completed, Record};
use crate::recording::{RecordingContext, recording};
use crate::replay::replay;
use crate::settings::InFlightPolicy;
use crate::shared::Shared;

type Answer<B> = Result<Response<ReplayBody<B>>, BoxError>;

/// Serves one covered request whose stored key is `key`, with `inner` ready to be called.
pub(crate) async fn serve<S, ReqBody, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    parts: Parts,
    body: ReqBody,
    key: Bytes,
) -> Answer<ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ReqBody: RequestBody,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    let span = Span::current();
    let settings = &shared.settings;
    let mut reservation = shared.budget.reservation();
    let bytes = match read_request(body, settings.max_request_body, &mut reservation).await {
        Ok(bytes) => bytes,
        Err(rejection) => return reject(&span, rejection),
    };
    let fingerprint = settings.fingerprint.fingerprint(&parts, &bytes);
    let retry_after = settings.in_flight.retry_after();
    let cached = shared.local.as_ref().and_then(|local| local.get(&key));
    if let Some(completed) = cached.filter(|c| c.fingerprint == fingerprint) {
        Outcome::Replayed.record(&span);
        return Ok(replay(Completed::clone(&completed)));
    }
    let claim_record = Record::InFlight {
        fingerprint,
        token: shared.next_token(),
    }
    .encode();
    let deadline = match settings.in_flight {
        InFlightPolicy::Wait { max_wait, .. } => Some(Instant::now() + max_wait),
        InFlightPolicy::Reject { .. } => None,
    };
    loop {
        let claimed = shared
            .store
            .insert_if_absent(&key, claim_record.clone(), Some(settings.lease))
            .await;
        match claimed {
            Ok(None) => break,
            Ok(Some(existing)) => {
                let answer = answer_existing(
                    &shared,
                    &key,
                    &span,
                    &existing,
                    fingerprint,
                    deadline,
                    retry_after,
                );
                if let Some(answer) = answer {
                    return answer;
                }
                if let InFlightPolicy::Wait { poll_interval, .. } = settings.in_flight {
                    tokio::time::sleep(poll_interval).await;
                }
            }
            Err(error) => {
                metrics::counter!("idempotency.store.errors", "op" => "claim").increment(1);
                if !settings.fail_open {
                    tracing::error!(%error, "idempotency store failed: refusing the request");
                    return reject(&span, Rejection::StoreUnavailable);
                }
                tracing::error!(%error, "idempotency store failed: running the handler unprotected");
                Outcome::FailOpen.record(&span);
                let request = Request::from_parts(parts, ReqBody::from_bytes(bytes));
                let response = inner.call(request).await.map_err(Into::into)?;
                return Ok(response.map(ReplayBody::inner));
            }
        }
    }

    Outcome::Executed.record(&span);
    let mut claim = Claim::new(Arc::clone(&shared), key.clone(), claim_record);
    let request = Request::from_parts(parts, ReqBody::from_bytes(bytes));
    let handled: Result<_, BoxError> = claim.run(inner.call(request)).await.map_err(Into::into);
    let response = match handled {
        Ok(response) => response,
        Err(error) => {
            claim.release().await;
            return Err(error);
        }
    };
    if !settings.keep.keeps_status(response.status()) {
        claim.release().await;
        return Ok(response.map(ReplayBody::inner));
    }
    let context = RecordingContext {
        claim: claim.in_flight_record().clone(),
        shared: Arc::clone(&shared),
        key,
        fingerprint,
        reservation,
    };
    Ok(claim.record(recording(context, response)).await)
}

/// The answer to a request that found `stored` under its key, or `None` to wait and try again.
fn answer_existing<B>(
    shared: &Shared,
    key: &Bytes,
    span: &Span,
    stored: &Bytes,
    fingerprint: Fingerprint,
    deadline: Option<Instant>,
    retry_after: Duration,
) -> Option<Answer<B>> {
    let record = match Record::decode(stored) {
        Ok(record) => record,
        Err(error) => {
            tracing::error!(%error, "unreadable idempotency record: refusing the request");
            return Some(reject(span, Rejection::UnreadableRecord(error)));
        }
    };
    if record.fingerprint() != fingerprint {
        Outcome::Mismatch.record(span);
        return Some(Err(Rejection::FingerprintMismatch.into_box_error()));
    }
    Some(match record {
        Record::Completed(completed) => {
            Outcome::Replayed.record(span);
            Ok(match &shared.local {
                Some(local) => {
                    let response = replay(Completed::clone(&completed));
                    local.insert(key.clone(), Arc::from(completed));
                    response
                }
                None => replay(*completed),
            })
        }
        Record::Tombstone { status, .. } => reject(span, Rejection::NotRecorded { status }),
        Record::InFlight { .. } => {
            if deadline.is_some_and(|deadline| Instant::now() < deadline) {
                return None;
            }
            Outcome::Conflict.record(span);
            Err(Rejection::InFlight { retry_after }.into_box_error())
        }
    })
}

fn reject<B>(span: &Span, rejection: Rejection) -> Answer<B> {
    Outcome::Rejected.record(span);
    Err(rejection.into_box_error())
}

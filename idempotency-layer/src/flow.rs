//! The protocol for a request with a key: read and fingerprint it, then claim the key (and hand
//! over to [`execute`]) or answer from the record already there.

use std::future::Future;
use std::sync::Arc;

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
use crate::execute::{Claimed, execute};
use crate::fingerprint::Fingerprint;
use crate::outcome::Outcome;
use crate::record::{Completed, Record};
use crate::replay::replay;
use crate::scope::StoredKey;
use crate::settings::InFlightPolicy;
use crate::shared::Shared;

type Answer<B> = Result<Response<ReplayBody<B>>, BoxError>;

/// Serves one covered request under its `stored` key, with `inner` ready to be called, under
/// `span` (which the caller enters around every poll).
///
/// An `async` block rather than an `async fn`: its captures are then held once in its state, not
/// copied into locals beside themselves, which keeps the boxed future small.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would hold its arguments twice in its state"
)]
pub(crate) fn serve<S, ReqBody, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    parts: Parts,
    body: ReqBody,
    stored: StoredKey,
    span: Span,
) -> impl Future<Output = Answer<ResBody>>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ReqBody: RequestBody,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    async move {
        let StoredKey { key, spare } = stored;
        let settings = &shared.settings;
        let mut reservation = shared.budget.reservation();
        let bytes = match read_request(body, settings.max_request_body, &mut reservation).await {
            Ok(bytes) => bytes,
            Err(rejection) => return reject(&shared, &span, rejection),
        };
        let fingerprint = settings.fingerprint.fingerprint(&parts, &bytes);
        let cached = shared.local.as_ref().and_then(|local| local.get(&key));
        if let Some(completed) = cached.filter(|c| c.fingerprint == fingerprint) {
            Outcome::Replayed.record(&span, &shared.outcomes);
            return Ok(replay(Completed::clone(&completed)));
        }
        let claim_record = Record::InFlight {
            fingerprint,
            token: shared.next_token(),
        }
        .encode_into(spare);
        let deadline = match settings.in_flight {
            InFlightPolicy::Wait { max_wait, .. } => Some(Instant::now() + max_wait),
            InFlightPolicy::Reject { .. } => None,
        };
        loop {
            let lease = Some(settings.lease);
            match shared
                .store
                .insert_if_absent(&key, claim_record.clone(), lease)
                .await
            {
                Ok(None) => break,
                Ok(Some(existing)) => {
                    if let Some(answer) =
                        answer_existing(&shared, &key, &span, &existing, fingerprint, deadline)
                    {
                        return answer;
                    }
                }
                Err(error) => {
                    metrics::counter!("idempotency.store.errors", "op" => "claim").increment(1);
                    if !settings.fail_open {
                        tracing::error!(%error, "idempotency store failed: refusing the request");
                        return reject(&shared, &span, Rejection::StoreUnavailable);
                    }
                    tracing::error!(%error, "idempotency store failed: running the handler unprotected");
                    Outcome::FailOpen.record(&span, &shared.outcomes);
                    let request = Request::from_parts(parts, ReqBody::from_bytes(bytes));
                    // Boxed, like the execution below, to keep this future small.
                    let response = Box::pin(inner.call(request)).await.map_err(Into::into)?;
                    return Ok(response.map(ReplayBody::inner));
                }
            }
            if let InFlightPolicy::Wait { poll_interval, .. } = settings.in_flight {
                Box::pin(tokio::time::sleep(poll_interval)).await;
            }
        }

        Outcome::Executed.record(&span, &shared.outcomes);
        // Boxed apart, so that a replay or a refusal allocates only this small future; built in a
        // block so that what it moves does not stay in this future's state.
        let execution = {
            let claimed = Claimed {
                claim: Claim::new(shared, key, claim_record),
                fingerprint,
                reservation,
            };
            let request = Request::from_parts(parts, ReqBody::from_bytes(bytes));
            Box::pin(execute(claimed, inner, request))
        };
        execution.await
    }
}

/// The answer to a request that found `stored` under its key, or `None` to wait and try again.
fn answer_existing<B>(
    shared: &Shared,
    key: &Bytes,
    span: &Span,
    stored: &Bytes,
    fingerprint: Fingerprint,
    deadline: Option<Instant>,
) -> Option<Answer<B>> {
    let record = match Record::decode(stored) {
        Ok(record) => record,
        Err(error) => {
            tracing::error!(%error, "unreadable idempotency record: refusing the request");
            return Some(reject(shared, span, Rejection::UnreadableRecord(error)));
        }
    };
    if record.fingerprint() != fingerprint {
        Outcome::Mismatch.record(span, &shared.outcomes);
        return Some(Err(Rejection::FingerprintMismatch.into_box_error()));
    }
    Some(match record {
        Record::Completed(completed) => {
            Outcome::Replayed.record(span, &shared.outcomes);
            Ok(match &shared.local {
                Some(local) => {
                    let response = replay(completed.clone());
                    local.insert(key.clone(), Arc::new(completed));
                    response
                }
                None => replay(completed),
            })
        }
        Record::Tombstone { status, .. } => reject(shared, span, Rejection::NotRecorded { status }),
        Record::InFlight { .. } => {
            if deadline.is_some_and(|deadline| Instant::now() < deadline) {
                return None;
            }
            Outcome::Conflict.record(span, &shared.outcomes);
            let retry_after = shared.settings.in_flight.retry_after();
            Err(Rejection::InFlight { retry_after }.into_box_error())
        }
    })
}

fn reject<B>(shared: &Shared, span: &Span, rejection: Rejection) -> Answer<B> {
    Outcome::Rejected.record(span, &shared.outcomes);
    Err(rejection.into_box_error())
}

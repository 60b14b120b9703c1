//! The second half of the protocol, once the key is claimed: run the handler under the claim,
//! then record its response or release the claim.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;

use bytes::Bytes;
use error_mapping::BoxError;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::body::{ReplayBody, RequestBody};
use crate::budget::Reservation;
use crate::claim::Claim;
use crate::fingerprint::Fingerprint;
use crate::recording::{RecordingContext, recording};
use crate::shared::Shared;

/// A key this request has just claimed, with what recording its response needs.
pub(crate) struct Claimed {
    pub(crate) shared: Arc<Shared>,
    pub(crate) key: Bytes,
    pub(crate) record: Bytes,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) reservation: Reservation,
}

/// Runs `request` through `inner` under the claim, then records or releases it.
///
/// An `async` block rather than an `async fn`: its captures are then held once in its state, not
/// copied into locals beside themselves, which keeps the boxed future small.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would hold its arguments twice in its state"
)]
pub(crate) fn execute<S, ReqBody, ResBody>(
    claimed: Claimed,
    mut inner: S,
    request: Request<ReqBody>,
) -> impl Future<Output = Result<Response<ReplayBody<ResBody>>, BoxError>>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ReqBody: RequestBody,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    async move {
        let shared = &claimed.shared;
        let mut claim = Claim::new(Arc::clone(shared), claimed.key.clone(), claimed.record);
        // Pinned where it is built, so the handler's future is held once in this state.
        let handler = pin!(inner.call(request));
        let handled: Result<_, BoxError> = claim.run(handler).await.map_err(Into::into);
        let response = match handled {
            Ok(response) => response,
            Err(error) => {
                claim.release().await;
                return Err(error);
            }
        };
        if !shared.settings.keep.keeps_status(response.status()) {
            claim.release().await;
            return Ok(response.map(ReplayBody::inner));
        }
        let context = RecordingContext {
            claim: claim.in_flight_record().clone(),
            shared: claimed.shared,
            key: claimed.key,
            fingerprint: claimed.fingerprint,
            reservation: claimed.reservation,
        };
        Ok(claim.record(recording(context, response)).await)
    }
}

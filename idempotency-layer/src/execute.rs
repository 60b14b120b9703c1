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

/// A key this request has just claimed, with what recording its response needs.
pub(crate) struct Claimed<B: 'static> {
    pub(crate) claim: Claim<B>,
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
    mut claimed: Claimed<ResBody>,
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
        // Used in place: moved into a local, the claim would be held twice in this state.
        let claim = &mut claimed.claim;
        // Pinned where it is built, and in a block, so the handler's future is held once in this
        // state and only while it runs.
        let handled = {
            let handler = pin!(inner.call(request));
            claim.run(handler).await
        }
        .map_err(Into::<BoxError>::into);
        match handled {
            Ok(response) if claim.keeps(response.status()) => {
                let context = RecordingContext {
                    shared: Arc::clone(claim.shared()),
                    key: claim.key().clone(),
                    claim: claim.in_flight_record().clone(),
                    fingerprint: claimed.fingerprint,
                    reservation: claimed.reservation,
                };
                Ok(claim.record(recording(context, response)).await)
            }
            handled => {
                claim.release().await;
                handled.map(|response| response.map(ReplayBody::inner))
            }
        }
    }
}

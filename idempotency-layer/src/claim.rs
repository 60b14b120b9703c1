//! A claim on a key, held while the handler runs: renewed while the handler is slow, released when
//! the request fails or is dropped, handed to the recording once the handler has returned.

use std::future::{Future, poll_fn};
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use cache_core::{Store, StoreFuture};
use http::{Response, StatusCode};
use tokio::time::{Instant, Sleep};

use crate::body::ReplayBody;
use crate::shared::Shared;

/// The recording of a response, owned by the claim so it survives the response future.
pub(crate) type Recording<B> = Pin<Box<dyn Future<Output = Response<ReplayBody<B>>> + Send>>;

/// The claim of one request on its key: the in-flight record it wrote, and what to do with it if
/// the request future is dropped.
pub(crate) struct Claim<B: 'static> {
    shared: Arc<Shared>,
    key: Bytes,
    record: Bytes,
    state: State<B>,
}

enum State<B: 'static> {
    /// The handler runs: a drop releases the claim.
    Held,
    /// The handler returned: a drop lets the recording finish on its own.
    Recording(Recording<B>),
    /// Released or recorded: nothing left to do.
    Settled,
}

impl<B: 'static> Claim<B> {
    /// A claim whose in-flight `record` was just inserted under `key`.
    pub(crate) fn new(shared: Arc<Shared>, key: Bytes, record: Bytes) -> Self {
        Self {
            shared,
            key,
            record,
            state: State::Held,
        }
    }

    /// What every clone of the service shares.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The stored key claimed.
    pub(crate) fn key(&self) -> &Bytes {
        &self.key
    }

    /// True when a response with `status` is kept, so it completes this claim.
    pub(crate) fn keeps(&self, status: StatusCode) -> bool {
        self.shared.settings.keep.keeps_status(status)
    }

    /// The in-flight record this claim wrote.
    pub(crate) fn in_flight_record(&self) -> &Bytes {
        &self.record
    }

    /// Drives `handler` to completion, renewing the lease every `renew_interval` while it runs.
    ///
    /// The renewal timer is armed only once the handler has returned `Pending`, so a handler that
    /// answers at its first poll costs no timer.
    pub(crate) async fn run<F: Future>(&mut self, mut handler: Pin<&mut F>) -> F::Output {
        // Only `Sync` fields are borrowed across the await: the claim itself is not `Sync`.
        let (shared, key, record) = (&self.shared, &self.key, &self.record);
        let settings = &shared.settings;
        let mut timer: Option<Pin<Box<Sleep>>> = None;
        let mut renewal: Option<StoreFuture<'_, bool>> = None;
        let mut lost = false;
        poll_fn(|cx| {
            if let Poll::Ready(output) = handler.as_mut().poll(cx) {
                return Poll::Ready(output);
            }
            loop {
                if let Some(pending) = renewal.as_mut() {
                    let Poll::Ready(result) = pending.as_mut().poll(cx) else {
                        return Poll::Pending;
                    };
                    renewal = None;
                    lost = !renewed(result);
                }
                if lost {
                    return Poll::Pending;
                }
                let timer = timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(settings.renew_interval)));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                timer
                    .as_mut()
                    .reset(Instant::now() + settings.renew_interval);
                renewal = Some(shared.store.compare_and_set(
                    key,
                    record,
                    record.clone(),
                    Some(settings.lease),
                ));
            }
        })
        .await
    }

    /// Removes the claim so a retry runs the handler again.
    pub(crate) async fn release(&mut self) {
        release(self.shared.store.as_ref(), &self.key, &self.record).await;
        self.state = State::Settled;
    }

    /// Hands the response over to `recording` and drives it; if this future is dropped first,
    /// the recording goes on in a task of its own.
    pub(crate) async fn record(&mut self, recording: Recording<B>) -> Response<ReplayBody<B>> {
        self.state = State::Recording(recording);
        let State::Recording(recording) = &mut self.state else {
            unreachable!("just set");
        };
        let response = recording.await;
        self.state = State::Settled;
        response
    }
}

impl<B: 'static> Drop for Claim<B> {
    fn drop(&mut self) {
        let task: Pin<Box<dyn Future<Output = ()> + Send>> =
            match mem::replace(&mut self.state, State::Settled) {
                State::Settled => return,
                State::Held => {
                    let (store, key, record) = (
                        Arc::clone(&self.shared.store),
                        self.key.clone(),
                        self.record.clone(),
                    );
                    Box::pin(async move { release(store.as_ref(), &key, &record).await })
                }
                State::Recording(recording) => Box::pin(async move {
                    recording.await;
                }),
            };
        // Only a request dropped mid-flight gets here: the one place the layer spawns.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(task);
            }
            Err(_) => tracing::warn!(
                "request dropped outside a tokio runtime: its claim stays until the lease expires"
            ),
        }
    }
}

/// Compare-and-delete of the in-flight `record`: a claim taken over since is left alone.
pub(crate) async fn release(store: &dyn Store, key: &Bytes, record: &Bytes) {
    match store.compare_and_delete(key, record).await {
        Ok(true) => tracing::debug!("claim released"),
        Ok(false) => {
            tracing::warn!("claim already gone when released: it expired or was taken over");
            metrics::counter!("idempotency.claims.lost", "when" => "release").increment(1);
        }
        Err(error) => {
            tracing::error!(%error, "releasing the claim failed: it stays until its lease expires");
            metrics::counter!("idempotency.store.errors", "op" => "release").increment(1);
        }
    }
}

/// Logs the result of a renewal; false when the claim is lost.
fn renewed(result: Result<bool, cache_core::StoreError>) -> bool {
    match result {
        Ok(true) => {
            tracing::debug!("lease renewed");
            true
        }
        Ok(false) => {
            tracing::warn!(
                "lease lost while the handler runs: the claim expired and may have been taken over; its response will not be kept"
            );
            metrics::counter!("idempotency.claims.lost", "when" => "renewal").increment(1);
            false
        }
        Err(error) => {
            tracing::warn!(%error, "lease renewal failed; retrying at the next interval");
            metrics::counter!("idempotency.store.errors", "op" => "renew").increment(1);
            true
        }
    }
}

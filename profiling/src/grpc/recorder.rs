//! State shared by every clone of the gRPC layer, and the record of one call.

use std::sync::Arc;

use http::uri::PathAndQuery;
use http::{HeaderValue, Request, StatusCode};
use quanta::{Clock, Instant};

use super::attributes::{CANCELLED, GrpcLabels, OwnedGrpcLabels};
use crate::cache::HandleCache;
use crate::config::Validated;
use crate::names::RPC_SERVER_CALL_DURATION;
use crate::request_id;

#[derive(Debug)]
pub(crate) struct GrpcRecorder {
    clock: Clock,
    config: Validated,
    durations: HandleCache<OwnedGrpcLabels>,
}

impl GrpcRecorder {
    pub(crate) fn new(config: Validated, clock: Clock) -> Self {
        crate::describe::rpc();
        Self {
            clock,
            config,
            durations: HandleCache::new(RPC_SERVER_CALL_DURATION),
        }
    }

    pub(crate) fn config(&self) -> &Validated {
        &self.config
    }

    /// Starts timing a call: the first of the two clock reads.
    pub(crate) fn start<B>(self: &Arc<Self>, request: &Request<B>) -> Call {
        Call(Some(Started {
            recorder: Arc::clone(self),
            start: self.clock.now(),
            path: request.uri().path_and_query().cloned(),
            answered: false,
            request_id: request_id::of(request, &self.config.request_id_header),
        }))
    }
}

#[derive(Debug)]
struct Started {
    recorder: Arc<GrpcRecorder>,
    start: Instant,
    path: Option<PathAndQuery>,
    answered: bool,
    request_id: Option<HeaderValue>,
}

/// A call not yet recorded. Dropped unfinished (the client went away, or the server dropped the
/// response stream), it is recorded as `CANCELLED`.
#[derive(Debug)]
pub(crate) struct Call(Option<Started>);

impl Call {
    /// Notes the response head: only an HTTP 200 answers a gRPC call, so only then are the
    /// service and method from the path recorded.
    pub(crate) fn answered(&mut self, status: StatusCode) {
        if let Some(call) = &mut self.0 {
            call.answered = status == StatusCode::OK;
        }
    }

    /// Records the call with its status, or as failed when the inner service failed: the second
    /// clock read.
    pub(crate) fn finish(&mut self, status: u8, failed: bool) {
        let Some(call) = self.0.take() else { return };
        let recorder = &call.recorder;
        let elapsed = recorder.clock.now().saturating_duration_since(call.start);
        let path = call.path.as_ref().filter(|_| call.answered);
        let path = path.map(PathAndQuery::path);
        let labels = GrpcLabels::new(&recorder.config.attributes, path, status, failed);
        recorder.durations.record(&labels, elapsed.as_secs_f64());
        if elapsed > recorder.config.slow_threshold {
            tracing::warn!(
                service = labels.service(),
                method = labels.method(),
                status,
                latency_ms = elapsed.as_secs_f64() * 1e3,
                request_id = request_id::display(call.request_id.as_ref()),
                threshold_ms = recorder.config.slow_threshold.as_secs_f64() * 1e3,
                "slow call"
            );
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish(CANCELLED, false);
    }
}

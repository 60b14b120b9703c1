//! State shared by every clone of the layer: the clock, the cached handles, the slow threshold.

use std::sync::{Arc, OnceLock};

use http::{HeaderValue, Request};
use metrics::{Gauge, Label};
use quanta::{Clock, Instant};

use super::attributes::{self, HttpLabels, METHODS, Outcome, OwnedHttpLabels};
use super::route::Route;
use crate::cache::HandleCache;
use crate::config::{Scheme, Validated};
use crate::names::{
    HTTP_REQUEST_METHOD, HTTP_SERVER_ACTIVE_REQUESTS, HTTP_SERVER_REQUEST_DURATION, URL_SCHEME,
};
use crate::request_id;

/// One in-flight gauge per method and scheme.
const GAUGES: usize = METHODS.len() * 2;

#[derive(Debug)]
pub(crate) struct HttpRecorder {
    clock: Clock,
    config: Validated,
    durations: HandleCache<OwnedHttpLabels>,
    // Registered on first use, so methods never seen add no series.
    active: [OnceLock<Gauge>; GAUGES],
}

impl HttpRecorder {
    pub(crate) fn new(config: Validated, clock: Clock) -> Self {
        crate::describe::http();
        Self {
            clock,
            config,
            durations: HandleCache::new(HTTP_SERVER_REQUEST_DURATION),
            active: [const { OnceLock::new() }; GAUGES],
        }
    }

    pub(crate) fn config(&self) -> &Validated {
        &self.config
    }

    /// Starts timing `request`: the first of the two clock reads.
    pub(crate) fn start<B>(self: &Arc<Self>, request: &Request<B>) -> InFlight {
        let start = self.clock.now();
        let method = attributes::method_index(request.method());
        let scheme = attributes::scheme(request.uri(), self.config.default_scheme);
        let active = self.active_gauge(method, scheme);
        active.increment(1.0);
        InFlight {
            recorder: Arc::clone(self),
            start,
            method,
            scheme,
            route: Route::of(request.extensions()),
            request_id: request_id::of(request, &self.config.request_id_header),
        }
    }

    fn active_gauge(&self, method: u8, scheme: Scheme) -> &Gauge {
        let scheme = if self.config.attributes.url_scheme {
            scheme
        } else {
            Scheme::Http
        };
        let slot = usize::from(method) * 2 + scheme as usize;
        self.active[slot].get_or_init(|| {
            let mut labels = vec![Label::new(
                HTTP_REQUEST_METHOD,
                METHODS[usize::from(method)],
            )];
            if self.config.attributes.url_scheme {
                labels.push(Label::new(URL_SCHEME, scheme.as_str()));
            }
            metrics::gauge!(HTTP_SERVER_ACTIVE_REQUESTS, labels)
        })
    }
}

/// A request between its start and its response head. Dropping it (the request was cancelled)
/// still takes it off the in-flight gauge; only [`InFlight::finish`] records a duration.
#[derive(Debug)]
pub(crate) struct InFlight {
    recorder: Arc<HttpRecorder>,
    start: Instant,
    method: u8,
    scheme: Scheme,
    route: Route,
    request_id: Option<HeaderValue>,
}

impl InFlight {
    /// Records the request's duration, and warns when it was slow: the second clock read.
    pub(crate) fn finish(self, outcome: Outcome) {
        let elapsed = self
            .recorder
            .clock
            .now()
            .saturating_duration_since(self.start);
        let config = &self.recorder.config;
        let route = self.route.as_str();
        let labels = HttpLabels::new(&config.attributes, self.method, self.scheme, route, outcome);
        self.recorder
            .durations
            .record(&labels, elapsed.as_secs_f64());
        if elapsed > config.slow_threshold {
            let status = match outcome {
                Outcome::Status(status) => status.as_str().to_owned(),
                Outcome::Error => "error".to_owned(),
            };
            tracing::warn!(
                route = route.unwrap_or("-"),
                method = METHODS[usize::from(self.method)],
                status,
                latency_ms = elapsed.as_secs_f64() * 1e3,
                request_id = request_id::display(self.request_id.as_ref()),
                threshold_ms = config.slow_threshold.as_secs_f64() * 1e3,
                "slow request"
            );
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.recorder
            .active_gauge(self.method, self.scheme)
            .decrement(1.0);
    }
}

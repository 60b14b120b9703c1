//! The gRPC layer around a service speaking gRPC over `http`, observed through a Prometheus
//! recorder installed on the test's thread only.

mod support;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::{BodyExt, Empty, combinators::BoxBody};
use metrics_exporter_prometheus::{PrometheusHandle, PrometheusRecorder};
use profiling::{GrpcMetricsLayer, ProfilingConfig};
use tower::{ServiceBuilder, ServiceExt, service_fn};

use support::{Sample, Warnings, labels, named};

const COUNT: &str = "rpc_server_call_duration_seconds_count";

type Body = BoxBody<Bytes, Infallible>;

fn recorder() -> (PrometheusRecorder, PrometheusHandle) {
    let recorder = profiling::prometheus::builder(&ProfilingConfig::default())
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    (recorder, handle)
}

fn trailers(status: &'static str) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static(status));
    trailers
}

/// A unary response body: one message, then the trailers.
struct Unary(VecDeque<Frame<Bytes>>);

impl http_body::Body for Unary {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

fn streamed(status: &'static str) -> Response<Body> {
    let frames = [
        Frame::data(Bytes::from_static(b"\0\0\0\0\0")),
        Frame::trailers(trailers(status)),
    ];
    Response::new(BoxBody::new(Unary(frames.into())))
}

/// A trailers-only response: the status in the headers, as servers answer errors.
fn trailers_only(status: &'static str) -> Response<Body> {
    let mut response = Response::new(BoxBody::new(Empty::new()));
    *response.headers_mut() = trailers(status);
    response
}

fn call(path: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/grpc")
        .body(BoxBody::new(Empty::new()))
        .unwrap()
}

fn counts(handle: &PrometheusHandle) -> Vec<Sample> {
    named(&handle.render(), COUNT)
}

#[tokio::test(flavor = "current_thread")]
async fn a_streamed_call_is_recorded_when_its_trailers_go_out() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let service = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new())
        .service(service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(streamed("0"))
        }));

    let response = service.oneshot(call("/shop.Orders/Get")).await.unwrap();
    assert_eq!(counts(&handle), vec![], "recorded before the stream ended");
    let collected = response.into_body().collect().await.unwrap();
    assert_eq!(collected.trailers().unwrap()["grpc-status"], "0");

    let expected = labels(&[
        ("rpc_system", "grpc"),
        ("rpc_service", "shop.Orders"),
        ("rpc_method", "Get"),
        ("rpc_grpc_status_code", "0"),
    ]);
    let counts: Vec<_> = counts(&handle)
        .into_iter()
        .map(|s| (s.labels, s.value))
        .collect();
    assert_eq!(counts, vec![(expected, 1.0)]);
}

#[tokio::test(flavor = "current_thread")]
async fn statuses_from_headers_set_error_type_only_for_server_failures() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let service = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new())
        .service(service_fn(|request: Request<Body>| async move {
            let status = match request.uri().path() {
                "/shop.Orders/Get" => "5",
                "/shop.Orders/Pay" => "14",
                _ => "12",
            };
            Ok::<_, Infallible>(trailers_only(status))
        }));
    for path in [
        "/shop.Orders/Get",
        "/shop.Orders/Pay",
        "/made.Up/Thing",
        "/shop.Orders",
    ] {
        service.clone().oneshot(call(path)).await.unwrap();
    }

    let find = |service: &str, method: &str| {
        counts(&handle)
            .into_iter()
            .find(|s| s.labels["rpc_service"] == service && s.labels["rpc_method"] == method)
            .unwrap_or_else(|| panic!("no series for {service}/{method}"))
    };
    let not_found = find("shop.Orders", "Get");
    assert_eq!(not_found.labels["rpc_grpc_status_code"], "5");
    assert!(!not_found.labels.contains_key("error_type"));
    assert_eq!(find("shop.Orders", "Pay").labels["error_type"], "14");
    let unknown = find("_OTHER", "_OTHER");
    assert_eq!(unknown.labels["rpc_grpc_status_code"], "12");
    assert_eq!(unknown.value, 2.0, "unknown names share one series");
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_service_and_a_dropped_stream_are_recorded() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let failing = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new())
        .service(service_fn(|_: Request<Body>| async {
            Err::<Response<Body>, _>(std::io::Error::other("connection reset"))
        }));
    failing.oneshot(call("/shop.Orders/Get")).await.unwrap_err();
    let streaming = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new())
        .service(service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(streamed("0"))
        }));
    drop(streaming.oneshot(call("/shop.Orders/Watch")).await.unwrap());

    let counts = counts(&handle);
    let failed = counts
        .iter()
        .find(|s| s.labels.contains_key("error_type"))
        .unwrap();
    assert_eq!(failed.labels["error_type"], "_OTHER");
    assert_eq!(
        failed.labels["rpc_method"], "_OTHER",
        "no server answered for that name"
    );
    let cancelled = counts
        .iter()
        .find(|s| s.labels["rpc_method"] == "Watch")
        .unwrap();
    assert_eq!(cancelled.labels["rpc_grpc_status_code"], "1");
    assert!(!cancelled.labels.contains_key("error_type"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_plain_http_answer_keeps_the_client_names_out_of_the_labels() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let service = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new())
        .service(service_fn(|_: Request<Body>| async {
            let mut response: Response<Body> = Response::new(BoxBody::new(Empty::new()));
            *response.status_mut() = http::StatusCode::NOT_FOUND;
            Ok::<_, Infallible>(response)
        }));
    let response = service
        .oneshot(call("/chosen.ByClient/Anything"))
        .await
        .unwrap();
    response.into_body().collect().await.unwrap();

    let counts = counts(&handle);
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0].labels["rpc_service"], "_OTHER");
    assert_eq!(counts[0].labels["rpc_method"], "_OTHER");
    assert_eq!(counts[0].labels["rpc_grpc_status_code"], "2");
}

#[tokio::test(flavor = "current_thread")]
async fn a_slow_stream_warns_once_with_its_whole_duration() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let (warnings, _tracing) = Warnings::capture();
    let (clock, mock) = quanta::Clock::mock();
    let service = ServiceBuilder::new()
        .layer(GrpcMetricsLayer::new().with_clock(clock))
        .service(service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(streamed("0"))
        }));

    let mut request = call("/shop.Orders/Export");
    request
        .headers_mut()
        .insert("x-request-id", HeaderValue::from_static("rpc-1"));
    let response = service.oneshot(request).await.unwrap();
    Arc::clone(&mock).increment(Duration::from_millis(150));
    assert_eq!(warnings.take(), vec![], "the call has not ended yet");
    response.into_body().collect().await.unwrap();

    let logged = warnings.take();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["message"], "slow call");
    assert_eq!(logged[0]["method"], "Export");
    assert_eq!(logged[0]["request_id"], "rpc-1");
    let sum = named(&handle.render(), "rpc_server_call_duration_seconds_sum");
    assert!((sum[0].value - 0.15).abs() < 1e-9, "{sum:?}");
}

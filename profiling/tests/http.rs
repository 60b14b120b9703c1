//! The HTTP layer inside an axum router, observed through a Prometheus recorder installed on the
//! test's thread only.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusHandle, PrometheusRecorder};
use profiling::{HttpMetricsLayer, ProfilingConfig, buckets};
use proptest::prelude::*;
use tower::{ServiceBuilder, ServiceExt, service_fn};

use support::{Warnings, labels, named};

const DURATION: &str = "http_server_request_duration_seconds";

fn recorder() -> (PrometheusRecorder, PrometheusHandle) {
    let recorder = profiling::prometheus::builder(&ProfilingConfig::default())
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    (recorder, handle)
}

fn app(layer: HttpMetricsLayer) -> Router {
    Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .route("/users/{id}/orders", get(|| async { "orders" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .layer(layer)
}

async fn send(app: &Router, method: &str, uri: &str) -> StatusCode {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap().status()
}

fn counts(handle: &PrometheusHandle) -> Vec<(std::collections::BTreeMap<String, String>, f64)> {
    named(&handle.render(), &format!("{DURATION}_count"))
        .into_iter()
        .map(|s| (s.labels, s.value))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn exposition_carries_exactly_the_semconv_bucket_bounds() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let app = app(HttpMetricsLayer::new());
    assert_eq!(send(&app, "GET", "/users/42").await, StatusCode::OK);

    let exposition = handle.render();
    assert!(
        exposition.contains(&format!("# TYPE {DURATION} histogram")),
        "{exposition}"
    );
    let bounds: Vec<String> = named(&exposition, &format!("{DURATION}_bucket"))
        .iter()
        .map(|s| s.labels["le"].clone())
        .collect();
    let mut expected: Vec<String> = buckets::HTTP_DURATION_SECONDS
        .iter()
        .map(|b| b.to_string())
        .collect();
    expected.push("+Inf".into());
    assert_eq!(bounds, expected);
}

#[tokio::test(flavor = "current_thread")]
async fn a_path_is_labelled_with_its_route_template() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let app = app(HttpMetricsLayer::new());
    send(&app, "GET", "/users/42?expand=orders").await;

    let expected = labels(&[
        ("http_request_method", "GET"),
        ("url_scheme", "http"),
        ("http_response_status_code", "200"),
        ("http_route", "/users/{id}"),
    ]);
    assert_eq!(counts(&handle), vec![(expected, 1.0)]);
}

#[tokio::test(flavor = "current_thread")]
async fn an_unknown_method_is_other_and_unmatched_paths_have_no_route() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let app = app(HttpMetricsLayer::new());
    assert_eq!(
        send(&app, "PURGE", "/users/7").await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(send(&app, "GET", "/nowhere/7").await, StatusCode::NOT_FOUND);

    let counts = counts(&handle);
    let purge = labels(&[
        ("http_request_method", "_OTHER"),
        ("url_scheme", "http"),
        ("http_response_status_code", "405"),
        ("http_route", "/users/{id}"),
    ]);
    let unmatched = labels(&[
        ("http_request_method", "GET"),
        ("url_scheme", "http"),
        ("http_response_status_code", "404"),
    ]);
    assert!(counts.contains(&(purge, 1.0)), "{counts:?}");
    assert!(counts.contains(&(unmatched, 1.0)), "{counts:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn error_type_is_set_on_server_errors_and_failures_only() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let app = app(HttpMetricsLayer::new());
    send(&app, "GET", "/users/1").await;
    send(&app, "GET", "/missing").await;
    send(&app, "GET", "/fail").await;
    let failing = ServiceBuilder::new()
        .layer(HttpMetricsLayer::new())
        .service(service_fn(|_: Request<Body>| async {
            Err::<axum::response::Response, _>(std::io::Error::other("backend gone"))
        }));
    failing
        .oneshot(Request::new(Body::empty()))
        .await
        .unwrap_err();

    let with_error: Vec<_> = counts(&handle)
        .into_iter()
        .filter_map(|(labels, _)| Some((labels.get("error_type")?.clone(), labels)))
        .collect();
    assert_eq!(with_error.len(), 2, "{with_error:?}");
    let (unavailable, labels_503) = &with_error.iter().find(|(e, _)| e == "503").unwrap();
    assert_eq!(unavailable, "503");
    assert_eq!(labels_503["http_response_status_code"], "503");
    let (_, failed) = with_error.iter().find(|(e, _)| e == "_OTHER").unwrap();
    assert!(
        !failed.contains_key("http_response_status_code"),
        "{failed:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn requests_in_flight_are_counted_while_they_run() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let during = handle.clone();
    let app = Router::new()
        .route("/render", get(move || std::future::ready(during.render())))
        .layer(HttpMetricsLayer::new());
    let response = app
        .oneshot(Request::get("/render").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let gauge = |exposition: &str| {
        named(exposition, "http_server_active_requests")
            .into_iter()
            .map(|s| (s.labels, s.value))
            .collect::<Vec<_>>()
    };
    let get = labels(&[("http_request_method", "GET"), ("url_scheme", "http")]);
    assert_eq!(
        gauge(std::str::from_utf8(&body).unwrap()),
        vec![(get.clone(), 1.0)]
    );
    assert_eq!(gauge(&handle.render()), vec![(get, 0.0)]);
}

/// A router whose handler takes `latency` on the mock clock.
fn slow_app(latency: Duration) -> Router {
    let (clock, mock) = quanta::Clock::mock();
    let mock = Arc::clone(&mock);
    Router::new()
        .route(
            "/reports/{id}",
            get(move || {
                mock.increment(latency);
                std::future::ready("report")
            }),
        )
        .layer(HttpMetricsLayer::new().with_clock(clock))
}

#[tokio::test(flavor = "current_thread")]
async fn a_150ms_request_logs_one_warning_and_a_50ms_one_none() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let (warnings, _tracing) = Warnings::capture();
    let request = |latency| {
        let app = slow_app(latency);
        async move {
            let request = Request::get("/reports/9?token=secret")
                .header("x-request-id", "req-150")
                .body(Body::empty())
                .unwrap();
            app.oneshot(request).await.unwrap()
        }
    };

    request(Duration::from_millis(50)).await;
    assert_eq!(warnings.take(), vec![]);

    request(Duration::from_millis(150)).await;
    let logged = warnings.take();
    assert_eq!(logged.len(), 1, "{logged:?}");
    let warning = &logged[0];
    assert_eq!(warning["message"], "slow request");
    assert_eq!(warning["route"], "/reports/{id}");
    assert_eq!(warning["method"], "GET");
    assert_eq!(warning["status"], "200");
    assert_eq!(warning["latency_ms"], "150.0");
    assert_eq!(warning["request_id"], "req-150");
    assert!(!format!("{warning:?}").contains("secret"));

    let sums = named(&handle.render(), &format!("{DURATION}_sum"));
    let total: f64 = sums.iter().map(|s| s.value).sum();
    assert!(
        (total - 0.2).abs() < 1e-9,
        "50 ms + 150 ms recorded, got {total}"
    );
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::DELETE),
        "[A-Z]{1,10}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

fn path_and_query() -> impl Strategy<Value = String> {
    let segment = "[a-zA-Z0-9._~%-]{1,12}";
    let known = prop_oneof![
        segment.prop_map(|id| format!("/users/{id}")),
        segment.prop_map(|id| format!("/users/{id}/orders")),
    ];
    let random = prop::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/")));
    let query = prop::option::of("[a-z0-9=&]{1,16}");
    (prop_oneof![known, random], query).prop_map(|(path, query)| match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    })
}

#[test]
fn no_label_ever_holds_a_raw_path_or_query() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = app(HttpMetricsLayer::new());
    let routes: BTreeSet<&str> = ["/users/{id}", "/users/{id}/orders", "/fail"].into();
    let methods: BTreeSet<&str> = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "_OTHER",
    ]
    .into();
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&(method(), path_and_query()), |(method, uri)| {
            runtime.block_on(send(&app, method.as_str(), &uri));
            for sample in named(&handle.render(), &format!("{DURATION}_count")) {
                for (key, value) in &sample.labels {
                    let allowed = match key.as_str() {
                        "http_route" => routes.contains(value.as_str()),
                        "http_request_method" => methods.contains(value.as_str()),
                        "url_scheme" => value == "http",
                        "http_response_status_code" | "error_type" => {
                            value.parse::<u16>().is_ok_and(|s| (100..600).contains(&s))
                        }
                        _ => false,
                    };
                    prop_assert!(allowed, "label {key}={value:?} after {method} {uri}");
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_layer_rejects_an_invalid_config_by_field() {
    let config = ProfilingConfig {
        request_id_header: "not a header".into(),
        ..Default::default()
    };
    let error = HttpMetricsLayer::from_config(&config).unwrap_err();
    assert!(error.to_string().contains("request_id_header"), "{error}");
}

#[tokio::test(flavor = "current_thread")]
async fn readiness_passes_through_and_a_cancelled_request_records_no_duration() {
    let (recorder, handle) = recorder();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let (mut service, mut inner) =
        tower_test::mock::spawn_layer::<Request<()>, Response<()>, _>(HttpMetricsLayer::new());
    let active = |handle: &PrometheusHandle| {
        named(&handle.render(), "http_server_active_requests")
            .iter()
            .map(|s| s.value)
            .sum::<f64>()
    };

    inner.allow(0);
    tokio_test::assert_pending!(service.poll_ready());
    inner.allow(2);
    tokio_test::assert_ready_ok!(service.poll_ready());
    let answered = service.call(Request::get("/a").body(()).unwrap());
    tokio_test::assert_ready_ok!(service.poll_ready());
    let cancelled = service.call(Request::get("/b").body(()).unwrap());
    assert_eq!(active(&handle), 2.0);

    drop(cancelled);
    assert_eq!(active(&handle), 1.0);
    let (_, respond) = inner.next_request().await.unwrap();
    respond.send_response(Response::new(()));
    answered.await.unwrap();
    assert_eq!(active(&handle), 0.0);
    let recorded: f64 = named(&handle.render(), &format!("{DURATION}_count"))
        .iter()
        .map(|s| s.value)
        .sum();
    assert_eq!(recorded, 1.0, "only the answered request has a duration");
}

//! The behavioural suite, written once over any `Arc<dyn Store>`: `store_suite!` instantiates it
//! for one backend.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use cache_core::Store;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::Full;
use idempotency_layer::{
    IdempotencyConfig, IdempotencyLayer, InFlightMode, OversizedResponse, StoreFailure,
};

use crate::support::{Handler, Observed, post, problem_type, send, service, wrap};

/// Instantiates every case of the suite as a test against the store `$store()` returns.
macro_rules! store_suite {
    ($backend:ident, $store:expr) => {
        mod $backend {
            use super::suite;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        suite::$name($store()).await;
                    }
                };
            }

            case!(concurrent_duplicates_run_the_handler_once);
            case!(principals_never_share_a_record);
            case!(another_request_under_a_key_is_422_and_the_original_still_replays);
            case!(replays_keep_status_body_and_allowed_headers_only);
            case!(server_errors_are_not_kept_and_the_retry_runs);
            case!(inner_errors_release_the_claim);
            case!(a_request_body_over_the_limit_is_413_before_the_handler);
            case!(an_oversized_response_reaches_the_client_and_leaves_a_tombstone);
            case!(an_oversized_response_can_release_instead);
            case!(malformed_keys_are_400_and_nothing_is_written);
            case!(a_missing_key_is_400_where_required_and_passes_elsewhere);
            case!(dropping_the_request_mid_handler_releases_the_claim);
            case!(a_request_dropped_after_the_handler_returned_is_still_recorded);
            case!(a_failing_store_fails_closed_by_default);
            case!(a_failing_store_can_fail_open);
            case!(an_unknown_record_version_or_corruption_is_refused_never_replayed);
            case!(a_duplicate_in_flight_is_409_with_retry_after);
            case!(wait_mode_replays_once_the_first_finishes);
            case!(the_body_budget_answers_503_when_spent);
            case!(the_local_cache_replays_without_the_store);
            case!(uncovered_methods_and_predicates_pass_through);
        }
    };
}

fn config() -> IdempotencyConfig {
    IdempotencyConfig::default()
}

fn replayed(response: &http::Response<Bytes>) -> bool {
    response.headers().get("idempotent-replayed") == Some(&HeaderValue::from_static("true"))
}

pub async fn concurrent_duplicates_run_the_handler_once(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move {
                send(&service, post("/orders", Some("k-100"), "{\"sku\":7}")).await
            })
        })
        .collect();
    let mut originals = Vec::new();
    let mut replays = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(response) if replayed(&response) => replays.push(response),
            Ok(response) => originals.push(response),
            Err(problem) => {
                assert_eq!(problem_type(&problem), "in-flight", "{problem}");
                assert_eq!(problem.status(), StatusCode::CONFLICT);
                conflicts += 1;
            }
        }
    }
    assert_eq!(handler.calls(), 1);
    assert_eq!(
        originals.len(),
        1,
        "exactly one execution answers as the original"
    );
    assert_eq!(originals.len() + replays.len() + conflicts, 100);
    let original = &originals[0];
    for replay in &replays {
        assert_eq!(replay.status(), original.status());
        assert_eq!(replay.body(), original.body());
    }
    let retry = send(&service, post("/orders", Some("k-100"), "{\"sku\":7}"))
        .await
        .unwrap();
    assert!(replayed(&retry));
    assert_eq!(retry.body(), original.body());
    assert_eq!(handler.calls(), 1);
}

#[derive(Clone)]
struct User(&'static str);

pub async fn principals_never_share_a_record(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let layer = IdempotencyLayer::builder(store)
        .principal(|parts: &http::request::Parts| {
            parts
                .extensions
                .get::<User>()
                .map(|user| Bytes::from(user.0))
        })
        .build()
        .unwrap();
    let service = wrap(layer, &handler);
    let as_user = |user: &'static str| {
        let mut request = post("/orders", Some("shared-key"), "{}");
        request.extensions_mut().insert(User(user));
        request
    };
    let alice = send(&service, as_user("alice")).await.unwrap();
    let bob = send(&service, as_user("bob")).await.unwrap();
    assert_eq!(handler.calls(), 2, "both principals run");
    assert_ne!(alice.body(), bob.body());
    let alice_again = send(&service, as_user("alice")).await.unwrap();
    let bob_again = send(&service, as_user("bob")).await.unwrap();
    assert_eq!(alice_again.body(), alice.body());
    assert_eq!(bob_again.body(), bob.body());
    assert_eq!(handler.calls(), 2);
}

pub async fn another_request_under_a_key_is_422_and_the_original_still_replays(
    store: Arc<dyn Store>,
) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let first = send(&service, post("/orders", Some("k"), "{\"a\":1}"))
        .await
        .unwrap();
    let patch = Request::patch("/orders")
        .header("idempotency-key", "\"k\"")
        .body(Full::new(Bytes::from_static(b"{\"a\":1}")))
        .unwrap();
    for other in [
        post("/orders", Some("k"), "{\"a\":2}"),
        post("/invoices", Some("k"), "{\"a\":1}"),
        patch,
    ] {
        let problem = send(&service, other).await.unwrap_err();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem_type(&problem), "fingerprint-mismatch");
    }
    assert_eq!(handler.calls(), 1);
    let retry = send(&service, post("/orders", Some("k"), "{\"a\":1}"))
        .await
        .unwrap();
    assert!(replayed(&retry));
    assert_eq!(retry.body(), first.body());
}

pub async fn replays_keep_status_body_and_allowed_headers_only(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let first = send(&service, post("/orders", Some("h"), "{}"))
        .await
        .unwrap();
    assert!(
        first.headers().contains_key("set-cookie"),
        "the first client gets its cookie"
    );
    assert!(!replayed(&first));
    let retry = send(&service, post("/orders", Some("h"), "{}"))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.body(), first.body());
    assert!(replayed(&retry));
    assert!(!retry.headers().contains_key("set-cookie"));
    assert!(!retry.headers().contains_key("x-handled-by"));
    let links: Vec<_> = retry.headers().get_all("link").iter().collect();
    assert_eq!(
        links,
        ["</orders?page=2>; rel=next", "</orders?page=0>; rel=prev"]
    );
    assert_eq!(retry.headers()["content-type"], "application/json");

    let refused = send(&service, post("/refuse", Some("r"), "{}"))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
    let again = send(&service, post("/refuse", Some("r"), "{}"))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_ACCEPTABLE);
    assert!(replayed(&again));
    assert_eq!(again.body(), refused.body());
    assert_eq!(handler.calls(), 2);
}

pub async fn server_errors_are_not_kept_and_the_retry_runs(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let failed = send(&service, post("/flaky", Some("f"), "{}"))
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let retried = send(&service, post("/flaky", Some("f"), "{}"))
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::CREATED);
    assert!(!replayed(&retried));
    assert_eq!(handler.calls(), 2);
    let replay = send(&service, post("/flaky", Some("f"), "{}"))
        .await
        .unwrap();
    assert!(replayed(&replay));
    assert_eq!(handler.calls(), 2);
}

pub async fn inner_errors_release_the_claim(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    for _ in 0..2 {
        let error = tower::ServiceExt::oneshot(service.clone(), post("/error", Some("e"), "{}"))
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "the handler failed");
    }
    assert_eq!(handler.calls(), 2, "the retry ran the handler again");
}

pub async fn a_request_body_over_the_limit_is_413_before_the_handler(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let config = IdempotencyConfig {
        max_request_body: bytesize::ByteSize::b(8),
        ..config()
    };
    let service = service(observed.clone(), config, &handler);
    let problem = send(&service, post("/orders", Some("big"), "0123456789"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem_type(&problem), "request-body-too-large");
    assert_eq!(handler.calls(), 0);
    assert_eq!(observed.writes(), 0);
}

pub async fn an_oversized_response_reaches_the_client_and_leaves_a_tombstone(
    store: Arc<dyn Store>,
) {
    let handler = Arc::new(Handler::default());
    let config = IdempotencyConfig {
        max_response_body: bytesize::ByteSize::kib(16),
        ..config()
    };
    let service = service(store, config, &handler);
    let first = send(&service, post("/big", Some("t"), "{}")).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        first.body().len(),
        64 * 1024,
        "the client gets the whole body"
    );
    let problem = send(&service, post("/big", Some("t"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::GONE);
    assert_eq!(problem_type(&problem), "response-not-recorded");
    assert_eq!(handler.calls(), 1);
}

pub async fn an_oversized_response_can_release_instead(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let config = IdempotencyConfig {
        max_response_body: bytesize::ByteSize::kib(16),
        oversized_response: OversizedResponse::Release,
        ..config()
    };
    let service = service(store, config, &handler);
    for _ in 0..2 {
        let response = send(&service, post("/big", Some("t"), "{}")).await.unwrap();
        assert_eq!(response.body().len(), 64 * 1024);
    }
    assert_eq!(handler.calls(), 2);
}

/// Header lines (each `Vec` one request) that must be refused, and the problem type expected.
fn malformed_keys() -> Vec<(Vec<&'static [u8]>, &'static str)> {
    let too_long: &'static [u8] = format!("\"{}\"", "k".repeat(256)).leak().as_bytes();
    vec![
        (vec![b"\"\""], "key-empty"),
        (vec![b""], "key-empty"),
        (vec![b"   "], "key-empty"),
        (vec![b"\"abc"], "key-malformed"),
        (vec![b"\"ab\"c\""], "key-malformed"),
        (vec![b"\"a\\b\""], "key-malformed"),
        (vec![b"\"trailing\\\""], "key-malformed"),
        (vec![b"(parens)"], "key-malformed"),
        (vec![b"\"a\", \"b\""], "key-list"),
        (vec![b"a, b"], "key-list"),
        (vec![b"\"a\"", b"\"b\""], "key-repeated"),
        (vec![b"\"tab\there\""], "key-invalid-character"),
        (vec![b"\"caf\xc3\xa9\""], "key-invalid-character"),
        (vec![b"\xff\xfe"], "key-invalid-character"),
        (vec![b"\"a\";p=1"], "key-malformed"),
        (vec![too_long], "key-too-long"),
    ]
}

pub async fn malformed_keys_are_400_and_nothing_is_written(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let service = service(observed.clone(), config(), &handler);
    let cases = malformed_keys();
    assert!(cases.len() >= 12);
    for (lines, expected) in cases {
        let mut request = post("/orders", None, "{}");
        for line in &lines {
            let value = HeaderValue::from_bytes(line).unwrap();
            request.headers_mut().append("idempotency-key", value);
        }
        let problem = send(&service, request)
            .await
            .expect_err(&format!("{lines:?} must be refused"));
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST, "{lines:?}");
        assert_eq!(problem_type(&problem), expected, "{lines:?}");
    }
    assert_eq!(handler.calls(), 0);
    assert_eq!(observed.writes(), 0, "nothing reaches the store");
}

pub async fn a_missing_key_is_400_where_required_and_passes_elsewhere(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let lenient = service(store.clone(), config(), &handler);
    send(&lenient, post("/orders", None, "{}")).await.unwrap();
    send(&lenient, post("/orders", None, "{}")).await.unwrap();
    assert_eq!(handler.calls(), 2, "without a key every request runs");
    let strict = service(
        store,
        IdempotencyConfig {
            require_key: true,
            ..config()
        },
        &handler,
    );
    let problem = send(&strict, post("/orders", None, "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem_type(&problem), "key-missing");
    assert_eq!(handler.calls(), 2);
}

pub async fn dropping_the_request_mid_handler_releases_the_claim(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let service = service(observed.clone(), config(), &handler);
    let request = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("d"), "{}")).await })
    };
    handler.started.notified().await;
    let key = observed.last_key();
    assert!(
        observed.store().get(&key).await.unwrap().is_some(),
        "claimed"
    );
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    let mut released = false;
    for _ in 0..500 {
        if observed.store().get(&key).await.unwrap().is_none() {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(released, "the claim was released after the drop");
    handler.release.notify_one();
    let retry = send(&service, post("/slow", Some("d"), "{}"))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert!(!replayed(&retry));
    assert_eq!(handler.calls(), 2);
}

pub async fn a_request_dropped_after_the_handler_returned_is_still_recorded(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let request = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/stream", Some("gone"), "{}")).await })
    };
    // The handler has returned; the layer is reading the response body when the client leaves.
    handler.started.notified().await;
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    handler.release.notify_one();
    let mut replay = None;
    for _ in 0..500 {
        match send(&service, post("/stream", Some("gone"), "{}")).await {
            Ok(response) => {
                replay = Some(response);
                break;
            }
            Err(problem) => assert_eq!(problem_type(&problem), "in-flight", "{problem}"),
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let replay = replay.expect("the recording finished without the client");
    assert!(replayed(&replay));
    assert_eq!(replay.body(), "streamed order #1, and its end");
    assert_eq!(handler.calls(), 1);
}

pub async fn a_failing_store_fails_closed_by_default(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    observed.failing.store(true, Ordering::SeqCst);
    let handler = Arc::new(Handler::default());
    let service = service(observed.clone(), config(), &handler);
    let problem = send(&service, post("/orders", Some("s"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem_type(&problem), "store-unavailable");
    assert_eq!(problem.detail(), None, "the cause is logged, not shown");
    assert_eq!(handler.calls(), 0);
}

pub async fn a_failing_store_can_fail_open(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    observed.failing.store(true, Ordering::SeqCst);
    let handler = Arc::new(Handler::default());
    let config = IdempotencyConfig {
        on_store_failure: StoreFailure::FailOpen,
        ..config()
    };
    let service = service(observed.clone(), config, &handler);
    let response = send(&service, post("/orders", Some("s"), "{}"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(handler.calls(), 1);
}

pub async fn an_unknown_record_version_or_corruption_is_refused_never_replayed(
    store: Arc<dyn Store>,
) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let service = service(observed.clone(), config(), &handler);
    send(&service, post("/orders", Some("v"), "{}"))
        .await
        .unwrap();
    let key = observed.last_key();
    let record = observed.store().get(&key).await.unwrap().unwrap();
    let mut newer = record.to_vec();
    newer[2] = 200;
    observed
        .store()
        .set(&key, newer.into(), None)
        .await
        .unwrap();
    let problem = send(&service, post("/orders", Some("v"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(problem_type(&problem), "record-version-unknown");
    let mut corrupt = record.to_vec();
    let last = corrupt.len() - 12;
    corrupt[last] ^= 1;
    observed
        .store()
        .set(&key, corrupt.into(), None)
        .await
        .unwrap();
    let problem = send(&service, post("/orders", Some("v"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem_type(&problem), "record-corrupt");
    assert_eq!(
        handler.calls(),
        1,
        "never run again over an unreadable record"
    );
}

pub async fn a_duplicate_in_flight_is_409_with_retry_after(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let service = service(store, config(), &handler);
    let first = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("w"), "{}")).await })
    };
    handler.started.notified().await;
    let problem = send(&service, post("/slow", Some("w"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::CONFLICT);
    assert_eq!(problem.headers()["retry-after"], "1");
    handler.release.notify_one();
    let first = first.await.unwrap().unwrap();
    let replay = send(&service, post("/slow", Some("w"), "{}"))
        .await
        .unwrap();
    assert_eq!(replay.body(), first.body());
    assert_eq!(handler.calls(), 1);
}

pub async fn wait_mode_replays_once_the_first_finishes(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let mut config = config();
    config.in_flight.mode = InFlightMode::Wait;
    config.in_flight.poll_interval = Duration::from_millis(5);
    config.in_flight.max_wait = Duration::from_secs(30);
    let service = service(store, config, &handler);
    let first = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("w"), "{}")).await })
    };
    handler.started.notified().await;
    let second = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("w"), "{}")).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    handler.release.notify_one();
    let first = first.await.unwrap().unwrap();
    let second = second.await.unwrap().unwrap();
    assert!(replayed(&second));
    assert_eq!(second.body(), first.body());
    assert_eq!(handler.calls(), 1);
}

pub async fn the_body_budget_answers_503_when_spent(store: Arc<dyn Store>) {
    let handler = Arc::new(Handler::default());
    let config = IdempotencyConfig {
        body_budget: bytesize::ByteSize::b(16),
        max_request_body: bytesize::ByteSize::b(16),
        max_response_body: bytesize::ByteSize::b(16),
        ..config()
    };
    let service = service(store, config, &handler);
    let holder = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("one"), "0123456789")).await })
    };
    handler.started.notified().await;
    let problem = send(&service, post("/orders", Some("two"), "0123456789"))
        .await
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem_type(&problem), "body-budget-exhausted");
    handler.release.notify_one();
    holder.await.unwrap().unwrap();
    send(&service, post("/orders", Some("two"), "0123456789"))
        .await
        .unwrap();
}

pub async fn the_local_cache_replays_without_the_store(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let mut config = config();
    config.local_cache.capacity = 64;
    let service = service(observed.clone(), config, &handler);
    let first = send(&service, post("/orders", Some("l"), "{}"))
        .await
        .unwrap();
    observed.failing.store(true, Ordering::SeqCst);
    let replay = send(&service, post("/orders", Some("l"), "{}"))
        .await
        .unwrap();
    assert!(replayed(&replay));
    assert_eq!(replay.body(), first.body());
    let problem = send(&service, post("/orders", Some("l"), "{\"other\":1}"))
        .await
        .unwrap_err();
    assert_eq!(
        problem_type(&problem),
        "store-unavailable",
        "a mismatch goes to the store"
    );
}

pub async fn uncovered_methods_and_predicates_pass_through(store: Arc<dyn Store>) {
    let observed = Observed::new(store);
    let handler = Arc::new(Handler::default());
    let layer = IdempotencyLayer::builder(observed.clone())
        .predicate(|parts: &http::request::Parts| parts.uri.path() != "/refuse")
        .build()
        .unwrap();
    let service = wrap(layer, &handler);
    let put = Request::put("/orders")
        .header("idempotency-key", "\"p\"")
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(&service, put).await.unwrap();
    send(&service, post("/refuse", Some("p"), "{}"))
        .await
        .unwrap();
    send(&service, post("/refuse", Some("p"), "{}"))
        .await
        .unwrap();
    assert_eq!(handler.calls(), 3);
    assert_eq!(observed.writes(), 0);
}

//! The breaker driven through tower-test mocks over paused tokio time.

mod support;

use std::time::Duration;

use circuit_breaker::{CircuitOpen, State, Tally};
use futures_util::FutureExt;
use support::{config, layer, run, spawn};
use tokio_test::{assert_pending, assert_ready_ok};

const FAILED: support::Reply = Err("boom");
const OK: support::Reply = Ok(200);

fn rejected(result: Result<u16, circuit_breaker::error::BoxError>) -> CircuitOpen {
    let error = result.expect_err("the breaker should reject");
    CircuitOpen::find(&*error)
        .unwrap_or_else(|| panic!("not a CircuitOpen: {error}"))
        .clone()
}

#[tokio::test(start_paused = true)]
async fn nine_failures_stay_closed_and_the_tenth_opens() {
    let (layer, transitions) = layer(config(3));
    let (mut service, mut handle) = spawn(&layer);
    for _ in 0..9 {
        assert!(run(&mut service, &mut handle, FAILED).await.is_err());
    }
    assert_eq!(layer.handle().state(), State::Closed);
    assert!(run(&mut service, &mut handle, FAILED).await.is_err());
    assert_eq!(layer.handle().state(), State::Open);
    assert_eq!(transitions.lock().unwrap().len(), 1);

    let open = rejected(run(&mut service, &mut handle, OK).await);
    assert_eq!(open.state(), State::Open);
    assert_eq!(open.retry_after(), Some(Duration::from_secs(10)));
}

#[tokio::test(start_paused = true)]
async fn exactly_the_threshold_trips() {
    let (layer, _) = layer(config(3));
    let (mut service, mut handle) = spawn(&layer);
    for reply in [OK, FAILED].repeat(4) {
        let _ = run(&mut service, &mut handle, reply).await;
    }
    run(&mut service, &mut handle, OK).await.unwrap();
    assert_eq!(layer.handle().state(), State::Closed, "4 of 9 failed");
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(layer.handle().state(), State::Open, "5 of 10 is 50%");
}

#[tokio::test(start_paused = true)]
async fn slow_calls_alone_trip() {
    let (layer, _) = layer(circuit_breaker::CircuitBreakerConfig {
        slow_call_duration: Some(Duration::from_secs(1)),
        slow_call_rate_threshold: 50.0,
        ..config(3)
    });
    let (mut service, mut handle) = spawn(&layer);
    for call in 0..10 {
        assert_ready_ok!(service.poll_ready());
        let response = service.call("request");
        let (_, send) = handle.next_request().await.unwrap();
        let took = if call % 2 == 0 { 1_000 } else { 999 };
        tokio::time::advance(Duration::from_millis(took)).await;
        send.send_response(200);
        assert_eq!(response.await.unwrap(), 200);
    }
    assert_eq!(
        layer.handle().state(),
        State::Open,
        "5 of 10 calls took the slow-call duration, none failed"
    );
}

/// Opens the breaker with ten failures and waits out its 10s.
async fn open_and_wait(
    service: &mut tower_test::mock::Spawn<support::Breaker>,
    handle: &mut tower_test::mock::Handle<&'static str, u16>,
) {
    for _ in 0..10 {
        let _ = run(service, handle, FAILED).await;
    }
    tokio::time::advance(Duration::from_secs(10)).await;
}

#[tokio::test(start_paused = true)]
async fn open_rejects_without_polling_the_inner_service() {
    let (layer, _) = layer(config(3));
    let (mut service, mut handle) = spawn(&layer);
    for _ in 0..10 {
        let _ = run(&mut service, &mut handle, FAILED).await;
    }
    handle.allow(0);
    assert_ready_ok!(
        service.poll_ready(),
        "open: ready without the inner service"
    );
    let response = service.call("request");
    assert!(
        handle.next_request().now_or_never().is_none(),
        "the inner service was called"
    );
    assert_eq!(rejected(response.await).state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_the_probes_then_closes() {
    let (layer, transitions) = layer(config(2));
    let (mut service, mut handle) = spawn(&layer);
    open_and_wait(&mut service, &mut handle).await;

    let mut first = service.clone();
    let mut second = service.clone();
    let mut third = service.clone();
    assert_ready_ok!(first.poll_ready());
    assert_eq!(layer.handle().state(), State::HalfOpen);
    assert_ready_ok!(second.poll_ready());
    assert_ready_ok!(
        third.poll_ready(),
        "a caller with no slot is answered Ready"
    );
    let rejected_call = third.call("request");
    assert_eq!(rejected(rejected_call.await).state(), State::HalfOpen);

    let (a, b) = (first.call("a"), second.call("b"));
    for _ in 0..2 {
        handle.next_request().await.unwrap().1.send_response(200);
    }
    a.await.unwrap();
    b.await.unwrap();
    assert_eq!(layer.handle().state(), State::Closed);
    let states: Vec<_> = transitions.lock().unwrap().iter().map(|t| t.to).collect();
    assert_eq!(states, [State::Open, State::HalfOpen, State::Closed]);
}

#[tokio::test(start_paused = true)]
async fn a_half_open_failure_re_opens_with_a_longer_wait_when_backing_off() {
    let (layer, transitions) = layer(circuit_breaker::CircuitBreakerConfig {
        wait: circuit_breaker::WaitConfig::Exponential {
            initial: Duration::from_secs(10),
            multiplier: 3.0,
            max: Duration::from_secs(60),
        },
        ..config(1)
    });
    let (mut service, mut handle) = spawn(&layer);
    open_and_wait(&mut service, &mut handle).await;
    assert!(run(&mut service, &mut handle, FAILED).await.is_err());
    assert_eq!(layer.handle().state(), State::Open);
    let open = rejected(run(&mut service, &mut handle, OK).await);
    assert_eq!(open.retry_after(), Some(Duration::from_secs(30)));
    let waits: Vec<_> = transitions
        .lock()
        .unwrap()
        .iter()
        .filter_map(|t| t.wait)
        .collect();
    assert_eq!(waits, [Duration::from_secs(10), Duration::from_secs(30)]);
}

#[tokio::test(start_paused = true)]
async fn half_open_judges_the_rate_over_all_its_probes() {
    let (layer, _) = layer(config(3));
    let (mut service, mut handle) = spawn(&layer);
    open_and_wait(&mut service, &mut handle).await;
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(
        layer.handle().state(),
        State::HalfOpen,
        "1 of 3 is below 50%"
    );
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(
        layer.handle().state(),
        State::Open,
        "2 of 3 reach 50% whatever the third does"
    );
}

#[tokio::test(start_paused = true)]
async fn a_reserved_slot_is_freed_when_the_clone_is_dropped() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    open_and_wait(&mut service, &mut handle).await;

    let mut reserving = service.clone();
    assert_ready_ok!(reserving.poll_ready());
    let mut other = service.clone();
    assert_ready_ok!(other.poll_ready());
    rejected(other.call("request").await);
    drop(reserving);

    run(&mut service, &mut handle, OK).await.unwrap();
    assert_eq!(layer.handle().state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_probe_frees_its_slot_without_recording() {
    let (layer, transitions) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    open_and_wait(&mut service, &mut handle).await;

    assert_ready_ok!(service.poll_ready());
    let probe = service.call("abandoned");
    let (_, send) = handle.next_request().await.unwrap();
    drop(probe);
    send.send_error("too late");
    assert_eq!(layer.handle().state(), State::HalfOpen);
    assert_eq!(transitions.lock().unwrap().len(), 2, "nothing recorded");

    run(&mut service, &mut handle, OK).await.unwrap();
    assert_eq!(layer.handle().state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn call_re_checks_a_state_changed_since_poll_ready() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    assert_ready_ok!(service.poll_ready());
    layer.handle().force_open();
    let response = service.call("request");
    assert!(handle.next_request().now_or_never().is_none());
    assert_eq!(rejected(response.await).state(), State::ForcedOpen);
}

#[tokio::test(start_paused = true)]
async fn ignored_errors_move_no_counter() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    for _ in 0..20 {
        assert_eq!(run(&mut service, &mut handle, Ok(404)).await.unwrap(), 404);
    }
    assert_eq!(layer.handle().tally(), Tally::default());
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(
        layer.handle().tally(),
        Tally {
            calls: 1,
            failures: 1,
            slow: 0
        }
    );
}

#[tokio::test(start_paused = true)]
async fn disabled_and_metrics_only_never_open() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    layer.handle().metrics_only();
    for _ in 0..20 {
        let _ = run(&mut service, &mut handle, FAILED).await;
    }
    assert_eq!(layer.handle().state(), State::MetricsOnly);
    assert_eq!(layer.handle().tally().failures, 10);
    layer.handle().disable();
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(layer.handle().tally(), Tally::default());
}

#[tokio::test(start_paused = true)]
async fn an_inner_service_not_ready_keeps_the_caller_pending_while_closed() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    handle.allow(0);
    assert_pending!(service.poll_ready());
    handle.allow(1);
    assert_ready_ok!(service.poll_ready());
}

#[test]
fn the_service_is_clone_send_sync() {
    fn assert_bounds<T: Clone + Send + Sync + 'static>() {}
    assert_bounds::<
        circuit_breaker::CircuitBreaker<tower::util::BoxCloneSyncService<(), (), std::io::Error>>,
    >();
    assert_bounds::<circuit_breaker::CircuitBreakerLayer>();
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_failures_older_than_its_length() {
    let (layer, _) = layer(circuit_breaker::CircuitBreakerConfig {
        window: circuit_breaker::WindowConfig::Time {
            length: Duration::from_secs(10),
            buckets: 10,
        },
        minimum_calls: 4,
        ..config(1)
    });
    let (mut service, mut handle) = spawn(&layer);
    for _ in 0..3 {
        let _ = run(&mut service, &mut handle, FAILED).await;
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    let _ = run(&mut service, &mut handle, FAILED).await;
    assert_eq!(
        layer.handle().tally().calls,
        1,
        "the first three left the window"
    );
    assert_eq!(layer.handle().state(), State::Closed);
    for _ in 0..3 {
        let _ = run(&mut service, &mut handle, FAILED).await;
    }
    assert_eq!(layer.handle().state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn a_caller_waiting_on_the_inner_service_is_turned_away_once_the_breaker_opens() {
    let (layer, _) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    handle.allow(0);
    assert_pending!(service.poll_ready());
    layer.handle().force_open();
    assert_ready_ok!(service.poll_ready());
    let response = service.call("request");
    assert_eq!(rejected(response.await).state(), State::ForcedOpen);
}

#[tokio::test(start_paused = true)]
async fn the_default_classifier_counts_5xx_responses_as_failures() {
    use tower::{Service, ServiceBuilder, ServiceExt};

    let layer = circuit_breaker::CircuitBreakerLayer::builder(config(1))
        .clock(circuit_breaker::TokioClock::new())
        .build()
        .unwrap();
    let handle = layer.handle();
    let mut service = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|status: u16| async move {
            let response = http::Response::builder().status(status).body(()).unwrap();
            Ok::<_, std::convert::Infallible>(response)
        });
    for status in [404, 409, 200, 200, 200, 502, 503, 500, 500] {
        service.ready().await.unwrap().call(status).await.unwrap();
    }
    assert_eq!(handle.tally().failures, 4);
    assert_eq!(handle.state(), State::Closed, "4 of 9");
    service.ready().await.unwrap().call(500).await.unwrap();
    assert_eq!(handle.state(), State::Open, "5 of 10");
    let error = service.ready().await.unwrap().call(200).await.unwrap_err();
    let problem = error
        .downcast_ref::<error_mapping::ProblemError>()
        .expect("rejections are problems")
        .problem();
    assert_eq!(problem.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem.headers()[http::header::RETRY_AFTER], "10");
}

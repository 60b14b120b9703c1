//! What a readiness probe or an admin route reads through the handle, over paused tokio time.

mod support;

use std::time::Duration;

use circuit_breaker::State;
use support::{config, layer, run, spawn};

const FAILED: support::Reply = Err("boom");
const OK: support::Reply = Ok(200);

#[tokio::test(start_paused = true)]
async fn an_open_breaker_reads_half_open_once_its_wait_is_over() {
    let (layer, transitions) = layer(config(1));
    let handle = layer.handle();
    let (mut service, mut mock) = spawn(&layer);
    for _ in 0..10 {
        let _ = run(&mut service, &mut mock, FAILED).await;
    }
    assert_eq!(handle.state(), State::Open);
    assert!(handle.is_open());
    assert_eq!(handle.retry_after(), Some(Duration::from_secs(10)));

    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(handle.retry_after(), Some(Duration::from_secs(6)));
    assert!(handle.is_open());

    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(handle.state(), State::HalfOpen, "no call was needed");
    assert!(!handle.is_open(), "probes are let through");
    assert_eq!(handle.retry_after(), None);
    assert_eq!(
        handle.state(),
        State::HalfOpen,
        "reading twice moves nothing"
    );
    let states: Vec<_> = transitions.lock().unwrap().iter().map(|t| t.to).collect();
    assert_eq!(states, [State::Open, State::HalfOpen]);

    run(&mut service, &mut mock, OK).await.unwrap();
    assert_eq!(handle.state(), State::Closed, "the one probe succeeded");
}

#[tokio::test(start_paused = true)]
async fn reading_before_the_wait_is_over_changes_nothing() {
    let (layer, transitions) = layer(config(1));
    let handle = layer.handle();
    let (mut service, mut mock) = spawn(&layer);
    for _ in 0..10 {
        let _ = run(&mut service, &mut mock, FAILED).await;
    }
    tokio::time::advance(Duration::from_millis(9_999)).await;
    assert_eq!(handle.state(), State::Open);
    assert_eq!(handle.retry_after(), Some(Duration::from_millis(1)));
    assert_eq!(transitions.lock().unwrap().len(), 1);
    assert!(
        run(&mut service, &mut mock, OK).await.is_err(),
        "still open"
    );
}

#[tokio::test(start_paused = true)]
async fn forced_states_read_as_forced_with_no_wait() {
    let (layer, _) = layer(config(1));
    let handle = layer.handle();
    type Force = fn(&circuit_breaker::BreakerHandle) -> bool;
    let cases: [(Force, State, bool); 4] = [
        (|h| h.force_open(), State::ForcedOpen, true),
        (|h| h.disable(), State::Disabled, false),
        (|h| h.metrics_only(), State::MetricsOnly, false),
        (|h| h.reset(), State::Closed, false),
    ];
    for (force, state, open) in cases {
        assert!(force(&handle), "{state}");
        assert_eq!((handle.state(), handle.is_open()), (state, open));
        assert_eq!(handle.retry_after(), None, "{state}");
    }
}

//! The events a breaker emits, in a test binary of its own: `tracing` caches per-callsite
//! interest process-wide, so other tests hitting the same callsites concurrently without a
//! subscriber would make the capture flaky.

mod support;

use std::time::Duration;

use circuit_breaker::{CircuitOpen, State};
use support::{Incidents, config, layer, run, spawn};

fn rejected(result: Result<u16, circuit_breaker::error::BoxError>) -> CircuitOpen {
    let error = result.expect_err("the breaker should reject");
    CircuitOpen::find(&*error).expect("a CircuitOpen").clone()
}

const OK: support::Reply = Ok(200);

#[tokio::test(start_paused = true)]
async fn forced_open_rejects_and_emits_one_event() {
    let incidents = Incidents::default();
    let _guard = incidents.install();
    let (layer, transitions) = layer(config(1));
    let (mut service, mut handle) = spawn(&layer);
    assert!(layer.handle().force_open());
    assert!(!layer.handle().force_open(), "already forced open");
    for _ in 0..3 {
        let open = rejected(run(&mut service, &mut handle, OK).await);
        assert_eq!(
            (open.state(), open.retry_after()),
            (State::ForcedOpen, None)
        );
    }
    advance_and_check(&mut service, &mut handle).await;
    assert_eq!(transitions.lock().unwrap().len(), 1);
    let events = incidents.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains(&("incident".into(), "breaker_open".into())));
    assert!(events[0].contains(&("source".into(), "dependency".into())));

    assert!(layer.handle().reset());
    run(&mut service, &mut handle, OK).await.unwrap();
    let events = incidents.events();
    assert_eq!(events.len(), 2);
    assert!(events[1].contains(&("resolves".into(), "true".into())));

    // A natural cycle: opening raises the incident, probing is no incident, closing resolves.
    for _ in 0..10 {
        let _ = run(&mut service, &mut handle, Err("boom")).await;
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    run(&mut service, &mut handle, OK).await.unwrap();
    assert_eq!(layer.handle().state(), State::Closed);
    let events = incidents.events();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(events[2].contains(&("to".into(), "open".into())));
    assert!(!events[2].iter().any(|(name, _)| name == "resolves"));
    assert!(events[3].contains(&("resolves".into(), "true".into())));
    assert!(events[3].contains(&("from".into(), "half_open".into())));
    let states: Vec<_> = transitions.lock().unwrap().iter().map(|t| t.to).collect();
    assert_eq!(
        states,
        [
            State::ForcedOpen,
            State::Closed,
            State::Open,
            State::HalfOpen,
            State::Closed
        ]
    );
}

/// Forced open never turns half-open by itself.
async fn advance_and_check(
    service: &mut tower_test::mock::Spawn<support::Breaker>,
    handle: &mut tower_test::mock::Handle<&'static str, u16>,
) {
    tokio::time::advance(Duration::from_secs(3_600)).await;
    rejected(run(service, handle, OK).await);
}

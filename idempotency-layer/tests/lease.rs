//! Lease overrun on the store's clock: the sharded store runs on a `MockClock` the test moves,
//! tokio's clock is paused so lease renewals fire when the test says.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cache_core::MockClock;
use http::StatusCode;
use idempotency_layer::IdempotencyConfig;

use support::{Handler, post, problem_type, send, service, sharded_on};

fn config(renew_interval: Duration) -> IdempotencyConfig {
    IdempotencyConfig {
        lease: Duration::from_secs(10),
        renew_interval,
        ..IdempotencyConfig::default()
    }
}

/// Lets every other task of the current-thread runtime run until it waits.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn renewal_keeps_the_claim_past_the_first_lease() {
    let clock = MockClock::new();
    let handler = Arc::new(Handler::default());
    let service = service(sharded_on(&clock), config(Duration::from_secs(1)), &handler);
    let first = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("lease"), "{}")).await })
    };
    handler.started.notified().await;
    clock.advance(Duration::from_secs(8));
    tokio::time::advance(Duration::from_secs(1)).await;
    settle().await;
    // Past the first lease (10 s), inside the renewed one (8 s + 10 s).
    clock.advance(Duration::from_secs(5));
    // Had the claim expired, this retry would run the handler and wait on it: bounded.
    let retry = send(&service, post("/slow", Some("lease"), "{}"));
    let problem = tokio::time::timeout(Duration::from_secs(60), retry)
        .await
        .expect("the retry ran the handler: the claim was lost")
        .unwrap_err();
    assert_eq!(problem.status(), StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem_type(&problem), "in-flight");
    handler.release.notify_one();
    let first = first.await.unwrap().unwrap();
    let replay = send(&service, post("/slow", Some("lease"), "{}"))
        .await
        .unwrap();
    assert_eq!(replay.body(), first.body());
    assert_eq!(handler.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stale_completion_never_overwrites_the_new_owner() {
    let clock = MockClock::new();
    let handler = Arc::new(Handler::default());
    let service = service(sharded_on(&clock), config(Duration::from_secs(9)), &handler);
    let stale = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("lease"), "{}")).await })
    };
    handler.started.notified().await;
    let problem = send(&service, post("/slow", Some("lease"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(
        problem.status(),
        StatusCode::CONFLICT,
        "no takeover before the store expires the claim"
    );

    // The owner stalls past its lease without renewing: the store expires the claim.
    clock.advance(Duration::from_secs(11));
    let owner = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("lease"), "{}")).await })
    };
    handler.started.notified().await;
    assert_eq!(handler.calls(), 2, "the expired claim was taken over");

    // The stale owner finishes first: its client gets its answer, the store keeps nothing of it.
    handler.release.notify_one();
    let stale = stale.await.unwrap().unwrap();
    assert_eq!(stale.status(), StatusCode::CREATED);
    let problem = send(&service, post("/slow", Some("lease"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(
        problem_type(&problem),
        "in-flight",
        "the new owner's claim is intact"
    );

    handler.release.notify_one();
    let owner = owner.await.unwrap().unwrap();
    assert_ne!(owner.body(), stale.body());
    let replay = send(&service, post("/slow", Some("lease"), "{}"))
        .await
        .unwrap();
    assert_eq!(
        replay.body(),
        owner.body(),
        "the store holds the new owner's result only"
    );
    assert_eq!(handler.calls(), 2);
}

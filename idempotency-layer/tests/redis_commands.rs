//! What each outcome costs on Redis, as the server counts it (`INFO commandstats`, on a private
//! server so no other test's commands mix in): a first execution is a claim (`SET … NX GET`) and a
//! completion (`EVALSHA`, whose script runs a `GET` and a `SET`, counted by Redis too); a replay,
//! a 409 and a 422 are the claim attempt alone.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use cache_redis::RedisStore;
use cache_redis::test_support::TestRedis;
use http::StatusCode;
use idempotency_layer::IdempotencyConfig;

use support::{Handler, post, send, service};

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(name, n)| ((*name).to_owned(), *n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_execution_is_two_commands_and_a_replay_one() {
    let redis = TestRedis::private(&[]).expect("a private redis-server");
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let handler = Arc::new(Handler::default());
    let service = service(Arc::new(store), IdempotencyConfig::default(), &handler);
    // The first completion after a server start loads the script: leave that out.
    send(&service, post("/orders", Some("warm-up"), "{}"))
        .await
        .unwrap();
    let mut counter = redis.command_counter().await.unwrap();

    let first = send(&service, post("/orders", Some("k"), "{}"))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let claim_and_complete = counts(&[("set", 2), ("evalsha", 1), ("get", 1)]);
    assert_eq!(counter.executed().await.unwrap(), claim_and_complete);

    let replay = send(&service, post("/orders", Some("k"), "{}"))
        .await
        .unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));

    let mismatch = send(&service, post("/orders", Some("k"), "{\"other\":1}"))
        .await
        .unwrap_err();
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));

    let slow = {
        let service = service.clone();
        tokio::spawn(async move { send(&service, post("/slow", Some("s"), "{}")).await })
    };
    handler.started.notified().await;
    counter.executed().await.unwrap();
    let conflict = send(&service, post("/slow", Some("s"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    assert_eq!(counter.executed().await.unwrap(), counts(&[("set", 1)]));
    handler.release.notify_one();
    slow.await.unwrap().unwrap();
    assert_eq!(handler.calls(), 3);
}

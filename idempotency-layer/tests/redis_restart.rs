//! Redis killed (`SIGKILL`) and restarted under a running workload: while it is down the layer
//! fails closed (503, handler not run); after the restart, retries replay or run once. No request
//! ever runs its handler twice.
//!
//! The server keeps what it acknowledged across the crash (`appendonly yes`, `appendfsync
//! always`), as a Redis holding idempotency records must: one that forgets its records on a
//! restart lets every retry run again.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_redis::RedisStore;
use cache_redis::test_support::TestRedis;
use error_mapping::BoxError;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use idempotency_layer::{IdempotencyLayer, ReplayBody};
use tower::util::BoxCloneSyncService;
use tower::{BoxError as TowerBoxError, Layer, ServiceExt};

use support::{post, problem, problem_type};

/// Long enough for any wait of this test to be a hang, not slowness.
const PATIENCE: Duration = Duration::from_secs(30);

type Orders = BoxCloneSyncService<Request<Full<Bytes>>, Response<Bytes>, TowerBoxError>;

/// How many times the handler ran, per idempotency key.
#[derive(Debug, Default)]
struct Executions(Mutex<HashMap<String, usize>>);

impl Executions {
    fn record(&self, key: &str) -> usize {
        let mut runs = self.0.lock().unwrap();
        let count = runs.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }

    fn of(&self, key: &str) -> usize {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

/// What a request with one key got in the end.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// 201, the first execution or a replay of it.
    Order { body: Bytes, replayed: bool },
    /// 409: the key's claim is held (its completion was lost with the server; the lease keeps
    /// it until it expires).
    Held,
    /// 503: the store was unavailable, the handler did not run.
    Unavailable,
}

fn orders(store: RedisStore, executions: &Arc<Executions>) -> Orders {
    let layer = IdempotencyLayer::builder(Arc::new(store)).build().unwrap();
    let executions = Arc::clone(executions);
    let handler = tower::service_fn(move |request: Request<Full<Bytes>>| {
        let executions = Arc::clone(&executions);
        async move {
            let key = request.headers()["idempotency-key"].to_str()?;
            let key = key.trim_matches('"').to_owned();
            let run = executions.record(&key);
            tokio::time::sleep(Duration::from_millis(5)).await;
            let body = Full::new(Bytes::from(format!("order {key}, run {run}")));
            Ok::<_, BoxError>(Response::builder().status(StatusCode::CREATED).body(body)?)
        }
    });
    let service =
        layer
            .layer(handler)
            .and_then(|response: Response<ReplayBody<Full<Bytes>>>| async move {
                let (parts, body) = response.into_parts();
                let bytes = body.collect().await?.to_bytes();
                Ok::<_, BoxError>(Response::from_parts(parts, bytes))
            });
    BoxCloneSyncService::new(service)
}

/// One request with `key`; anything but an order, a 409 in flight or a 503 store-unavailable
/// fails the test.
async fn send(service: &Orders, key: &str) -> Answer {
    match service
        .clone()
        .oneshot(post("/orders", Some(key), "{}"))
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::CREATED);
            let replayed = response.headers().contains_key("idempotent-replayed");
            Answer::Order {
                body: response.into_body(),
                replayed,
            }
        }
        Err(error) => {
            let problem = problem(&*error);
            match (problem.status(), problem_type(&problem)) {
                (StatusCode::CONFLICT, "in-flight") => Answer::Held,
                (StatusCode::SERVICE_UNAVAILABLE, "store-unavailable") => Answer::Unavailable,
                _ => panic!("unexpected rejection: {problem}"),
            }
        }
    }
}

/// Retries `key` through 503s until it gets an order or a 409, failing after [`PATIENCE`].
async fn send_until_answered(service: &Orders, key: &str) -> Answer {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match send(service, key).await {
            Answer::Unavailable => {
                assert!(Instant::now() < deadline, "the store never came back");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answer => return answer,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_run_never_runs_a_handler_twice() {
    let mut redis = TestRedis::private(&["--appendonly", "yes", "--appendfsync", "always"])
        .expect("a private redis-server");
    let mut config = redis.config();
    config.command_timeout = Duration::from_millis(300);
    let store = RedisStore::connect(&config).await.unwrap();
    let executions = Arc::new(Executions::default());
    let service = orders(store, &executions);

    // Recorded before the crash: these must replay after it.
    let mut before = Vec::new();
    for i in 0..20 {
        let key = format!("before-{i}");
        let Answer::Order { body, replayed } = send(&service, &key).await else {
            panic!("the server is up");
        };
        assert!(!replayed);
        before.push((key, body));
    }

    // Clients retrying every 503 until they get an answer, over fresh keys.
    let stop = Arc::new(AtomicBool::new(false));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (service, stop) = (service.clone(), Arc::clone(&stop));
            let unavailable = Arc::clone(&unavailable);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0.. {
                    let key = format!("w{worker}-{n}");
                    let answer = loop {
                        let answer = send(&service, &key).await;
                        if answer != Answer::Unavailable || stop.load(Ordering::Relaxed) {
                            break answer;
                        }
                        unavailable.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    };
                    answers.push((key, answer));
                    if stop.load(Ordering::Relaxed) {
                        return answers;
                    }
                }
                unreachable!("the loop ends when stopped")
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.server().unwrap().stop();
    // While it is down, a new request fails closed without running its handler.
    assert_eq!(send(&service, "during-outage").await, Answer::Unavailable);
    assert_eq!(executions.of("during-outage"), 0);
    tokio::time::sleep(Duration::from_millis(700)).await;
    redis.server().unwrap().restart().unwrap();
    let probe = send_until_answered(&service, "after-restart").await;
    assert!(matches!(
        probe,
        Answer::Order {
            replayed: false,
            ..
        }
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);

    let mut answers: Vec<(String, Answer)> = Vec::new();
    for worker in workers {
        let worked = tokio::time::timeout(PATIENCE, worker).await;
        answers.extend(worked.expect("a client hung").unwrap());
    }
    assert!(
        unavailable.load(Ordering::Relaxed) > 0,
        "the clients saw the outage"
    );

    // Every record kept before the crash replays, byte for byte.
    for (key, body) in &before {
        let replay = send_until_answered(&service, key).await;
        let expected = Answer::Order {
            body: body.clone(),
            replayed: true,
        };
        assert_eq!(replay, expected, "{key}");
    }
    // Every key the clients sent, sent once more: a replay of the answer they got, a 409 where
    // the claim outlived a lost completion, or the first execution where nothing ran yet.
    let (mut replays, mut held) = (0, 0);
    for (key, answer) in &answers {
        match (send_until_answered(&service, key).await, answer) {
            (
                Answer::Order {
                    body,
                    replayed: true,
                },
                Answer::Order { body: first, .. },
            ) => {
                assert_eq!(&body, first, "{key} replays what its client got");
                replays += 1;
            }
            (Answer::Order { .. }, _) => {}
            (Answer::Held, _) => held += 1,
            (Answer::Unavailable, _) => unreachable!("retried until answered"),
        }
    }
    assert!(replays > 0, "work recorded around the outage replays");
    let runs = executions.0.lock().unwrap();
    let twice: Vec<_> = runs.iter().filter(|(_, runs)| **runs > 1).collect();
    assert!(twice.is_empty(), "handlers run twice: {twice:?}");
    assert!(
        runs.len() > before.len() + 1,
        "work went on after the restart"
    );
    println!(
        "{} keys: {replays} replayed, {held} held by their lease, {} runs refused while down",
        answers.len(),
        unavailable.load(Ordering::Relaxed)
    );
}

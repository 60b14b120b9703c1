//! Delivery against a real HTTP server on 127.0.0.1, started here with hyper.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use incidents::{IncidentLayer, IncidentsConfig, QueueConfig, SinkConfig};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tracing_subscriber::layer::SubscriberExt;

/// A server answering each request with the next scripted status (then `202`), and reporting
/// each request's JSON body.
struct Server {
    url: String,
    requests: mpsc::UnboundedReceiver<Value>,
}

async fn serve(script: &[u16]) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2/enqueue", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
    let (report, requests) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (script, report) = (script.clone(), report.clone());
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let (script, report) = (script.clone(), report.clone());
                async move {
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    report
                        .send(serde_json::from_slice::<Value>(&body).unwrap())
                        .unwrap();
                    let status = script.lock().unwrap().pop_front().unwrap_or(202);
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    if status == 429 {
                        response
                            .headers_mut()
                            .insert(hyper::header::RETRY_AFTER, "0".parse().unwrap());
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    Server { url, requests }
}

impl Server {
    fn received(&mut self) -> Vec<Value> {
        let mut all = Vec::new();
        while let Ok(request) = self.requests.try_recv() {
            all.push(request);
        }
        all
    }
}

const ROUTING_KEY: &str = "R0UT1NGKEY0123456789abcdefABCDEF";

fn quick_retries(max_attempts: u32) -> QueueConfig {
    QueueConfig {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        request_timeout: Duration::from_secs(10),
        ..QueueConfig::default()
    }
}

fn pagerduty(url: &str, queue: QueueConfig) -> IncidentsConfig {
    IncidentsConfig {
        sink: SinkConfig::PagerDuty {
            routing_key: ROUTING_KEY.into(),
            url: url.to_owned(),
        },
        queue,
    }
}

/// Runs `raise` with the configured layer installed, then waits until the queue is drained.
async fn deliver(config: &IncidentsConfig, raise: impl FnOnce()) -> incidents::DeliveryStats {
    let (layer, delivery) = IncidentLayer::from_config(config).unwrap();
    let stats = layer.stats().clone();
    let worker = tokio::spawn(delivery.run());
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), raise);
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("delivery did not finish")
        .unwrap();
    stats
}

fn breaker_opens() {
    tracing::warn!(
        incident = "breaker_open",
        source = "payments",
        "payments breaker open"
    );
}

fn breaker_closes() {
    tracing::info!(
        incident = "breaker_open",
        resolves = true,
        source = "payments",
        "closed"
    );
}

#[tokio::test]
async fn one_trigger_per_opening_no_duplicate_on_re_open_and_a_resolve_on_close() {
    let mut server = serve(&[]).await;
    let stats = deliver(&pagerduty(&server.url, quick_retries(3)), || {
        breaker_opens();
        breaker_opens();
        breaker_closes();
        breaker_closes();
        breaker_opens();
    })
    .await;
    let sent = server.received();
    let actions: Vec<_> = sent
        .iter()
        .map(|r| r["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "resolve", "trigger"]);
    assert_eq!((stats.delivered(), stats.suppressed()), (3, 2));

    let trigger = &sent[0];
    assert_eq!(trigger["routing_key"], ROUTING_KEY);
    assert_eq!(trigger["dedup_key"], "breaker_open/payments");
    assert_eq!(trigger["payload"]["summary"], "payments breaker open");
    assert_eq!(trigger["payload"]["severity"], "warning");
    assert_eq!(trigger["payload"]["source"], "payments");
    assert!(
        trigger["payload"]["timestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let resolve = &sent[1];
    assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
    assert!(resolve.get("payload").is_none());
}

#[tokio::test]
async fn retries_5xx_and_429_then_delivers() {
    let mut server = serve(&[500, 503, 429]).await;
    let stats = deliver(&pagerduty(&server.url, quick_retries(5)), breaker_opens).await;
    assert_eq!(server.received().len(), 4);
    assert_eq!(
        (stats.delivered(), stats.retries(), stats.failed()),
        (1, 3, 0)
    );
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let mut server = serve(&[500; 10]).await;
    let stats = deliver(&pagerduty(&server.url, quick_retries(3)), breaker_opens).await;
    assert_eq!(server.received().len(), 3);
    assert_eq!(
        (stats.delivered(), stats.retries(), stats.failed()),
        (0, 2, 1)
    );
}

#[tokio::test]
async fn never_retries_another_4xx() {
    let mut server = serve(&[400, 202]).await;
    let stats = deliver(&pagerduty(&server.url, quick_retries(5)), breaker_opens).await;
    assert_eq!(server.received().len(), 1);
    assert_eq!((stats.retries(), stats.failed()), (0, 1));
}

#[tokio::test]
async fn retries_network_errors() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let stats = deliver(&pagerduty(&url, quick_retries(4)), breaker_opens).await;
    assert_eq!((stats.retries(), stats.failed()), (3, 1));
}

#[tokio::test]
async fn the_webhook_posts_the_incident_as_json() {
    let mut server = serve(&[]).await;
    let config = IncidentsConfig {
        sink: SinkConfig::Webhook {
            url: server.url.clone(),
        },
        queue: quick_retries(1),
    };
    deliver(&config, || {
        tracing::error!(incident = "wal_fsync_failed", segment = 7, "fsync failed");
    })
    .await;
    let sent = server.received();
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["action"], "trigger");
    assert_eq!(body["kind"], "wal_fsync_failed");
    assert_eq!(
        body["source"], "delivery",
        "the target when no source field"
    );
    assert_eq!(body["severity"], "error");
    assert_eq!(body["details"]["segment"], "7");
    assert_eq!(body["dedup_key"], "wal_fsync_failed/delivery");
}

#[tokio::test]
async fn a_full_queue_drops_and_counts() {
    let config = IncidentsConfig {
        queue: QueueConfig {
            capacity: 2,
            ..QueueConfig::default()
        },
        ..IncidentsConfig::default()
    };
    let (layer, delivery) = IncidentLayer::from_config(&config).unwrap();
    let stats = layer.stats().clone();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        for source in ["a", "b", "c", "d", "e"] {
            tracing::warn!(incident = "memory_overload", source, "too much memory");
        }
    });
    assert_eq!(stats.dropped(), 3);
    delivery.run().await;
    assert_eq!(stats.delivered(), 2);
}

#[tokio::test]
async fn a_dropped_trigger_does_not_suppress_the_next_one() {
    let config = IncidentsConfig {
        queue: QueueConfig {
            capacity: 1,
            ..QueueConfig::default()
        },
        ..IncidentsConfig::default()
    };
    let (layer, delivery) = IncidentLayer::from_config(&config).unwrap();
    let stats = layer.stats().clone();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let raise = |source: &str| {
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::warn!(incident = "memory_overload", source, "too much memory");
        });
    };
    raise("a");
    raise("b");
    assert_eq!(stats.dropped(), 1, "the queue holds one");

    let worker = tokio::spawn(delivery.run());
    let first_delivered = async {
        while stats.delivered() < 1 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), first_delivered)
        .await
        .expect("the queued incident was not delivered");
    raise("b");
    assert_eq!(stats.suppressed(), 0, "b was never sent, so it is not open");
    drop(dispatch);
    worker.await.unwrap();
    assert_eq!((stats.delivered(), stats.dropped()), (2, 1));
}

#[test]
fn events_without_an_incident_field_are_ignored() {
    let (layer, _delivery) = IncidentLayer::from_config(&IncidentsConfig::default()).unwrap();
    let stats = layer.stats().clone();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::error!(source = "x", "an error, not an incident");
    });
    assert_eq!((stats.dropped(), stats.suppressed()), (0, 0));
}

//! Two replicas of a service, two processes, one Redis: the same key sent to both at once runs
//! the handler exactly once across them.
//!
//! The test binary plays the replicas itself: `order_server_process` (ignored in a normal run) is
//! started twice as a child process with the Redis to use in its environment. Each child serves an
//! axum route under the layer, over a `RedisStore` of its own, on a loopback port it prints. The
//! handler counts its executions in Redis (a compare-and-set loop on a counter per key), so the
//! test reads the count from the server rather than trusting either process.

use std::io::{BufRead, BufReader, Lines, Read as _};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use cache_core::Store;
use cache_redis::test_support::{REDIS_URL, TestRedis};
use cache_redis::{RedisConfig, RedisStore};
use error_mapping::ErrorMappingLayer;
use idempotency_layer::IdempotencyLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tower::ServiceBuilder;

/// In a child process: the key prefix its store uses (the parent's, so both share records).
const SERVER_PREFIX: &str = "IDEMPOTENCY_TEST_SERVER_PREFIX";
/// Requests sent to each server per key, all at once.
const PER_SERVER: usize = 16;
/// Keys raced, one after the other.
const ROUNDS: usize = 4;
/// How long the handler works: long enough for every duplicate to arrive while it runs.
const HANDLER_TIME: Duration = Duration::from_millis(300);

/// One answer, as a client saw it.
#[derive(Debug)]
struct Answer {
    status: u16,
    replayed: bool,
    problem_type: Option<String>,
    body: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_redis_run_the_handler_once() {
    let mut redis = TestRedis::from_env().expect("a Redis 7 to test against");
    let config = redis.config();
    // The children reach the same server: REDIS_URL's (inherited), or this test's private one.
    let url = match redis.server() {
        Some(server) => server.url(),
        None => std::env::var(REDIS_URL).expect("a shared server comes from REDIS_URL"),
    };
    let servers = [
        ServerProcess::start(&url, &config.key_prefix),
        ServerProcess::start(&url, &config.key_prefix),
    ];
    let store = RedisStore::connect(&config).await.unwrap();
    let mut conflicts = 0;
    for round in 0..ROUNDS {
        let key = format!("order-{round}");
        let answers = race(&servers, &key).await;
        let originals: Vec<_> = answers
            .iter()
            .filter(|a| a.status == 201 && !a.replayed)
            .collect();
        assert_eq!(originals.len(), 1, "one execution answers: {answers:#?}");
        let original = originals[0];
        for answer in &answers {
            match answer.status {
                201 => assert_eq!(answer.body, original.body, "a replay is the original"),
                409 => {
                    assert_eq!(answer.problem_type.as_deref(), Some("in-flight"));
                    conflicts += 1;
                }
                other => panic!("unexpected status {other}: {answer:#?}"),
            }
        }
        for server in &servers {
            let retry = server.send(&key).await;
            assert_eq!((retry.status, retry.replayed), (201, true), "{retry:#?}");
            assert_eq!(retry.body, original.body);
        }
        assert_eq!(executions(&store, &key).await, 1, "handler runs for {key}");
    }
    assert!(conflicts > 0, "the duplicates overlapped the first request");
}

/// Sends [`PER_SERVER`] copies of one request to each server, released together.
async fn race(servers: &[ServerProcess; 2], key: &str) -> Vec<Answer> {
    let barrier = Arc::new(Barrier::new(2 * PER_SERVER));
    let tasks: Vec<_> = (0..2 * PER_SERVER)
        .map(|i| {
            let port = servers[i % 2].port;
            let (barrier, key) = (Arc::clone(&barrier), key.to_owned());
            tokio::spawn(async move {
                let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                barrier.wait().await;
                exchange(stream, &key).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// The executions the handler counted for `key`.
async fn executions(store: &RedisStore, key: &str) -> u64 {
    let value = store.get(&counter_key(key)).await.unwrap();
    value.map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap())
}

fn counter_key(idempotency_key: &str) -> Bytes {
    Bytes::from(format!("executions:{idempotency_key}"))
}

/// A child process running [`order_server_process`], killed when dropped.
struct ServerProcess {
    child: Child,
    port: u16,
    /// Kept open, so the child never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl ServerProcess {
    fn start(url: &str, prefix: &str) -> Self {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args([
                "order_server_process",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(REDIS_URL, url)
            .env(SERVER_PREFIX, prefix)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test binary starts again as a server");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = read_port(&mut stdout);
        Self {
            child,
            port,
            _stdout: stdout,
        }
    }

    async fn send(&self, key: &str) -> Answer {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        exchange(stream, key).await
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port the child prints once it listens (`listening on <port>`).
fn read_port(lines: &mut Lines<BufReader<ChildStdout>>) -> u16 {
    for line in lines {
        let line = line.unwrap();
        if let Some(port) = line.strip_prefix("listening on ") {
            return port.trim().parse().unwrap();
        }
    }
    panic!("the server process exited before listening (its output is above)");
}

/// One HTTP/1.1 exchange on `stream`: `POST /orders` with `key`, read until the server closes.
async fn exchange(mut stream: TcpStream, key: &str) -> Answer {
    let body = "{\"sku\":42}";
    let request = format!(
        "POST /orders HTTP/1.1\r\nhost: 127.0.0.1\r\nidempotency-key: \"{key}\"\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

/// Status line, headers, and a body sized by `content-length` or chunked.
fn parse_response(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers: Vec<(String, &str)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let mut body = raw[split + 4..].to_vec();
    if header("transfer-encoding") == Some("chunked") {
        body = dechunk(&body);
    }
    let problem_type = (header("content-type") == Some("application/problem+json")).then(|| {
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let uri = problem["type"].as_str().unwrap();
        uri.strip_prefix(idempotency_layer::PROBLEM_TYPE_PREFIX)
            .unwrap_or(uri)
            .to_owned()
    });
    Answer {
        status: status.parse().unwrap(),
        replayed: header("idempotent-replayed") == Some("true"),
        problem_type,
        body,
    }
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = chunked.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&chunked[..end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunked[end + 2..end + 2 + size]);
        chunked = &chunked[end + 2 + size + 2..];
    }
}

/// The replica: `POST /orders` under the layer over a `RedisStore` to `REDIS_URL`, with the key
/// prefix the parent gave; serves until its stdin closes. Only ever run by the test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a server process started by two_servers_on_one_redis_run_the_handler_once"]
async fn order_server_process() {
    let url = std::env::var(REDIS_URL).expect("started with REDIS_URL set");
    let prefix = std::env::var(SERVER_PREFIX).expect("started with the key prefix to use");
    let config = RedisConfig {
        key_prefix: prefix,
        ..RedisConfig::from_url(&url).unwrap()
    };
    let store = RedisStore::connect(&config).await.unwrap();
    let layer = IdempotencyLayer::builder(Arc::new(store.clone()))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/orders", post(create_order))
        .layer(
            ServiceBuilder::new()
                .layer(ErrorMappingLayer::new())
                .layer(layer),
        )
        .with_state(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap().port());
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stdin_closed.await;
        })
        .await
        .unwrap();
}

/// Counts the execution in Redis, works a while, and answers with this process's id.
async fn create_order(State(store): State<RedisStore>, headers: HeaderMap) -> (StatusCode, String) {
    let key = headers["idempotency-key"]
        .to_str()
        .unwrap()
        .trim_matches('"');
    let counter = counter_key(key);
    let count = increment(&store, &counter).await;
    tokio::time::sleep(HANDLER_TIME).await;
    (
        StatusCode::CREATED,
        format!(
            "order {key} by process {} (execution {count})",
            std::process::id()
        ),
    )
}

/// Adds one to the decimal counter at `key`, by compare-and-set, so no increment is lost.
async fn increment(store: &RedisStore, key: &Bytes) -> u64 {
    loop {
        let Some(current) = store.get(key).await.unwrap() else {
            if store
                .insert_if_absent(key, "1".into(), None)
                .await
                .unwrap()
                .is_none()
            {
                return 1;
            }
            continue;
        };
        let next = std::str::from_utf8(&current)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            + 1;
        let swapped = store.compare_and_set(key, &current, next.to_string().into(), None);
        if swapped.await.unwrap() {
            return next;
        }
    }
}

//! `cargo xtask bench redis`: the idempotency layer on Redis, counted by the server and timed
//! beside the server's own ceiling.
//!
//! The server is `REDIS_URL`'s (which `cargo xtask bench` provisions: a private `redis-server`
//! unless the variable is already set), else a private `redis-server` started here. The layer runs
//! in this process over a `RedisStore`, configured as the counts require: the local cache off,
//! 409 for a duplicate in flight (no waiting), and a handler far shorter than the lease (no
//! renewal). The handler answers `201` at once; every request carries a 1 KiB JSON body.
//!
//! **Commands per request**, counted by the server: `INFO commandstats` is read before and after
//! a run of sequential requests (first executions on fresh keys, then one replay of each), on a
//! connection of its own whose reads are left out. Redis counts the commands a Lua script runs
//! under their own names too, so a compare-and-set shows as `evalsha`, `get` and `set` though the
//! client sent one command. The top-level count is therefore the server's total less the script's
//! inner commands, which are measured, not assumed: one swapping compare-and-set is counted alone
//! first, and its commands other than `evalsha` are what each `evalsha` of the run adds. Bar: a
//! first execution costs exactly 2 (claim, complete), a replay exactly 1.
//!
//! **Requests per second**: 64 tasks send in-process tower calls (`oneshot` on a clone of the
//! layered service, on a two-thread tokio runtime, response bodies read), first executions then
//! replays of the same keys. Beside them, in the same rounds: `redis-benchmark -c 64 -t set --csv`
//! against the same server, the ceiling (64 connections, no pipelining; it writes its own key,
//! `key:__rand_int__`); and, for reference, the same two workloads on the `RedisStore` primitives
//! alone (a claim and its compare-and-set, or a claim refused by the record; no layer). The gap
//! between the store's rows and the layer's is the layer's own work; the store shares one
//! multiplexed connection, so its rows may pass the ceiling. The table and `redis.json` give the
//! median over the rounds, and the median of each round's ratio to that round's SET rate (each
//! round's rate is in the JSON too). Bar: ≥ 0.4× the ceiling. The client, the layer,
//! `redis-server` and `redis-benchmark` share this machine's cores with whatever else runs, so
//! the ratio is a same-run comparison, not a property of the layer alone.
//!
//! `BENCH_QUICK=1` shrinks the run to seconds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_core::Store;
use cache_redis::RedisStore;
use cache_redis::test_support::{CommandCounter, REDIS_URL, TestRedis};
use error_mapping::BoxError;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use idempotency_layer::{IdempotencyConfig, IdempotencyLayer, InFlightMode, ReplayBody};
use serde::Serialize;
use tower::util::BoxCloneSyncService;
use tower::{BoxError as TowerBoxError, Layer, ServiceExt};

/// Concurrent clients, for the layer and for `redis-benchmark`.
const CLIENTS: usize = 64;
const BAR_RATIO: f64 = 0.4;
const LAYER: &str = "idempotency-layer on RedisStore";
const REDIS_BENCHMARK: &str = "redis-benchmark SET";
const STORE_ALONE: &str = "RedisStore alone (no layer)";

type Orders = BoxCloneSyncService<Request<Full<Bytes>>, Response<Bytes>, TowerBoxError>;

#[derive(Debug, Serialize)]
struct Row {
    workload: &'static str,
    system: &'static str,
    requests: usize,
    /// Top-level commands the server executed per request (the script's inner ones left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    commands_per_request: Option<f64>,
    /// Everything the server counted in `INFO commandstats` over the run, by command.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_commandstats: Option<BTreeMap<String, u64>>,
    /// The commands one `evalsha` ran inside its script, left out of `commands_per_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    script_inner_commands_per_evalsha: Option<BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests_per_second: Option<f64>,
    /// The median over the rounds of this rate over the same round's `redis-benchmark` SET rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_to_ceiling: Option<f64>,
    /// Each round's rate, in order (the shared machine's drift shows here).
    #[serde(skip_serializing_if = "Option::is_none")]
    requests_per_second_per_round: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rounds: Option<usize>,
    clients: usize,
    bar: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    meets_bar: Option<bool>,
    method: &'static str,
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (rounds, layer_requests, set_requests) = if quick {
        (3, 2_000, 20_000)
    } else {
        (5, 20_000, 100_000)
    };
    let redis = TestRedis::from_env().expect("a Redis 7 server to measure against");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = runtime.block_on(count_commands(&redis, if quick { 200 } else { 2_000 }));
    rows.extend(runtime.block_on(throughput(&redis, rounds, layer_requests, set_requests)));
    print_table(&rows);
    write_json(&rows);
}

/// The layer as the command counts require it: no local cache, 409 mode, a 60 s lease.
fn orders(store: RedisStore) -> Orders {
    let mut config = IdempotencyConfig::default();
    config.local_cache.capacity = 0;
    config.in_flight.mode = InFlightMode::Reject;
    config.lease = Duration::from_secs(60);
    let layer = IdempotencyLayer::builder(Arc::new(store))
        .config(config)
        .build()
        .unwrap();
    let handler = tower::service_fn(|_: Request<Full<Bytes>>| async {
        let body = Full::new(Bytes::from_static(b"{\"order\":42}"));
        Response::builder()
            .status(StatusCode::CREATED)
            .header("content-type", "application/json")
            .body(body)
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

fn order(key: &str, body: &Bytes) -> Request<Full<Bytes>> {
    Request::post("/orders")
        .header("idempotency-key", format!("\"{key}\""))
        .header("content-type", "application/json")
        .body(Full::new(body.clone()))
        .unwrap()
}

fn json_body() -> Bytes {
    let body = Bytes::from(format!("{{\"sku\":\"{}\"}}", "x".repeat(1024 - 10)));
    assert_eq!(body.len(), 1024);
    body
}

/// Sends `key` and checks it was executed (or replayed) as expected.
async fn send(service: &Orders, key: &str, body: &Bytes, replay: bool) {
    let response = service.clone().oneshot(order(key, body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let replayed = response.headers().contains_key("idempotent-replayed");
    assert_eq!(replayed, replay, "{key}: replayed {replayed}");
}

async fn count_commands(redis: &TestRedis, requests: usize) -> Vec<Row> {
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let service = orders(store.clone());
    let body = json_body();
    // Loads the compare-and-set script (a NOSCRIPT and a SCRIPT LOAD on first use).
    send(&service, "warm-up", &body, false).await;
    send(&service, "warm-up", &body, true).await;
    let mut counter = redis.command_counter().await.unwrap();
    let inner = script_inner_commands(&store, &mut counter).await;

    for i in 0..requests {
        send(&service, &format!("count-{i}"), &body, false).await;
    }
    let first = counter.executed().await.unwrap();
    for i in 0..requests {
        send(&service, &format!("count-{i}"), &body, true).await;
    }
    let replay = counter.executed().await.unwrap();

    let first_bar = (2, "exactly 2 commands (claim, complete)");
    let replay_bar = (1, "exactly 1 command");
    [
        ("first execution", first, first_bar),
        ("replay", replay, replay_bar),
    ]
    .into_iter()
    .map(|(workload, executed, (bar, bar_text))| {
        let top_level = top_level(&executed, &inner);
        Row {
            workload,
            system: LAYER,
            requests,
            commands_per_request: Some(top_level as f64 / requests as f64),
            server_commandstats: Some(executed),
            script_inner_commands_per_evalsha: Some(inner.clone()),
            requests_per_second: None,
            requests_per_second_per_round: None,
            ratio_to_ceiling: None,
            rounds: None,
            clients: 1,
            bar: bar_text,
            meets_bar: Some(top_level == bar * requests as u64),
            method: "INFO commandstats diff over sequential requests, less the commands \
                         run inside Lua scripts (evalsha count x the inner commands of one \
                         swapping compare-and-set, measured alone beforehand)",
        }
    })
    .collect()
}

/// What one swapping compare-and-set runs inside its script, as the server counts it.
async fn script_inner_commands(
    store: &RedisStore,
    counter: &mut CommandCounter,
) -> BTreeMap<String, u64> {
    let key = Bytes::from_static(b"calibration");
    let ttl = Some(Duration::from_secs(60));
    store.insert_if_absent(&key, "a".into(), ttl).await.unwrap();
    counter.executed().await.unwrap();
    assert!(
        store
            .compare_and_set(&key, b"a", "b".into(), ttl)
            .await
            .unwrap()
    );
    let mut inner = counter.executed().await.unwrap();
    assert_eq!(
        inner.remove("evalsha"),
        Some(1),
        "a compare-and-set is one EVALSHA"
    );
    store.delete(&key).await.unwrap();
    counter.executed().await.unwrap();
    inner
}

/// The commands the client sent: the total less what the scripts ran inside.
fn top_level(executed: &BTreeMap<String, u64>, inner: &BTreeMap<String, u64>) -> u64 {
    let scripts = executed.get("evalsha").copied().unwrap_or(0);
    let total: u64 = executed.values().sum();
    let script_inner: u64 = inner.values().sum::<u64>() * scripts;
    for (name, per_script) in inner {
        assert!(
            executed.get(name).copied().unwrap_or(0) >= per_script * scripts,
            "fewer {name} than the scripts run: {executed:?}"
        );
    }
    total - script_inner
}

/// One measured series of [`throughput`]: a rate per round, and its ratio to that round's SET.
struct Series {
    workload: &'static str,
    system: &'static str,
    requests: usize,
    method: &'static str,
    /// Measured against the bar, or shown for reference only.
    barred: bool,
    rates: Vec<f64>,
    ratios: Vec<f64>,
}

impl Series {
    fn new(workload: &'static str, system: &'static str, requests: usize) -> Self {
        let barred = system == LAYER;
        let method = match system {
            REDIS_BENCHMARK => {
                "redis-benchmark -c 64 -t set --csv against the same server, 3-byte values"
            }
            LAYER => {
                "in-process tower calls (oneshot on a clone of the service) from 64 tokio tasks \
                 on 2 worker threads, response bodies read; wall time of the batch"
            }
            _ => {
                "the RedisStore primitives a layer cannot do without, called directly from 64 \
                 tokio tasks on 2 worker threads: where the layer's own cost ends"
            }
        };
        Self {
            workload,
            system,
            requests,
            method,
            barred,
            rates: Vec::new(),
            ratios: Vec::new(),
        }
    }

    fn push(&mut self, rate: f64, ceiling: f64) {
        self.rates.push(rate);
        self.ratios.push(rate / ceiling);
    }

    fn row(mut self) -> Row {
        let per_round = self.rates.clone();
        let ratio = (self.system != REDIS_BENCHMARK).then(|| median(&mut self.ratios));
        Row {
            workload: self.workload,
            system: self.system,
            requests: self.requests,
            commands_per_request: None,
            server_commandstats: None,
            script_inner_commands_per_evalsha: None,
            requests_per_second: Some(median(&mut self.rates)),
            requests_per_second_per_round: Some(per_round),
            ratio_to_ceiling: ratio,
            rounds: Some(self.rates.len()),
            clients: CLIENTS,
            bar: match (self.system, self.barred) {
                (REDIS_BENCHMARK, _) => "the ceiling",
                (_, true) => ">= 0.4x redis-benchmark's SET rate in the same rounds",
                (_, false) => "none (reference)",
            },
            meets_bar: ratio.filter(|_| self.barred).map(|r| r >= BAR_RATIO),
            method: self.method,
        }
    }
}

async fn throughput(
    redis: &TestRedis,
    rounds: usize,
    requests: usize,
    set_requests: usize,
) -> Vec<Row> {
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let service = orders(store.clone());
    let body = json_body();
    let uri = benchmark_uri(redis);
    let mut ceiling = Series::new("SET, 64 clients", REDIS_BENCHMARK, set_requests);
    let mut first = Series::new("first execution, 64 clients", LAYER, requests);
    let mut replay = Series::new("replay, 64 clients", LAYER, requests);
    let mut store_first = Series::new("claim + complete, 64 clients", STORE_ALONE, requests);
    let mut store_replay = Series::new("claim refused, 64 clients", STORE_ALONE, requests);
    for round in 0..rounds {
        let set_rate = redis_benchmark_set(&uri, set_requests);
        ceiling.push(set_rate, set_rate);
        let keys: Vec<String> = (0..requests).map(|i| format!("r{round}-{i}")).collect();
        first.push(layer_rate(&service, &keys, &body, false).await, set_rate);
        replay.push(layer_rate(&service, &keys, &body, true).await, set_rate);
        let keys: Vec<Bytes> = (0..requests)
            .map(|i| Bytes::from(format!("s{round}-{i}")))
            .collect();
        store_first.push(store_rate(&store, &keys, false).await, set_rate);
        store_replay.push(store_rate(&store, &keys, true).await, set_rate);
    }
    [ceiling, first, replay, store_first, store_replay]
        .into_iter()
        .map(Series::row)
        .collect()
}

/// Requests per second of the store primitives alone, from [`CLIENTS`] tasks: for each key, a
/// claim and its completion by compare-and-set, or (`replay`) a claim refused by the record.
async fn store_rate(store: &RedisStore, keys: &[Bytes], replay: bool) -> f64 {
    let claim = Bytes::from(vec![b'c'; 48]);
    let record = Bytes::from(vec![b'r'; 160]);
    let started = Instant::now();
    let tasks: Vec<_> = keys
        .chunks(keys.len().div_ceil(CLIENTS))
        .map(|chunk| {
            let (store, chunk) = (store.clone(), chunk.to_vec());
            let (claim, record) = (claim.clone(), record.clone());
            tokio::spawn(async move {
                for key in chunk {
                    let lease = Some(Duration::from_secs(60));
                    let existing = store.insert_if_absent(&key, claim.clone(), lease).await;
                    if replay {
                        assert!(existing.unwrap().is_some());
                        continue;
                    }
                    assert_eq!(existing.unwrap(), None);
                    let retention = Some(Duration::from_secs(3600));
                    let cas = store.compare_and_set(&key, &claim, record.clone(), retention);
                    assert!(cas.await.unwrap());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    keys.len() as f64 / started.elapsed().as_secs_f64()
}

/// Requests per second for one request per key in `keys`, from [`CLIENTS`] tasks.
async fn layer_rate(service: &Orders, keys: &[String], body: &Bytes, replay: bool) -> f64 {
    let batches: Vec<Vec<Request<Full<Bytes>>>> = keys
        .chunks(keys.len().div_ceil(CLIENTS))
        .map(|chunk| chunk.iter().map(|key| order(key, body)).collect())
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let service = service.clone();
            tokio::spawn(async move {
                for request in batch {
                    let response = service.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), StatusCode::CREATED);
                    assert_eq!(
                        response.headers().contains_key("idempotent-replayed"),
                        replay
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    keys.len() as f64 / started.elapsed().as_secs_f64()
}

/// The URI for `redis-benchmark -u`: `REDIS_URL` as given (with its password, if any), or the
/// private server's.
fn benchmark_uri(redis: &TestRedis) -> String {
    let uri = std::env::var(REDIS_URL)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| redis.config().url.as_str().to_owned());
    assert!(
        uri.starts_with("redis://"),
        "redis-benchmark needs a redis:// URL for the ceiling, not {}",
        uri.split(':').next().unwrap_or_default()
    );
    uri
}

/// `redis-benchmark -c 64 -t set`'s requests per second, from its CSV output.
fn redis_benchmark_set(uri: &str, requests: usize) -> f64 {
    let output = Command::new("redis-benchmark")
        .args(["-u", uri, "-c", &CLIENTS.to_string()])
        .args(["-n", &requests.to_string(), "-t", "set", "--csv"])
        .output()
        .expect("redis-benchmark runs (it comes with redis-server: `apt-get install redis-tools`)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "redis-benchmark failed ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    parse_set_rate(&stdout)
        .unwrap_or_else(|| panic!("no SET rate in redis-benchmark's CSV:\n{stdout}"))
}

/// The `rps` of the `SET` row of `redis-benchmark --csv`, whose header names the columns.
fn parse_set_rate(csv: &str) -> Option<f64> {
    let fields = |line: &str| -> Vec<String> {
        line.split(',')
            .map(|field| field.trim().trim_matches('"').to_owned())
            .collect()
    };
    let mut lines = csv.lines().filter(|line| !line.trim().is_empty());
    let header = fields(lines.next()?);
    let rps = header.iter().position(|name| name == "rps")?;
    lines
        .map(fields)
        .find(|row| row.first().is_some_and(|test| test == "SET"))?
        .get(rps)?
        .parse()
        .ok()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<28} {:<32} {:>8} {:>10} {:>12} {:>10}  bar",
        "workload", "system", "requests", "cmds/req", "req/s", "x ceiling"
    );
    for row in rows {
        let optional = |value: Option<f64>, precision: usize| {
            value.map_or_else(|| "-".to_owned(), |v| format!("{v:.precision$}"))
        };
        let verdict = match row.meets_bar {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "",
        };
        println!(
            "{:<28} {:<32} {:>8} {:>10} {:>12} {:>10}  {} {verdict}",
            row.workload,
            row.system,
            row.requests,
            optional(row.commands_per_request, 2),
            optional(row.requests_per_second, 0),
            optional(row.ratio_to_ceiling, 2),
            row.bar,
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "\n{cores} cores shared by this process, redis-server, redis-benchmark and anything else \
         running: the rates compare within each round, not across machines."
    );
}

fn write_json(rows: &[Row]) {
    let dir = std::env::var_os("BENCH_OUT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("the bench output directory can be created");
    let path = dir.join("redis.json");
    let json = serde_json::to_string_pretty(rows).expect("rows serialize");
    std::fs::write(&path, json).expect("the results can be written");
    println!("wrote {}", path.display());
}

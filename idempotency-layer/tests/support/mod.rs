//! Shared by the integration tests: real stores, a store decorator that counts writes and can
//! fail on demand, a counting handler, and helpers to read problems.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{MockClock, MokaStore, ShardedCache, Store, StoreError, StoreFuture};
use cache_persist::{DurableConfig, DurableStore, FsyncPolicy};
use error_mapping::{BoxError, Problem, ProblemError};
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use idempotency_layer::ReplayBody;
use idempotency_layer::{IdempotencyConfig, IdempotencyLayer};
use tokio::sync::Notify;
use tower::util::BoxCloneSyncService;
use tower::{BoxError as TowerBoxError, Layer, ServiceExt};

/// The in-process store of cache-core: the sharded cache in no-eviction mode.
pub fn sharded() -> Arc<dyn Store> {
    Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(100_000)
            .build_store(),
    )
}

/// The sharded store on a clock the test moves.
pub fn sharded_on(clock: &MockClock) -> Arc<dyn Store> {
    Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(100_000)
            .clock(clock.clone())
            .build_store(),
    )
}

/// cache-persist's durable store, in a fresh directory under the target's temporary
/// directory. Its log is never fsynced: durability is cache-persist's own tests' business;
/// here the store only has to behave as a `Store`.
pub fn durable() -> Arc<dyn Store> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "durable-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let config = DurableConfig {
        fsync: FsyncPolicy::Never,
        ..DurableConfig::new(dir)
    };
    Arc::new(DurableStore::open(config).expect("the durable store opens"))
}

/// cache-core's moka-backed store.
pub fn moka() -> Arc<dyn Store> {
    Arc::new(MokaStore::builder().max_capacity(100_000).build())
}

/// A real store seen through a decorator that counts writes, remembers the last key written,
/// and fails every call while `failing` is set (to test fail-closed and fail-open).
pub struct Observed {
    inner: Arc<dyn Store>,
    pub writes: AtomicUsize,
    pub failing: AtomicBool,
    pub last_key: Mutex<Option<Bytes>>,
}

impl fmt::Debug for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observed")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Observed {
    pub fn new(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            writes: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            last_key: Mutex::new(None),
        })
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn last_key(&self) -> Bytes {
        self.last_key
            .lock()
            .unwrap()
            .clone()
            .expect("a key was written")
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    fn check<'a, T: Send + 'a>(
        &'a self,
        key: &Bytes,
        write: bool,
        then: StoreFuture<'a, T>,
    ) -> StoreFuture<'a, T> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async {
                Err(StoreError::unavailable("observed", "injected failure"))
            });
        }
        if write {
            self.writes.fetch_add(1, Ordering::SeqCst);
            *self.last_key.lock().unwrap() = Some(key.clone());
        }
        then
    }
}

impl Store for Observed {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        self.check(key, false, self.inner.get(key))
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        self.check(key, true, self.inner.set(key, value, ttl))
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        self.check(key, true, self.inner.delete(key))
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        self.check(key, true, self.inner.insert_if_absent(key, value, ttl))
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.check(
            key,
            true,
            self.inner.compare_and_set(key, expected, new, ttl),
        )
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        self.check(key, true, self.inner.compare_and_delete(key, expected))
    }
}

/// What the test handler answers, by path.
///
/// - `/orders`: 201, `order #n`, a `Set-Cookie`, two `Link` headers, JSON;
/// - `/refuse`: 406; `/flaky`: 500 on the first call, then 201; `/error`: an inner error;
/// - `/big`: 201 with a 64 KiB body; `/slow`: 201 once `release` is notified;
/// - `/stream`: 201 at once, with a body whose end waits for `release`.
#[derive(Debug, Default)]
pub struct Handler {
    pub calls: AtomicUsize,
    pub release: Notify,
    pub started: Notify,
}

impl Handler {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn answer(
        self: Arc<Self>,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<HandlerBody>, BoxError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let path = request.uri().path().to_owned();
        let body = request.into_body().collect().await?.to_bytes();
        let response = Response::builder()
            .header("content-type", "application/json")
            .header("set-cookie", format!("session={n}"))
            .header("link", "</orders?page=2>; rel=next")
            .header("link", "</orders?page=0>; rel=prev")
            .header("x-handled-by", "the-handler");
        let (status, text) = match path.as_str() {
            "/refuse" => (StatusCode::NOT_ACCEPTABLE, format!("refusal #{n}")),
            "/flaky" if n == 1 => (StatusCode::INTERNAL_SERVER_ERROR, format!("failure #{n}")),
            "/error" => return Err("the handler failed".into()),
            "/big" => (StatusCode::CREATED, "x".repeat(64 * 1024)),
            "/slow" => {
                self.started.notify_one();
                self.release.notified().await;
                (StatusCode::CREATED, format!("slow order #{n}"))
            }
            "/stream" => {
                let first = Bytes::from(format!("streamed order #{n}, "));
                let body = Gated::new(first, Arc::clone(&self));
                return Ok(response
                    .status(StatusCode::CREATED)
                    .body(body.boxed_unsync())?);
            }
            _ => (
                StatusCode::CREATED,
                format!("order #{n} of {} bytes", body.len()),
            ),
        };
        let body = Full::new(Bytes::from(text));
        Ok(response.status(status).body(body.boxed_unsync())?)
    }
}

/// The body of the test handler's responses.
pub type HandlerBody = UnsyncBoxBody<Bytes, Infallible>;

/// A body whose first frame is ready and whose second waits for `release`: it announces the
/// wait on `started`.
struct Gated {
    first: Option<Bytes>,
    gate: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Gated {
    fn new(first: Bytes, handler: Arc<Handler>) -> Self {
        let gate = async move {
            handler.started.notify_one();
            handler.release.notified().await;
        };
        Self {
            first: Some(first),
            gate: Some(Box::pin(gate)),
        }
    }
}

impl http_body::Body for Gated {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        let Some(gate) = self.gate.as_mut() else {
            return Poll::Ready(None);
        };
        std::task::ready!(gate.as_mut().poll(cx));
        self.gate = None;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"and its end")))))
    }
}

/// The layered test service.
pub type Layered = BoxCloneSyncService<Request<Full<Bytes>>, Response<Bytes>, TowerBoxError>;

/// `handler` under a layer built on `store` with `config`.
pub fn service(
    store: Arc<dyn Store>,
    config: IdempotencyConfig,
    handler: &Arc<Handler>,
) -> Layered {
    let layer = IdempotencyLayer::builder(store)
        .config(config)
        .build()
        .unwrap();
    wrap(layer, handler)
}

/// `handler` under `layer`, with the response body collected (trailers dropped).
pub fn wrap(layer: IdempotencyLayer, handler: &Arc<Handler>) -> Layered {
    let handler = Arc::clone(handler);
    let inner = tower::service_fn(move |request: Request<Full<Bytes>>| {
        let handler = Arc::clone(&handler);
        async move { handler.answer(request).await }
    });
    let layered =
        layer
            .layer(inner)
            .and_then(|response: Response<ReplayBody<HandlerBody>>| async move {
                let (parts, body) = response.into_parts();
                let bytes = body.collect().await?.to_bytes();
                Ok::<_, BoxError>(Response::from_parts(parts, bytes))
            });
    BoxCloneSyncService::new(layered)
}

/// A request with a key (an sf-string) and a body.
pub fn post(path: &str, key: Option<&str>, body: &'static str) -> Request<Full<Bytes>> {
    let mut builder = Request::post(path);
    if let Some(key) = key {
        builder = builder.header("idempotency-key", format!("\"{key}\""));
    }
    builder
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

/// Sends `request` and returns the response or the layer's problem.
pub async fn send(
    service: &Layered,
    request: Request<Full<Bytes>>,
) -> Result<Response<Bytes>, Problem> {
    service
        .clone()
        .oneshot(request)
        .await
        .map_err(|error| problem(&*error))
}

/// The problem an error of the layer carries.
pub fn problem(error: &(dyn std::error::Error + 'static)) -> Problem {
    error
        .downcast_ref::<ProblemError>()
        .unwrap_or_else(|| panic!("not a ProblemError: {error}"))
        .problem()
        .clone()
}

/// The suffix of a problem's `type` under the layer's prefix.
pub fn problem_type(problem: &Problem) -> &str {
    problem
        .type_uri()
        .strip_prefix(idempotency_layer::PROBLEM_TYPE_PREFIX)
        .unwrap_or_else(|| panic!("foreign problem type {}", problem.type_uri()))
}

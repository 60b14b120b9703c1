//! A payments endpoint on hyper 1.x with no framework, safe to retry.
//!
//! [`service`] is a `tower::ServiceBuilder` stack over a `service_fn`, outermost first:
//! [`ErrorMappingLayer`] (every rejection becomes an RFC 9457 problem), the request body boxed so
//! the idempotency layer can rebuild it after fingerprinting, [`IdempotencyLayer`] on the
//! in-memory store of cache-core, then the handler. [`serve`] hands the stack to hyper through
//! hyper-util's [`TowerToHyperService`], one HTTP/1.1 connection per task.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::{ErrorMappingLayer, ResponseBody};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use idempotency_layer::{ConfigError, IdempotencyLayer, ReplayBody};
use tokio::net::TcpListener;
use tower::ServiceBuilder;

pub use example_support::Ledger;
use tower::util::BoxCloneSyncService;

/// The whole stack, boxed so that its type has a name.
pub type PaymentsService = BoxCloneSyncService<
    Request<Incoming>,
    Response<ResponseBody<ReplayBody<Full<Bytes>>>>,
    Infallible,
>;

/// The request body the handler sees: hyper's, or the same bytes rebuilt by the idempotency
/// layer.
type RequestBody = BoxBody<Bytes, hyper::Error>;

/// The service: `POST /payments` under idempotency and error mapping, recording in `ledger`.
pub fn service(ledger: Ledger) -> Result<PaymentsService, ConfigError> {
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(100_000)
            .build_store(),
    );
    let idempotency = IdempotencyLayer::builder(store)
        .configure(|config| config.require_key = true)
        .build()?;
    let stack = ServiceBuilder::new()
        .layer(ErrorMappingLayer::new())
        .map_request(|request: Request<Incoming>| request.map(BodyExt::boxed))
        .layer(idempotency)
        .service_fn(move |request| route(ledger.clone(), request));
    Ok(BoxCloneSyncService::new(stack))
}

/// `POST /payments` charges once per call: not idempotent by itself. Anything else is an empty
/// 404 or 405, which the error-mapping layer turns into a problem.
async fn route(
    ledger: Ledger,
    request: Request<RequestBody>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let response = Response::builder();
    let response = match (request.method(), request.uri().path()) {
        (&Method::POST, "/payments") => {
            let body = request.into_body().collect().await?.to_bytes();
            let id = ledger.charge();
            let payment = format!("{{\"payment\":{id},\"request_bytes\":{}}}", body.len());
            response
                .status(StatusCode::CREATED)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::from(payment))
        }
        (_, "/payments") => response
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(header::ALLOW, "POST")
            .body(Full::default()),
        _ => response.status(StatusCode::NOT_FOUND).body(Full::default()),
    };
    Ok(response.expect("static status and headers are valid"))
}

/// Serves `service` on `listener`, each connection over HTTP/1.1 in its own task, until
/// accepting a connection fails.
pub async fn serve(listener: TcpListener, service: PaymentsService) -> io::Result<()> {
    loop {
        let (stream, _peer) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                eprintln!("connection failed: {error}");
            }
        });
    }
}

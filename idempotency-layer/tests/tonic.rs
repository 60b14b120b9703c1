//! gRPC: a tonic unary service (prost messages written by hand, no protoc) under the layer and
//! error-mapping, called in-process by a tonic client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ErrorMappingLayer;
use http::uri::PathAndQuery;
use idempotency_layer::IdempotencyLayer;
use tonic::{Code, Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::ServiceBuilder;

#[derive(Clone, PartialEq, prost::Message)]
struct CreateOrder {
    #[prost(string, tag = "1")]
    sku: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Order {
    #[prost(uint64, tag = "1")]
    id: u64,
}

const CREATE: &str = "/shop.Orders/Create";

/// The server side: `Create` answers a new order id per execution, or a status chosen by the
/// SKU (`unavailable` is transient, `invalid` is a client error a retry would get again).
fn orders(
    calls: Arc<AtomicU64>,
) -> impl tower::Service<
    http::Request<tonic::body::Body>,
    Response = http::Response<tonic::body::Body>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |request: http::Request<tonic::body::Body>| {
        let calls = Arc::clone(&calls);
        async move {
            let create = tower::service_fn(move |request: Request<CreateOrder>| {
                let id = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    match request.get_ref().sku.as_str() {
                        "unavailable" => Err(Status::unavailable("try again")),
                        "invalid" => Err(Status::invalid_argument("no such sku")),
                        _ => Ok(Response::new(Order { id })),
                    }
                }
            });
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<Order, CreateOrder>::default());
            Ok(grpc.unary(create, request).await)
        }
    })
}

/// The layered server as the client sees it: error-mapping over idempotency over `orders`.
type Stack = tower::util::BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<error_mapping::ResponseBody<idempotency_layer::ReplayBody<tonic::body::Body>>>,
    std::convert::Infallible,
>;

struct Client {
    calls: Arc<AtomicU64>,
    grpc: tonic::client::Grpc<Stack>,
}

impl Client {
    fn new() -> Self {
        let store: Arc<dyn Store> = Arc::new(
            ShardedCache::<Bytes, Bytes>::builder()
                .max_capacity(1_000)
                .build_store(),
        );
        let calls = Arc::new(AtomicU64::new(0));
        let service = ServiceBuilder::new()
            .layer(ErrorMappingLayer::new())
            .layer(IdempotencyLayer::builder(store).build().unwrap())
            .service(orders(Arc::clone(&calls)));
        let grpc = tonic::client::Grpc::with_origin(
            tower::util::BoxCloneSyncService::new(service),
            "http://orders.test".parse().unwrap(),
        );
        Self { calls, grpc }
    }

    async fn create(&mut self, key: Option<&str>, sku: &str) -> Result<Response<Order>, Status> {
        let mut request = Request::new(CreateOrder { sku: sku.into() });
        if let Some(key) = key {
            request
                .metadata_mut()
                .insert("idempotency-key", key.parse().unwrap());
        }
        self.grpc.ready().await.unwrap();
        let codec = ProstCodec::<CreateOrder, Order>::default();
        self.grpc
            .unary(request, PathAndQuery::from_static(CREATE), codec)
            .await
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

fn replayed<T>(response: &Response<T>) -> bool {
    response
        .metadata()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retried_unary_call_replays_message_and_status() {
    let mut client = Client::new();
    let first = client.create(Some("\"order-1\""), "book").await.unwrap();
    let retry = client.create(Some("\"order-1\""), "book").await.unwrap();
    assert_eq!(first.get_ref(), retry.get_ref());
    assert!(!replayed(&first));
    assert!(replayed(&retry));
    assert_eq!(client.calls(), 1);
    let other = client.create(Some("\"order-2\""), "book").await.unwrap();
    assert_eq!(other.get_ref().id, 2);
}

#[tokio::test]
async fn rejections_are_grpc_statuses() {
    let mut client = Client::new();
    client.create(Some("\"order-1\""), "book").await.unwrap();
    let mismatch = client.create(Some("\"order-1\""), "pen").await.unwrap_err();
    assert_eq!(mismatch.code(), Code::FailedPrecondition, "{mismatch:?}");
    let malformed = client
        .create(Some("\"unterminated"), "book")
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument, "{malformed:?}");
    assert_eq!(client.calls(), 1);
}

#[tokio::test]
async fn transient_statuses_are_released_and_client_errors_kept() {
    let mut client = Client::new();
    for _ in 0..2 {
        let status = client
            .create(Some("\"t\""), "unavailable")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
    }
    assert_eq!(client.calls(), 2, "UNAVAILABLE is not kept: the retry ran");
    for _ in 0..2 {
        let status = client.create(Some("\"i\""), "invalid").await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "no such sku");
    }
    assert_eq!(client.calls(), 3, "INVALID_ARGUMENT is kept and replayed");
}

#[tokio::test]
async fn calls_without_a_key_pass_through() {
    let mut client = Client::new();
    client.create(None, "book").await.unwrap();
    client.create(None, "book").await.unwrap();
    assert_eq!(client.calls(), 2);
}

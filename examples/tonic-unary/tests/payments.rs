//! The example served on a free port, called by a real gRPC client over HTTP/2.

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_prost::ProstCodec;
use tonic_unary::{CREATE_PATH, CreatePayment, Ledger, Payment, Payments, serve};

struct Server {
    ledger: Ledger,
    grpc: Grpc<Channel>,
}

impl Server {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let ledger = Ledger::default();
        let payments = Payments::new(ledger.clone());
        tokio::spawn(async move { serve(listener, payments).await.unwrap() });
        let channel = Channel::from_shared(address)
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            ledger,
            grpc: Grpc::new(channel),
        }
    }

    async fn create(
        &mut self,
        key: Option<&str>,
        amount_cents: u64,
    ) -> Result<Response<Payment>, Status> {
        let mut request = Request::new(CreatePayment { amount_cents });
        if let Some(key) = key {
            request
                .metadata_mut()
                .insert("idempotency-key", key.parse().unwrap());
        }
        self.grpc.ready().await.unwrap();
        let codec = ProstCodec::<CreatePayment, Payment>::default();
        self.grpc
            .unary(request, PathAndQuery::from_static(CREATE_PATH), codec)
            .await
    }
}

fn replayed(response: &Response<Payment>) -> bool {
    response
        .metadata()
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true")
}

#[tokio::test]
async fn a_retried_call_is_replayed_and_charged_once() {
    let mut server = Server::start().await;
    let first = server.create(Some("\"pay-1\""), 1250).await.unwrap();
    assert!(!replayed(&first));
    let expected = Payment {
        id: 1,
        amount_cents: 1250,
    };
    assert_eq!(*first.get_ref(), expected);

    let retry = server.create(Some("\"pay-1\""), 1250).await.unwrap();
    assert!(replayed(&retry));
    assert_eq!(*retry.get_ref(), expected);
    assert_eq!(
        server.ledger.payments(),
        1,
        "the retry did not charge again"
    );

    let other = server.create(Some("\"pay-2\""), 1250).await.unwrap();
    assert_eq!(other.get_ref().id, 2);
    assert_eq!(server.ledger.payments(), 2);
}

#[tokio::test]
async fn a_malformed_key_is_invalid_argument() {
    let mut server = Server::start().await;
    let status = server
        .create(Some("\"unterminated"), 1250)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("idempotency key"), "{status:?}");
    assert_eq!(server.ledger.payments(), 0);
}

#[tokio::test]
async fn a_call_without_a_key_is_invalid_argument() {
    let mut server = Server::start().await;
    let status = server.create(None, 1250).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(server.ledger.payments(), 0);
}

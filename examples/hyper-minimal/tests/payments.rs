//! The example served on a free port, driven by a real HTTP client.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_minimal::{Ledger, serve, service};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

struct Server {
    base: String,
    ledger: Ledger,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Server {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let ledger = Ledger::default();
        let service = service(ledger.clone()).unwrap();
        tokio::spawn(async move { serve(listener, service).await.unwrap() });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            base,
            ledger,
            client,
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: &'static str,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("idempotency-key", key)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap();
        let response = self.client.request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, body)
    }

    async fn pay(&self, key: &str, body: &'static str) -> (StatusCode, HeaderMap, Bytes) {
        self.send(Method::POST, "/payments", key, body).await
    }
}

fn problem(headers: &HeaderMap, body: &[u8]) -> serde_json::Value {
    assert_eq!(headers["content-type"], "application/problem+json");
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn a_retried_payment_is_replayed_and_charged_once() {
    let server = Server::start().await;
    let (status, headers, first) = server.pay("\"pay-1\"", "{\"cents\":1250}").await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!headers.contains_key("idempotent-replayed"));
    assert_eq!(&first[..], b"{\"payment\":1,\"request_bytes\":14}");

    let (status, headers, retry) = server.pay("\"pay-1\"", "{\"cents\":1250}").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(retry, first);
    assert_eq!(
        server.ledger.payments(),
        1,
        "the retry did not charge again"
    );

    let (_, _, other) = server.pay("\"pay-2\"", "{\"cents\":1250}").await;
    assert_eq!(&other[..], b"{\"payment\":2,\"request_bytes\":14}");
    assert_eq!(server.ledger.payments(), 2);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_problem() {
    let server = Server::start().await;
    let (status, headers, body) = server.pay("\"unterminated", "{\"cents\":1}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let problem = problem(&headers, &body);
    assert_eq!(problem["status"], 400);
    assert_eq!(
        problem["type"],
        "https://resync.dev/problems/idempotency/key-malformed"
    );
    assert_eq!(
        problem["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );
    assert_eq!(server.ledger.payments(), 0);
}

#[tokio::test]
async fn unknown_routes_are_problems_too() {
    let server = Server::start().await;
    let (status, headers, body) = server.send(Method::GET, "/refunds", "\"r\"", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&headers, &body)["status"], 404);
    let (status, headers, body) = server.send(Method::GET, "/payments", "\"r\"", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    assert_eq!(problem(&headers, &body)["status"], 405);
}

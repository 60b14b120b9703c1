//! An HTTP/1 client for the payments API (`POST /payments`) of the axum and hyper examples.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A response, read to the end.
#[derive(Debug)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as an RFC 9457 problem, after checking its content type.
    ///
    /// # Panics
    ///
    /// When the response is not `application/problem+json` or its body is not JSON.
    pub fn problem(&self) -> serde_json::Value {
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "a problem response"
        );
        serde_json::from_slice(&self.body).expect("a problem body is JSON")
    }
}

/// Sends requests to one server's payments API.
#[derive(Debug, Clone)]
pub struct PaymentsClient {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl PaymentsClient {
    /// A client of the server listening at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// `POST /payments` with `key` as its `Idempotency-Key` (none when `None`) and `body`.
    pub async fn pay(&self, key: Option<&str>, body: &'static str) -> Reply {
        self.send(Method::POST, "/payments", key, body).await
    }

    /// Any request, with `key` as its `Idempotency-Key` (none when `None`).
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or the exchange fails.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: &'static str,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let request = request
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a valid request");
        let response = self
            .client
            .request(request)
            .await
            .expect("the server answers");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body arrives").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

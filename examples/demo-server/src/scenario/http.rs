//! A minimal HTTP client for the scenario: one request, the whole reply.

use anyhow::Context;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A reply, read to the end.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Reply {
    /// A header's value as text, or empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Http {
    /// A client for the server at `base` (`http://127.0.0.1:3000`).
    pub fn new(base: impl Into<String>) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            client,
            base: base.into(),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, None, "").await
    }

    /// `POST path` with a JSON body and, when given, an `Idempotency-Key` header.
    pub async fn post(&self, path: &str, key: Option<&str>, json: &str) -> anyhow::Result<Reply> {
        self.send(Method::POST, path, key, json).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> anyhow::Result<Reply> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let request = request.body(Full::new(Bytes::from(body.to_owned())))?;
        let response = self
            .client
            .request(request)
            .await
            .with_context(|| format!("{method} {path}: no response"))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .with_context(|| format!("{method} {path}: body"))?;
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes.to_bytes()).into_owned(),
        })
    }
}

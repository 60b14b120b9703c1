//! Helpers shared by the integration tests: requests, bodies, and a log capture.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use error_mapping::PROBLEM_JSON;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

/// A request with `id` in `x-request-id`, when given.
pub fn request(id: Option<&[u8]>) -> Request<String> {
    let mut builder = Request::builder().uri("/orders");
    if let Some(id) = id {
        builder = builder.header("x-request-id", http::HeaderValue::from_bytes(id).unwrap());
    }
    builder.body(String::new()).unwrap()
}

/// The response's `x-request-id`.
pub fn request_id<B>(response: &Response<B>) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Whether `id` looks like an id the layer generated (a version-8 UUID).
pub fn is_generated(id: &str) -> bool {
    id.len() == 36 && id.as_bytes()[14] == b'8' && id.matches('-').count() == 4
}

/// The body of a problem response, after checking what every problem response must hold: the
/// problem+json content type, `status` equal to the HTTP status, and the request id.
pub async fn problem_body<B>(response: Response<B>) -> (StatusCode, Value)
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let status = response.status();
    assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
    let id = request_id(&response);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(body["request_id"], id.as_str(), "{body}");
    (status, body)
}

/// Everything `tracing` writes while a test runs, as text.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures the events of the current thread until the guard drops.
    pub fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

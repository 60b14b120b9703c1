//! Helpers shared by the integration tests: requests, bodies, and a log capture.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

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
///
/// One global subscriber serves every test of the binary and writes each event to the capture of
/// the thread that emitted it. A subscriber set per test (`set_default`) would make `tracing`
/// recompute its global level filter and callsite interest whenever a test starts or ends, and a
/// test running beside another one's start or end could then miss its own events.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// Where the events of this thread go while a test captures them.
    static CAPTURING: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Captures the events of one thread until dropped.
#[must_use = "the capture ends when this is dropped"]
pub struct Capture(());

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| capturing.borrow_mut().take());
    }
}

impl Logs {
    /// Captures the events of the current thread until the guard drops.
    pub fn capture(&self) -> Capture {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .without_time()
                .with_writer(|| ThreadCapture)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in the tests");
        });
        CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(self.clone()));
        Capture(())
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

/// The global subscriber's writer: the capture of the emitting thread, or nowhere.
struct ThreadCapture;

impl Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|capturing| {
            if let Some(logs) = capturing.borrow().as_ref() {
                logs.0.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

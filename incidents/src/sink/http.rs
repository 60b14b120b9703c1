//! The HTTP client the webhook and PagerDuty sinks share: hyper-util's, HTTPS behind `tls`.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::DeliveryError;
use crate::config::Endpoint;

#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// How much of an error response's body is kept for the log.
const BODY_EXCERPT: usize = 512;

/// Posts JSON with a per-request timeout, classifying failures for the retry policy.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector()),
            timeout,
        }
    }

    /// Posts `body` to `endpoint`; any `2xx` is success.
    pub(crate) async fn post_json(
        &self,
        endpoint: &Endpoint,
        body: Vec<u8>,
    ) -> Result<(), DeliveryError> {
        let request = http::Request::post(endpoint.uri().clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "resync-incidents")
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| DeliveryError::Invalid(error.to_string()))?;
        let exchange = async {
            let response =
                self.client
                    .request(request)
                    .await
                    .map_err(|error| DeliveryError::Network {
                        endpoint: endpoint.to_string(),
                        reason: error_chain(&error),
                    })?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok()?.trim().parse().ok())
                .map(Duration::from_secs);
            let body = Limited::new(response.into_body(), BODY_EXCERPT * 8)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .unwrap_or_default();
            let excerpt = &body[..body.len().min(BODY_EXCERPT)];
            Err(DeliveryError::Status {
                endpoint: endpoint.to_string(),
                status,
                body: String::from_utf8_lossy(excerpt).into_owned(),
                retry_after,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(DeliveryError::Timeout {
                    endpoint: endpoint.to_string(),
                    timeout: self.timeout,
                })
            })
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(feature = "tls")]
fn connector() -> Connector {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .expect("the ring provider supports the default protocol versions")
        .https_or_http()
        .enable_http1()
        .build()
}

#[cfg(not(feature = "tls"))]
fn connector() -> Connector {
    HttpConnector::new()
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use super::*;

    #[test]
    fn the_https_client_builds_with_the_ring_provider() {
        let client = HttpClient::new(Duration::from_secs(1));
        assert_eq!(client.timeout, Duration::from_secs(1));
    }
}

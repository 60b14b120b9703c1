//! The layer's configuration document: serde types with the defaults, validated by
//! [`IdempotencyConfig::validate`] (see `settings.rs`).

use std::time::Duration;

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

/// Everything about the layer an operator may set, as a serde document.
///
/// Durations are written like `"60s"` or `"24h"`, sizes like `"1 MiB"`. The defaults follow
/// draft-ietf-httpapi-idempotency-key-header and what Stripe's API does. Validated when the layer
/// is built ([`IdempotencyLayerBuilder::build`](crate::IdempotencyLayerBuilder::build)), with
/// errors naming the field.
///
/// ```
/// use idempotency_layer::IdempotencyConfig;
///
/// let config: IdempotencyConfig = serde_json::from_str(r#"{
///     "require_key": true,
///     "lease": "30s",
///     "max_request_body": "256 KiB",
///     "fingerprint": { "headers": ["x-tenant"] }
/// }"#).unwrap();
/// assert_eq!(config.lease.as_secs(), 30);
/// assert_eq!(config.retention.as_secs(), 24 * 3600);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdempotencyConfig {
    /// The request header (or gRPC metadata key) carrying the key.
    pub header: String,
    /// Accept a bare token (`Idempotency-Key: 8e03…`) besides an RFC 8941 sf-string.
    pub accept_bare_token: bool,
    /// The longest key accepted, in characters once unescaped.
    pub max_key_length: usize,
    /// Refuse (400) a covered request without a key, instead of passing it through.
    pub require_key: bool,
    /// The methods covered.
    pub methods: Vec<String>,
    /// Prepended to every stored key (a Redis Cluster hash tag may go here).
    pub key_prefix: String,
    /// What goes into a request's fingerprint.
    pub fingerprint: FingerprintConfig,
    /// The claim's time-to-live in the store while the handler runs.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// How often a running handler renews its claim; shorter than the lease.
    #[serde(with = "humantime_serde")]
    pub renew_interval: Duration,
    /// How long a kept response is replayed.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// What a duplicate of a request still running gets.
    pub in_flight: InFlightConfig,
    /// The largest request body read (413 beyond).
    pub max_request_body: ByteSize,
    /// The largest response body kept for replay.
    pub max_response_body: ByteSize,
    /// What happens when a response outgrows `max_response_body`.
    pub oversized_response: OversizedResponse,
    /// The bytes all requests in flight may buffer together (503 beyond).
    pub body_budget: ByteSize,
    /// What happens when the store fails.
    pub on_store_failure: StoreFailure,
    /// Which response headers and trailers are replayed.
    pub replay: ReplayConfig,
    /// Which responses are kept.
    pub keep: KeepConfig,
    /// An in-process cache of completed responses in front of the store.
    pub local_cache: LocalCacheConfig,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        Self {
            header: "idempotency-key".into(),
            accept_bare_token: true,
            max_key_length: 255,
            require_key: false,
            methods: vec!["POST".into(), "PATCH".into()],
            key_prefix: "idempotency:".into(),
            fingerprint: FingerprintConfig::default(),
            lease: Duration::from_secs(60),
            renew_interval: Duration::from_secs(20),
            retention: Duration::from_secs(24 * 3600),
            in_flight: InFlightConfig::default(),
            max_request_body: ByteSize::mib(1),
            max_response_body: ByteSize::mib(1),
            oversized_response: OversizedResponse::Tombstone,
            body_budget: ByteSize::mib(64),
            on_store_failure: StoreFailure::FailClosed,
            replay: ReplayConfig::default(),
            keep: KeepConfig::default(),
            local_cache: LocalCacheConfig::default(),
        }
    }
}

/// What goes into a request's fingerprint besides its method, path and body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FingerprintConfig {
    /// Include the query string.
    pub include_query: bool,
    /// Request headers whose values count (all their lines, in order).
    pub headers: Vec<String>,
}

/// How a duplicate of a request still in flight is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InFlightConfig {
    /// Reject with 409 at once, or wait for the first to finish.
    pub mode: InFlightMode,
    /// The `Retry-After` of a 409.
    #[serde(with = "humantime_serde")]
    pub retry_after: Duration,
    /// In `wait` mode, the longest wait before answering 409.
    #[serde(with = "humantime_serde")]
    pub max_wait: Duration,
    /// In `wait` mode, how often the store is read while waiting.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
}

impl Default for InFlightConfig {
    fn default() -> Self {
        Self {
            mode: InFlightMode::Reject,
            retry_after: Duration::from_secs(1),
            max_wait: Duration::from_secs(5),
            poll_interval: Duration::from_millis(50),
        }
    }
}

/// How a duplicate of a request still in flight is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InFlightMode {
    /// 409 with `Retry-After` at once.
    Reject,
    /// Wait (at most `max_wait`) for the first to finish and replay it, else 409.
    Wait,
}

/// What happens when a response outgrows the body limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OversizedResponse {
    /// Keep a tombstone: retries get a 410 problem, never a second execution.
    Tombstone,
    /// Release the claim: a retry runs the handler again.
    Release,
}

/// What the layer does when the store fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreFailure {
    /// Answer 503 without running the handler.
    FailClosed,
    /// Run the handler without idempotency (a retry may run it again).
    FailOpen,
}

/// Which response headers and trailers are stored and replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplayConfig {
    /// Response headers replayed (all their lines, in order).
    pub headers: Vec<String>,
    /// Response trailers replayed (gRPC carries its status there).
    pub trailers: Vec<String>,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        let headers = [
            "content-type",
            "content-encoding",
            "content-language",
            "content-disposition",
            "content-location",
            "location",
            "link",
            "etag",
            "last-modified",
            "cache-control",
            "expires",
            "vary",
            "grpc-encoding",
            "grpc-status",
            "grpc-message",
        ];
        let trailers = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
        Self {
            headers: headers.map(String::from).to_vec(),
            trailers: trailers.map(String::from).to_vec(),
        }
    }
}

/// Which responses are kept for replay; the others release the claim so a retry runs again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeepConfig {
    /// Kept statuses, as single codes (`"201"`) or inclusive ranges (`"200-499"`).
    pub statuses: Vec<String>,
    /// Statuses never kept, even inside a range.
    pub except: Vec<u16>,
    /// For gRPC responses (a `grpc-status`), the codes kept.
    pub grpc_codes: Vec<u8>,
}

impl Default for KeepConfig {
    fn default() -> Self {
        Self {
            statuses: vec!["200-499".into()],
            except: vec![408, 409, 425, 429],
            // OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
            // FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED, UNAUTHENTICATED: the answers a
            // retry would get again. Transient ones (UNAVAILABLE, ABORTED, ...) are not kept.
            grpc_codes: vec![0, 3, 5, 6, 7, 9, 11, 12, 16],
        }
    }
}

/// The optional in-process cache of completed responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalCacheConfig {
    /// How many responses it holds; 0 turns it off.
    pub capacity: u64,
    /// How long a response stays in it; at most the retention.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
}

impl Default for LocalCacheConfig {
    fn default() -> Self {
        Self {
            capacity: 0,
            ttl: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_serde_round_trips() {
        let config = IdempotencyConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("\"lease\":\"1m\""), "{json}");
        let back: IdempotencyConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<IdempotencyConfig>(r#"{"leese":"1s"}"#).unwrap_err();
        assert!(err.to_string().contains("leese"), "{err}");
    }
}

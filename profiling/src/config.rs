//! The crate's configuration: what the layers record and when they warn.

use std::time::Duration;

use http::HeaderName;
use serde::{Deserialize, Serialize};

use crate::buckets;
use crate::error::ConfigError;

/// Configuration of the HTTP and gRPC layers and of [`Operations`](crate::Operations).
///
/// Validated when a component is built from it ([`ProfilingConfig::validate`]).
///
/// ```
/// use std::time::Duration;
/// use profiling::ProfilingConfig;
///
/// let config: ProfilingConfig =
///     serde_json::from_str(r#"{ "slow_threshold": "250ms", "request_id_header": "x-trace-id" }"#)?;
/// assert_eq!(config.slow_threshold, Duration::from_millis(250));
/// config.validate()?;
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilingConfig {
    /// A request, call or operation that takes longer than this logs one WARN. Default `100ms`.
    #[serde(with = "humantime_serde")]
    pub slow_threshold: Duration,
    /// Bucket upper bounds, in seconds, for request, call and operation durations; finite,
    /// positive, strictly increasing. Default: the semconv buckets
    /// ([`buckets::HTTP_DURATION_SECONDS`]). Buckets are an exporter setting: the layers record
    /// raw durations, and [`prometheus::builder`](crate::prometheus::builder) applies these.
    pub buckets: Vec<f64>,
    /// The request header that carries the request id logged with slow requests.
    /// Default `x-request-id`.
    pub request_id_header: String,
    /// The `url.scheme` of requests whose URI has no scheme (HTTP/1.1 origin-form). Default `http`.
    pub default_scheme: Scheme,
    /// Which optional attributes are recorded.
    pub attributes: Attributes,
}

impl Default for ProfilingConfig {
    fn default() -> Self {
        Self {
            slow_threshold: Duration::from_millis(100),
            buckets: buckets::HTTP_DURATION_SECONDS.to_vec(),
            request_id_header: "x-request-id".to_owned(),
            default_scheme: Scheme::Http,
            attributes: Attributes::default(),
        }
    }
}

/// The scheme a server is reached by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The attribute value: `http` or `https`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The optional attributes: each one multiplies the number of series, so each can be turned off.
/// `http.request.method`, `rpc.system`, `rpc.service` and `rpc.method` are always recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attributes {
    /// `url.scheme` on HTTP metrics.
    pub url_scheme: bool,
    /// `http.route` (from a route template only) on HTTP metrics.
    pub http_route: bool,
    /// `http.response.status_code` on HTTP metrics, `rpc.grpc.status_code` on gRPC metrics.
    pub status_code: bool,
    /// `error.type` on failed requests and calls.
    pub error_type: bool,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            url_scheme: true,
            http_route: true,
            status_code: true,
            error_type: true,
        }
    }
}

/// A configuration that passed [`ProfilingConfig::validate`], in the form the layers use.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub(crate) slow_threshold: Duration,
    pub(crate) request_id_header: HeaderName,
    pub(crate) default_scheme: Scheme,
    pub(crate) attributes: Attributes,
}

impl ProfilingConfig {
    /// Checks every field; the error names the first one that is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validated().map(drop)
    }

    pub(crate) fn validated(&self) -> Result<Validated, ConfigError> {
        if self.slow_threshold.is_zero() {
            return Err(ConfigError::ZeroSlowThreshold);
        }
        validate_buckets(&self.buckets)?;
        let request_id_header = HeaderName::try_from(self.request_id_header.as_str())
            .map_err(|_| ConfigError::RequestIdHeader(self.request_id_header.clone()))?;
        Ok(Validated {
            slow_threshold: self.slow_threshold,
            request_id_header,
            default_scheme: self.default_scheme,
            attributes: self.attributes,
        })
    }
}

fn validate_buckets(bounds: &[f64]) -> Result<(), ConfigError> {
    if bounds.is_empty() {
        return Err(ConfigError::EmptyBuckets);
    }
    for (index, &bound) in bounds.iter().enumerate() {
        if !bound.is_finite() || bound <= 0.0 {
            return Err(ConfigError::InvalidBucket { index, bound });
        }
        if let Some(&previous) = index.checked_sub(1).and_then(|i| bounds.get(i))
            && bound <= previous
        {
            return Err(ConfigError::UnorderedBuckets {
                index,
                bound,
                previous,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut ProfilingConfig)) -> Result<(), ConfigError> {
        let mut config = ProfilingConfig::default();
        edit(&mut config);
        config.validate()
    }

    #[test]
    fn default_is_valid_and_uses_semconv_buckets() {
        assert_eq!(ProfilingConfig::default().validate(), Ok(()));
        assert_eq!(
            ProfilingConfig::default().buckets,
            buckets::HTTP_DURATION_SECONDS
        );
    }

    #[test]
    fn rejects_each_bad_field_by_name() {
        let zero = with(|c| c.slow_threshold = Duration::ZERO).unwrap_err();
        assert!(zero.to_string().contains("slow_threshold"), "{zero}");
        assert_eq!(with(|c| c.buckets.clear()), Err(ConfigError::EmptyBuckets));
        assert!(matches!(
            with(|c| c.buckets = vec![0.1, f64::NAN]),
            Err(ConfigError::InvalidBucket { index: 1, .. })
        ));
        let negative = with(|c| c.buckets = vec![-1.0]).unwrap_err();
        assert!(negative.to_string().contains("buckets[0]"), "{negative}");
        let unordered = with(|c| c.buckets = vec![0.1, 0.5, 0.5]).unwrap_err();
        assert!(unordered.to_string().contains("buckets[2]"), "{unordered}");
        let header = with(|c| c.request_id_header = "bad header".into()).unwrap_err();
        assert!(header.to_string().contains("request_id_header"), "{header}");
    }

    #[test]
    fn parses_durations_and_rejects_unknown_fields() {
        let config: ProfilingConfig = serde_json::from_str(
            r#"{"slow_threshold":"2s","default_scheme":"https","attributes":{"http_route":false}}"#,
        )
        .unwrap();
        assert_eq!(config.slow_threshold, Duration::from_secs(2));
        assert_eq!(config.default_scheme, Scheme::Https);
        assert!(!config.attributes.http_route && config.attributes.url_scheme);
        let unknown = serde_json::from_str::<ProfilingConfig>(r#"{"treshold":"1s"}"#).unwrap_err();
        assert!(unknown.to_string().contains("treshold"), "{unknown}");
        let round_trip: ProfilingConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(round_trip, config);
    }
}

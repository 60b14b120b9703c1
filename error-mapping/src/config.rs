//! The serde configuration of the error-mapping layer, validated when the layer is built.

use http::HeaderName;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The shortest `request_id_max_len` allowed: a generated id (a hyphenated UUID) must pass the
/// layer's own validation when a client sends it back.
pub const MIN_REQUEST_ID_LEN: usize = 36;
/// The longest `request_id_max_len` allowed: ids are copied into every log line.
pub const MAX_REQUEST_ID_LEN: usize = 1024;

/// How the error-mapping layer treats request ids and bare error responses.
///
/// ```
/// use error_mapping::{ErrorMappingConfig, ErrorMappingLayer};
///
/// let config: ErrorMappingConfig = serde_json::from_str(
///     r#"{ "request_id_header": "x-correlation-id", "rewrite_bare_responses": false }"#,
/// )?;
/// let layer = ErrorMappingLayer::from_config(&config)?;
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorMappingConfig {
    /// The header that carries the request id, in and out (default `x-request-id`).
    pub request_id_header: String,
    /// The longest client-supplied id kept, in bytes; a longer one is replaced
    /// (default 128, from 36 to 1024).
    pub request_id_max_len: usize,
    /// Whether empty-bodied 4xx and 5xx responses (a router's 404 or 405) are rewritten into
    /// problem responses (default `true`).
    pub rewrite_bare_responses: bool,
}

impl Default for ErrorMappingConfig {
    fn default() -> Self {
        Self {
            request_id_header: "x-request-id".to_owned(),
            request_id_max_len: 128,
            rewrite_bare_responses: true,
        }
    }
}

/// A configuration value the error-mapping layer cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// `request_id_header` is not a valid HTTP header name.
    #[error("error_mapping.{}: {}", self.field(), self.reason())]
    RequestIdHeader(String),
    /// `request_id_max_len` is out of its range.
    #[error("error_mapping.{}: {}", self.field(), self.reason())]
    RequestIdMaxLen(usize),
}

impl ConfigError {
    /// The offending field, as spelled in the configuration.
    pub fn field(&self) -> &str {
        match self {
            ConfigError::RequestIdHeader(_) => "request_id_header",
            ConfigError::RequestIdMaxLen(_) => "request_id_max_len",
        }
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> String {
        match self {
            ConfigError::RequestIdHeader(header) => format!(
                "`{header}` is not a valid header name (letters, digits and `-`, e.g. `x-request-id`)"
            ),
            ConfigError::RequestIdMaxLen(len) => format!(
                "{len} is out of range ({MIN_REQUEST_ID_LEN} to {MAX_REQUEST_ID_LEN} bytes)"
            ),
        }
    }
}

impl ErrorMappingConfig {
    /// Checks every field, naming the first one that is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.header_name().map(drop)
    }

    /// The header name, once every field is checked.
    pub(crate) fn header_name(&self) -> Result<HeaderName, ConfigError> {
        let header = &self.request_id_header;
        let name = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| ConfigError::RequestIdHeader(header.clone()))?;
        if !(MIN_REQUEST_ID_LEN..=MAX_REQUEST_ID_LEN).contains(&self.request_id_max_len) {
            return Err(ConfigError::RequestIdMaxLen(self.request_id_max_len));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_survives_a_round_trip() {
        let config = ErrorMappingConfig::default();
        assert_eq!(config.header_name().unwrap(), "x-request-id");
        assert_eq!(config.validate(), Ok(()));
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<ErrorMappingConfig>(&json).unwrap(),
            config
        );
        assert_eq!(
            serde_json::from_str::<ErrorMappingConfig>("{}").unwrap(),
            config
        );
    }

    #[test]
    fn bad_values_are_named_by_their_field() {
        for header in ["", "x request id", "x-id\n", "x:id"] {
            let config = ErrorMappingConfig {
                request_id_header: header.into(),
                ..Default::default()
            };
            let error = config.validate().unwrap_err();
            assert_eq!(error, ConfigError::RequestIdHeader(header.into()));
            assert!(
                error
                    .to_string()
                    .starts_with("error_mapping.request_id_header")
            );
        }
        for len in [0, 35, 1025] {
            let config = ErrorMappingConfig {
                request_id_max_len: len,
                ..Default::default()
            };
            let error = config.validate().unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("error_mapping.request_id_max_len")
            );
        }
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let config = ErrorMappingConfig {
            request_id_header: "X-Correlation-Id".into(),
            ..Default::default()
        };
        assert_eq!(config.header_name().unwrap(), "x-correlation-id");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = serde_json::from_str::<ErrorMappingConfig>(r#"{"header":"x"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `header`"),
            "{error}"
        );
    }
}

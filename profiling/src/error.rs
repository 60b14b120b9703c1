//! Errors of building a component from a [`ProfilingConfig`](crate::ProfilingConfig).

/// A field of [`ProfilingConfig`](crate::ProfilingConfig) that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Every request would be reported as slow.
    #[error("profiling config: `slow_threshold` must be greater than zero")]
    ZeroSlowThreshold,
    /// A histogram needs at least one bucket.
    #[error("profiling config: `buckets` must not be empty")]
    EmptyBuckets,
    /// A bucket bound that is not a positive number of seconds.
    #[error(
        "profiling config: `buckets[{index}]` is {bound}, not a finite positive number of seconds"
    )]
    InvalidBucket {
        /// Position of the bound in the list.
        index: usize,
        /// The bound.
        bound: f64,
    },
    /// Bucket bounds must increase strictly.
    #[error(
        "profiling config: `buckets[{index}]` is {bound}, not greater than the bound before it ({previous})"
    )]
    UnorderedBuckets {
        /// Position of the bound in the list.
        index: usize,
        /// The bound.
        bound: f64,
        /// The bound before it.
        previous: f64,
    },
    /// The request id header is not a valid (lowercase) HTTP header name.
    #[error("profiling config: `request_id_header` {0:?} is not a valid HTTP header name")]
    RequestIdHeader(String),
}

impl ConfigError {
    /// The offending field, as spelled in the configuration (`buckets`, `slow_threshold`, …).
    pub fn field(&self) -> &str {
        match self {
            ConfigError::ZeroSlowThreshold => "slow_threshold",
            ConfigError::EmptyBuckets
            | ConfigError::InvalidBucket { .. }
            | ConfigError::UnorderedBuckets { .. } => "buckets",
            ConfigError::RequestIdHeader(_) => "request_id_header",
        }
    }

    /// What is wrong with the field's value.
    pub fn reason(&self) -> String {
        match self {
            ConfigError::ZeroSlowThreshold => "must be greater than zero".to_owned(),
            ConfigError::EmptyBuckets => "must not be empty".to_owned(),
            ConfigError::InvalidBucket { index, bound } => {
                format!("bound {index} is {bound}, not a finite positive number of seconds")
            }
            ConfigError::UnorderedBuckets {
                index,
                bound,
                previous,
            } => format!(
                "bound {index} is {bound}, not greater than the bound before it ({previous})"
            ),
            ConfigError::RequestIdHeader(header) => {
                format!("{header:?} is not a valid HTTP header name")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_names_its_field_and_reason() {
        let error = ConfigError::UnorderedBuckets {
            index: 2,
            bound: 0.1,
            previous: 0.5,
        };
        assert_eq!(error.field(), "buckets");
        assert!(
            error
                .reason()
                .contains("not greater than the bound before it (0.5)")
        );
        assert_eq!(ConfigError::ZeroSlowThreshold.field(), "slow_threshold");
    }
}

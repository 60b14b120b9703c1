//! What a [`Store`](crate::Store) operation can fail with.

/// The error type of every [`Store`](crate::Store) operation.
///
/// The variants split by what the caller should do: [`StoreError::Unavailable`] and
/// [`StoreError::ReadOnly`] are the backend's trouble (retry later, fail closed or open), while
/// [`StoreError::InvalidInput`] and [`StoreError::CapacityExceeded`] are answers about this request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached or did not answer in time; the operation may or may not
    /// have been applied.
    #[error("store backend `{backend}` is unavailable: {source}")]
    Unavailable {
        /// Which backend, e.g. `redis`.
        backend: &'static str,
        /// The underlying cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The key or value breaks a limit of the store; nothing was written.
    #[error(transparent)]
    InvalidInput(#[from] InputError),
    /// The store is full of live records and does not evict them; nothing was written.
    #[error("store is at its capacity of {capacity} and never evicts live records")]
    CapacityExceeded {
        /// The configured capacity, in the store's unit (entries or weight).
        capacity: u64,
    },
    /// The store refuses writes (for example after a failed fsync) but still serves reads.
    #[error("store is read-only: {reason}")]
    ReadOnly {
        /// Why the store turned read-only.
        reason: String,
    },
}

impl StoreError {
    /// Wraps a backend failure as [`StoreError::Unavailable`].
    pub fn unavailable(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Unavailable {
            backend,
            source: source.into(),
        }
    }

    /// True when the failure is the backend's rather than the request's, so that a caller may
    /// retry later or fail open.
    pub fn is_backend_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. } | StoreError::ReadOnly { .. }
        )
    }
}

/// A key or value that breaks a configured limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The key is longer than the store accepts.
    #[error("key of {size} bytes exceeds the limit of {limit} bytes")]
    KeyTooLarge {
        /// The key's length.
        size: usize,
        /// The configured maximum.
        limit: usize,
    },
    /// The value is longer than the store accepts.
    #[error("value of {size} bytes exceeds the limit of {limit} bytes")]
    ValueTooLarge {
        /// The value's length.
        size: usize,
        /// The configured maximum.
        limit: usize,
    },
    /// A time-to-live of zero, which would store a record that is already expired.
    #[error("a time-to-live must be longer than zero")]
    ZeroTtl,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_and_the_size() {
        let err = StoreError::from(InputError::ValueTooLarge {
            size: 2048,
            limit: 1024,
        });
        assert_eq!(
            err.to_string(),
            "value of 2048 bytes exceeds the limit of 1024 bytes"
        );
        assert!(!err.is_backend_failure());
        let down = StoreError::unavailable("redis", "connection refused");
        assert!(down.is_backend_failure());
        assert!(down.to_string().contains("redis"));
    }
}

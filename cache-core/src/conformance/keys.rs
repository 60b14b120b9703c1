//! Keys namespaced per case, so that cases sharing one backend (a Redis server, say) never meet.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};

/// The keys of one case: every key starts with `conformance:<case>:<random hex>:`.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: Bytes,
}

impl Keys {
    /// A fresh namespace for `case`, distinct from every other namespace ever made.
    pub(crate) fn new(case: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        // `RandomState` is seeded randomly per process and differs between instances.
        let unique = RandomState::new().hash_one((std::process::id(), nanos));
        Self {
            prefix: Bytes::from(format!("conformance:{case}:{unique:016x}:")),
        }
    }

    /// The key `name` in this namespace.
    pub(crate) fn key(&self, name: &str) -> Bytes {
        let mut key = BytesMut::with_capacity(self.prefix.len() + name.len());
        key.put_slice(&self.prefix);
        key.put_slice(name.as_bytes());
        key.freeze()
    }

    /// The `index`th key of a numbered series.
    pub(crate) fn nth(&self, index: u64) -> Bytes {
        self.key(&index.to_string())
    }

    /// A key of exactly `len` bytes: the namespace padded with `k`, or cut short when `len` is
    /// shorter than the namespace itself.
    pub(crate) fn of_len(&self, len: usize) -> Bytes {
        let mut key = BytesMut::with_capacity(len);
        key.put_slice(&self.prefix[..len.min(self.prefix.len())]);
        key.resize(len, b'k');
        key.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_of_one_case_differ() {
        let (a, b) = (Keys::new("case"), Keys::new("case"));
        assert_ne!(a.key("x"), b.key("x"));
        assert!(a.key("x").starts_with(b"conformance:case:"));
        assert!(a.key("x").ends_with(b":x"));
    }

    #[test]
    fn numbered_keys_are_distinct() {
        let keys = Keys::new("series");
        assert_ne!(keys.nth(1), keys.nth(10));
        assert_eq!(keys.nth(7), keys.key("7"));
    }

    #[test]
    fn keys_of_a_length_are_exact() {
        let keys = Keys::new("len");
        for len in [0, 1, 5, 200, 4096] {
            assert_eq!(keys.of_len(len).len(), len);
        }
        assert!(keys.of_len(200).starts_with(&keys.key("")));
    }
}

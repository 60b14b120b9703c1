//! How a `Store` key becomes a Redis key: the namespace prefix, and a Redis Cluster hash tag.

use crate::ConfigError;

/// Builds Redis keys from `Store` keys.
///
/// A key that already holds a hash tag (Redis's rule: the bytes between the first `{` and the
/// next `}`, when there is at least one) keeps it, so a caller can place related records on one
/// slot by giving them the same `{tag}`; a `~` after the prefix marks such keys, so that they
/// never collide with a wrapped one. Any other key is wrapped to become the tag itself, so the
/// slot depends on the key alone, never on the shared prefix:
///
/// | `Store` key    | Redis key (prefix `app:`) | slot decided by |
/// |----------------|---------------------------|-----------------|
/// | `order-42`     | `app:{order-42}`          | `order-42`      |
/// | `{order-42}`   | `app:~{order-42}`         | `order-42`      |
/// | `{order-42}:b` | `app:~{order-42}:b`       | `order-42`      |
///
/// The prefix may not contain `{` or `}`: it would otherwise take the hash tag's place.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    prefix: Box<str>,
}

impl KeyLayout {
    /// A layout with `prefix` before every key.
    pub(crate) fn new(prefix: &str) -> Result<Self, ConfigError> {
        if prefix.contains(['{', '}']) {
            return Err(ConfigError::invalid(
                "key_prefix",
                "may not contain `{` or `}`: Redis Cluster would read it as the key's hash tag",
            ));
        }
        Ok(Self {
            prefix: prefix.into(),
        })
    }

    /// The Redis key under which `key` is stored.
    pub(crate) fn redis_key(&self, key: &[u8]) -> Vec<u8> {
        let mut redis_key = Vec::with_capacity(self.prefix.len() + key.len() + 2);
        redis_key.extend_from_slice(self.prefix.as_bytes());
        if has_hash_tag(key) {
            redis_key.push(b'~');
            redis_key.extend_from_slice(key);
        } else {
            redis_key.push(b'{');
            redis_key.extend_from_slice(key);
            redis_key.push(b'}');
        }
        redis_key
    }
}

/// Redis Cluster's rule: a `{`, later a `}`, and at least one byte between the first of each.
fn has_hash_tag(key: &[u8]) -> bool {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return false;
    };
    key[open + 1..]
        .iter()
        .position(|&b| b == b'}')
        .is_some_and(|len| len > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes Redis Cluster hashes to pick the slot of `key`.
    fn slot_input(key: &[u8]) -> &[u8] {
        if let Some(open) = key.iter().position(|&b| b == b'{')
            && let Some(len) = key[open + 1..].iter().position(|&b| b == b'}')
            && len > 0
        {
            return &key[open + 1..open + 1 + len];
        }
        key
    }

    #[test]
    fn keys_without_a_tag_become_their_own_tag() {
        let layout = KeyLayout::new("app:").unwrap();
        assert_eq!(layout.redis_key(b"order-42"), b"app:{order-42}");
        assert_eq!(slot_input(&layout.redis_key(b"order-42")), b"order-42");
        assert_eq!(layout.redis_key(b""), b"app:{}");
    }

    #[test]
    fn a_callers_tag_is_kept_so_related_records_share_a_slot() {
        let layout = KeyLayout::new("app:").unwrap();
        let record = layout.redis_key(b"{order-42}:record");
        let body = layout.redis_key(b"{order-42}:body");
        assert_eq!(record, b"app:~{order-42}:record");
        assert_eq!(slot_input(&record), slot_input(&body));
    }

    #[test]
    fn empty_braces_are_no_tag() {
        let layout = KeyLayout::new("").unwrap();
        assert_eq!(layout.redis_key(b"a{}b"), b"{a{}b}");
    }

    #[test]
    fn different_keys_stay_distinct() {
        let layout = KeyLayout::new("p:").unwrap();
        let keys: [&[u8]; 9] = [
            b"a", b"{a}", b"~{a}", b"{a}}", b"{}", b"", b"}", b"{", b"~a",
        ];
        let redis_keys: std::collections::HashSet<_> =
            keys.iter().map(|k| layout.redis_key(k)).collect();
        assert_eq!(redis_keys.len(), keys.len());
    }

    #[test]
    fn a_prefix_with_braces_is_refused() {
        let err = KeyLayout::new("app{1}:").unwrap_err().to_string();
        assert!(err.contains("key_prefix"), "{err}");
    }
}

//! The key under which a request's record is stored: a BLAKE3 hash of its principal and client
//! key, so raw client keys never reach the store and two principals never share a record.

use bytes::{BufMut, Bytes, BytesMut};

/// Derives the stored key for `client_key` sent by `principal`, behind `prefix`.
///
/// Both inputs are length-framed before hashing, so no pair of (principal, key) can collide with
/// another by moving bytes across the boundary.
pub(crate) fn stored_key(prefix: &[u8], principal: Option<&[u8]>, client_key: &[u8]) -> Bytes {
    let mut hasher = blake3::Hasher::new();
    match principal {
        None => {
            hasher.update(&[0]);
        }
        Some(principal) => {
            hasher.update(&[1]);
            hasher.update(&(principal.len() as u64).to_le_bytes());
            hasher.update(principal);
        }
    }
    hasher.update(client_key);
    let hash = hasher.finalize();
    let mut key = BytesMut::with_capacity(prefix.len() + blake3::OUT_LEN * 2);
    key.put_slice(prefix);
    key.put_slice(hash.to_hex().as_bytes());
    key.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_and_framing_separate_keys() {
        let anonymous = stored_key(b"p:", None, b"k");
        let alice = stored_key(b"p:", Some(b"alice"), b"k");
        let bob = stored_key(b"p:", Some(b"bob"), b"k");
        let empty = stored_key(b"p:", Some(b""), b"k");
        let shifted = stored_key(b"p:", Some(b"alic"), b"ek");
        let all = [&anonymous, &alice, &bob, &empty, &shifted];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(alice, stored_key(b"p:", Some(b"alice"), b"k"));
        assert!(alice.starts_with(b"p:"));
        assert_eq!(alice.len(), 2 + 64);
    }
}

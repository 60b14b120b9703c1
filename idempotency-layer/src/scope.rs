//! The key under which a request's record is stored: a BLAKE3 hash of its principal and client
//! key, so raw client keys never reach the store and two principals never share a record.

use bytes::{BufMut, Bytes, BytesMut};

/// Derives the stored key for `client_key` sent by `principal`, behind `prefix`.
///
/// Both inputs are length-framed before hashing, so no pair of (principal, key) can collide with
/// another by moving bytes across the boundary.
pub(crate) fn stored_key(prefix: &[u8], principal: Option<&[u8]>, client_key: &[u8]) -> Bytes {
    // The framed input in one buffer, hashed in one call: for inputs this short BLAKE3 then
    // compresses a single chunk, without a streaming hasher's setup.
    let framed_len = 1 + principal.map_or(0, |p| size_of::<u64>() + p.len()) + client_key.len();
    let mut input = Vec::with_capacity(framed_len);
    match principal {
        None => input.push(0),
        Some(principal) => {
            input.push(1);
            input.extend_from_slice(&(principal.len() as u64).to_le_bytes());
            input.extend_from_slice(principal);
        }
    }
    input.extend_from_slice(client_key);
    let hash = blake3::hash(&input);
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

    #[test]
    fn stored_keys_are_stable_across_releases() {
        // Records outlive a deployment: a changed derivation would turn every retry after an
        // upgrade into a second execution.
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[1]);
        hasher.update(&5u64.to_le_bytes());
        hasher.update(b"alice");
        hasher.update(b"k");
        let expected = format!("p:{}", hasher.finalize().to_hex());
        assert_eq!(stored_key(b"p:", Some(b"alice"), b"k"), expected.as_bytes());
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[0]);
        hasher.update(b"k");
        let expected = format!("p:{}", hasher.finalize().to_hex());
        assert_eq!(stored_key(b"p:", None, b"k"), expected.as_bytes());
    }
}

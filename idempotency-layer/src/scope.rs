//! The key under which a request's record is stored: a BLAKE3 hash of its principal and client
//! key, so raw client keys never reach the store and two principals never share a record.

use bytes::{BufMut, Bytes, BytesMut};

/// Derives the stored key for `client_key` sent by `principal`, behind `prefix`.
///
/// Both inputs are length-framed before hashing, so no pair of (principal, key) can collide with
/// another by moving bytes across the boundary.
pub(crate) fn stored_key(prefix: &[u8], principal: Option<&[u8]>, client_key: &[u8]) -> Bytes {
    let hash = match principal {
        // The common case, framed on the stack: keys are short (255 bytes by default).
        None if client_key.len() < SHORT_INPUT => {
            let mut input = [0; SHORT_INPUT];
            input[1..=client_key.len()].copy_from_slice(client_key);
            blake3::hash(&input[..=client_key.len()])
        }
        None => framed_hash(&[&[0], client_key]),
        Some(principal) => {
            let length = (principal.len() as u64).to_le_bytes();
            framed_hash(&[&[1], &length, principal, client_key])
        }
    };
    let mut hex = [0; blake3::OUT_LEN * 2];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(hash.as_bytes()) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    let mut key = BytesMut::with_capacity(prefix.len() + hex.len());
    key.put_slice(prefix);
    key.put_slice(&hex);
    key.freeze()
}

/// Inputs shorter than this are framed in a stack buffer.
const SHORT_INPUT: usize = 256;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// BLAKE3 of `parts` joined, in one call: for inputs this short BLAKE3 then compresses a single
/// chunk, without a streaming hasher's setup.
fn framed_hash(parts: &[&[u8]]) -> blake3::Hash {
    blake3::hash(&parts.concat())
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

    #[test]
    fn keys_framed_on_the_stack_or_on_the_heap_hash_alike() {
        for len in [
            SHORT_INPUT - 2,
            SHORT_INPUT - 1,
            SHORT_INPUT,
            4 * SHORT_INPUT,
        ] {
            let client_key = vec![b'k'; len];
            let mut hasher = blake3::Hasher::new();
            hasher.update(&[0]);
            hasher.update(&client_key);
            let expected = format!("p:{}", hasher.finalize().to_hex());
            assert_eq!(
                stored_key(b"p:", None, &client_key),
                expected.as_bytes(),
                "{len}"
            );
        }
    }
}

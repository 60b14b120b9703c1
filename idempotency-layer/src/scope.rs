//! The key under which a request's record is stored: a BLAKE3 hash of its principal and client
//! key, so raw client keys never reach the store and two principals never share a record.

use bytes::{BufMut, Bytes, BytesMut};

/// A stored key, and `spare` room after it in the same allocation for the record written under
/// it: the store keeps a clone of each, and clones of a shared allocation only count references.
#[derive(Debug)]
pub(crate) struct StoredKey {
    pub(crate) key: Bytes,
    pub(crate) spare: BytesMut,
}

/// Derives the stored key for `client_key` sent by `principal`, behind `prefix`, with `spare`
/// bytes of room after it.
///
/// Both inputs are length-framed before hashing, so no pair of (principal, key) can collide with
/// another by moving bytes across the boundary.
pub(crate) fn stored_key(
    prefix: &[u8],
    principal: Option<&[u8]>,
    client_key: &[u8],
    spare: usize,
) -> StoredKey {
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
    for (pair, &byte) in hex.chunks_exact_mut(2).zip(hash.as_bytes()) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    let mut buffer = BytesMut::with_capacity(prefix.len() + hex.len() + spare);
    buffer.put_slice(prefix);
    buffer.put_slice(&hex);
    StoredKey {
        key: buffer.split().freeze(),
        spare: buffer,
    }
}

/// Inputs shorter than this are framed in a stack buffer.
const SHORT_INPUT: usize = 256;

/// Each byte's two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [digits[byte >> 4], digits[byte & 0xf]];
        byte += 1;
    }
    pairs
};

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
        let anonymous = stored_key(b"p:", None, b"k", 0).key;
        let alice = stored_key(b"p:", Some(b"alice"), b"k", 0).key;
        let bob = stored_key(b"p:", Some(b"bob"), b"k", 0).key;
        let empty = stored_key(b"p:", Some(b""), b"k", 0).key;
        let shifted = stored_key(b"p:", Some(b"alic"), b"ek", 0).key;
        let all = [&anonymous, &alice, &bob, &empty, &shifted];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(alice, stored_key(b"p:", Some(b"alice"), b"k", 0).key);
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
        assert_eq!(
            stored_key(b"p:", Some(b"alice"), b"k", 0).key,
            expected.as_bytes()
        );
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[0]);
        hasher.update(b"k");
        let expected = format!("p:{}", hasher.finalize().to_hex());
        assert_eq!(stored_key(b"p:", None, b"k", 0).key, expected.as_bytes());
    }

    #[test]
    fn the_spare_room_follows_the_key_in_its_allocation() {
        let StoredKey { key, mut spare } = stored_key(b"p:", None, b"k", 44);
        assert_eq!(key.len(), 2 + 64);
        assert!(spare.is_empty() && spare.capacity() >= 44);
        spare.put_slice(&[7; 44]);
        let record = spare.freeze();
        assert_eq!(record.as_ptr(), key.as_ptr().wrapping_add(key.len()));
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
                stored_key(b"p:", None, &client_key, 0).key,
                expected.as_bytes(),
                "{len}"
            );
        }
    }
}

//! Fresh request ids without a system call per request.
//!
//! Each generator draws 128 random bits once, from the standard library's per-thread hash keys,
//! and then counts: the id of the n-th request is `n` passed through a keyed bijection of 62 bits,
//! so ids are unique within a generator and look unrelated to each other (they do not reveal the
//! request rate), while the generator's random half keeps processes and restarts apart. Ids are
//! laid out as UUIDs of version 8 (RFC 9562's layout for custom UUIDs), which every log tool
//! accepts.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;

use super::RequestId;

/// The low 62 bits, the width of the counter's bijection.
const LOW_62: u64 = (1 << 62) - 1;
/// Version 8 in the version nibble of a UUID's high half.
const VERSION_8: u64 = 0x8 << 12;
/// The RFC 9562 variant (`0b10`) in the top bits of a UUID's low half.
const VARIANT: u64 = 0b10 << 62;
/// The length of a hyphenated UUID.
const UUID_LEN: usize = 36;

/// Makes the ids of the requests that come without a valid one.
#[derive(Debug)]
pub(crate) struct IdGenerator {
    /// The UUID's high half: random bits with the version set.
    high: u64,
    /// The key of the counter's bijection.
    key: u64,
    counter: AtomicU64,
}

impl IdGenerator {
    /// A generator with fresh random bits.
    pub(crate) fn new() -> Self {
        let random = RandomState::new();
        let high = random.hash_one(0_u8);
        let key = random.hash_one(1_u8);
        Self {
            high: (high & !(0xF << 12)) | VERSION_8,
            key,
            counter: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub(crate) fn next_id(&self) -> RequestId {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let low = VARIANT | mix62(n ^ self.key);
        let mut text = [0; UUID_LEN];
        write_uuid(&mut text, self.high, low);
        let value = HeaderValue::from_maybe_shared(Bytes::from_owner(text))
            .expect("a UUID is a valid header value");
        RequestId::trusted(value)
    }
}

/// A bijection of the low 62 bits (each step is invertible modulo 2^62), after splitmix64.
fn mix62(x: u64) -> u64 {
    let mut x = x & LOW_62;
    x = (x ^ (x >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9) & LOW_62;
    x = (x ^ (x >> 29)).wrapping_mul(0x94d0_49bb_1331_11eb) & LOW_62;
    x ^ (x >> 32)
}

/// Writes `high` and `low` as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase hex.
fn write_uuid(out: &mut [u8; UUID_LEN], high: u64, low: u64) {
    let [h0, h1] = [hex8((high >> 32) as u32), hex8(high as u32)];
    let [l0, l1] = [hex8((low >> 32) as u32), hex8(low as u32)];
    out[..8].copy_from_slice(&h0);
    out[8] = b'-';
    out[9..13].copy_from_slice(&h1[..4]);
    out[13] = b'-';
    out[14..18].copy_from_slice(&h1[4..]);
    out[18] = b'-';
    out[19..23].copy_from_slice(&l0[..4]);
    out[23] = b'-';
    out[24..28].copy_from_slice(&l0[4..]);
    out[28..].copy_from_slice(&l1);
}

/// The eight lowercase hex digits of `word`, computed a byte per digit in one `u64` at once.
fn hex8(word: u32) -> [u8; 8] {
    const LOW_NIBBLES: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Spread the nibbles to one per byte, the most significant in the highest byte.
    let mut x = u64::from(word);
    x = (x | x << 16) & 0x0000_FFFF_0000_FFFF;
    x = (x | x << 8) & 0x00FF_00FF_00FF_00FF;
    x = (x | x << 4) & LOW_NIBBLES;
    // Bytes holding 10..=15 get bit 4 set by adding 6; those skip from '9' to 'a'.
    let letters = ((x + 6 * ONES) >> 4) & ONES;
    (x + u64::from(b'0') * ONES + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_version_8_uuids() {
        let id = IdGenerator::new().next_id();
        let text = id.as_str();
        assert_eq!(text.len(), UUID_LEN);
        let dashes: Vec<_> = text.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert_eq!(&text[14..15], "8", "{text}");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
        assert!(RequestId::parse(id.header_value(), UUID_LEN).is_some());
    }

    #[test]
    fn ids_are_unique_within_and_across_generators() {
        let (a, b) = (IdGenerator::new(), IdGenerator::new());
        let ids: HashSet<String> = (0..50_000)
            .flat_map(|_| [a.next_id(), b.next_id()])
            .map(|id| id.as_str().to_owned())
            .collect();
        assert_eq!(ids.len(), 100_000);
    }

    #[test]
    fn threads_sharing_a_generator_never_get_the_same_id() {
        let generator = IdGenerator::new();
        let ids: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..10_000)
                            .map(|_| generator.next_id().as_str().to_owned())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap())
                .collect()
        });
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), 40_000);
    }

    #[test]
    fn the_counter_bijection_has_no_collision_on_a_dense_range() {
        let mixed: HashSet<u64> = (0..200_000).map(mix62).collect();
        assert_eq!(mixed.len(), 200_000);
        assert!(mixed.iter().all(|x| x & !LOW_62 == 0));
    }

    #[test]
    fn writes_hex_in_uuid_layout() {
        let mut out = [0; UUID_LEN];
        write_uuid(&mut out, 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        assert_eq!(&out, b"01234567-89ab-cdef-fedc-ba9876543210");
    }

    #[test]
    fn hex_digits_match_the_formatter() {
        for word in (0..=u32::MAX)
            .step_by(65_521)
            .chain([0x9abc_def0, u32::MAX])
        {
            assert_eq!(hex8(word), *format!("{word:08x}").as_bytes(), "{word:#x}");
        }
    }
}

//! Per-key write locks: a write applies to the cache and appends to the log under its key's
//! stripe, so the log orders each key's writes as the cache applied them; a snapshot takes every
//! stripe for the instant of its cut.

use parking_lot::{Mutex, MutexGuard};

/// A power of two, so a hash's top bits pick the stripe.
const STRIPES: usize = 256;

/// A fixed set of mutexes, one chosen per key by hash.
#[derive(Debug)]
pub(crate) struct Stripes {
    locks: Box<[Stripe]>,
}

/// One stripe's mutex, alone on its cache lines: writers of different keys on different cores
/// then never contend for a line.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(Mutex<()>);

impl Stripes {
    pub(crate) fn new() -> Self {
        Self {
            locks: (0..STRIPES).map(|_| Stripe::default()).collect(),
        }
    }

    /// Locks the stripe of `key`.
    pub(crate) fn lock(&self, key: &[u8]) -> MutexGuard<'_, ()> {
        self.locks[stripe_of(key)].0.lock()
    }

    /// Locks every stripe, in order, holding every writer out until the guards drop.
    pub(crate) fn lock_all(&self) -> Vec<MutexGuard<'_, ()>> {
        self.locks.iter().map(|stripe| stripe.0.lock()).collect()
    }
}

/// The stripe of `key`: the top bits of a multiplicative hash of its 8-byte words (the mixing of
/// rustc's FxHash). Only the spread of keys over stripes depends on it, never correctness.
fn stripe_of(key: &[u8]) -> usize {
    const SEED: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = key.len() as u64;
    for chunk in key.chunks(8) {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    (hash >> (u64::BITS - STRIPES.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_every_stripe() {
        let mut hits = [0_u32; STRIPES];
        for n in 0..STRIPES * 64 {
            hits[stripe_of(format!("order-{n}").as_bytes())] += 1;
        }
        assert!(hits.iter().all(|&count| count > 16), "{hits:?}");
    }
}

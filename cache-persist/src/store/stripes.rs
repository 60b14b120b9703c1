//! Per-key write locks: a write applies to the cache and appends to the log under its key's
//! stripe, so the log orders each key's writes as the cache applied them; a snapshot takes every
//! stripe for the instant of its cut.

use parking_lot::{Mutex, MutexGuard};

const STRIPES: usize = 256;

/// A fixed set of mutexes, one chosen per key by hash.
#[derive(Debug)]
pub(crate) struct Stripes {
    locks: Box<[Mutex<()>]>,
}

impl Stripes {
    pub(crate) fn new() -> Self {
        Self {
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    /// Locks the stripe of `key`.
    pub(crate) fn lock(&self, key: &[u8]) -> MutexGuard<'_, ()> {
        let index = crc32c::crc32c(key) as usize % STRIPES;
        self.locks[index].lock()
    }

    /// Locks every stripe, in order, holding every writer out until the guards drop.
    pub(crate) fn lock_all(&self) -> Vec<MutexGuard<'_, ()>> {
        self.locks.iter().map(Mutex::lock).collect()
    }
}

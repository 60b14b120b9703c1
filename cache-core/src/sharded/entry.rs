//! One cached entry: the key and value, their expiry, and the eviction policy's bookkeeping.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The deadline of an entry that never expires.
pub(crate) const NEVER: u64 = u64::MAX;

/// A slab index that points nowhere (the end of a queue).
pub(crate) const NIL: u32 = u32::MAX;

/// The highest access frequency S3-FIFO keeps track of: seven (three bits) keeps frequently read
/// entries in the main queue through more rounds than the paper's three, which raised the hit
/// ratio on both the Zipf and the OLTP replays.
const MAX_FREQUENCY: u8 = 7;

/// Which of the two S3-FIFO queues an entry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueId {
    /// New entries, on probation.
    Small,
    /// Entries that proved themselves, or that the ghost queue remembered.
    Main,
}

/// A resident entry. The atomics are written under the shard's read lock by readers.
///
/// Laid out in this order (`repr(C)`): what a read touches (the key, the value, the deadline, the
/// queue, in which the slab's `Option` keeps its tag, and the frequency) comes first, so that an
/// entry of small keys and values straddles two cache lines for a read less often.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Entry<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    /// Absolute deadline in clock nanoseconds, or [`NEVER`].
    pub(crate) expires_at: u64,
    pub(crate) queue: QueueId,
    frequency: AtomicU8,
    /// The low half of the key's hash (the high half picked the shard), which is all the table
    /// and the ghost queue use.
    pub(crate) hash: u32,
    /// A weigher gives `u32` weights; held as one to keep the entry small.
    weight: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Clock nanoseconds of the last read or write; maintained only under a time-to-idle.
    last_access: AtomicU64,
}

impl<K, V> Entry<K, V> {
    pub(crate) fn new(key: K, value: V, hash: u32, weight: u64, expires_at: u64, now: u64) -> Self {
        Self {
            key,
            value,
            hash,
            expires_at,
            last_access: AtomicU64::new(now),
            weight: narrow(weight),
            frequency: AtomicU8::new(0),
            queue: QueueId::Small,
            prev: NIL,
            next: NIL,
        }
    }

    /// Records a read: bumps the frequency (racy by design: a lost increment costs nothing) and
    /// skips the store once saturated, so hot entries do not bounce their cache line.
    #[inline]
    pub(crate) fn touch(&self) {
        let frequency = self.frequency.load(Ordering::Relaxed);
        if frequency < MAX_FREQUENCY {
            self.frequency.store(frequency + 1, Ordering::Relaxed);
        }
    }

    pub(crate) fn weight(&self) -> u64 {
        u64::from(self.weight)
    }

    pub(crate) fn set_weight(&mut self, weight: u64) {
        self.weight = narrow(weight);
    }

    pub(crate) fn frequency(&self) -> u8 {
        self.frequency.load(Ordering::Relaxed)
    }

    pub(crate) fn set_frequency(&self, frequency: u8) {
        self.frequency.store(frequency, Ordering::Relaxed);
    }

    pub(crate) fn record_access(&self, now: u64) {
        self.last_access.store(now, Ordering::Relaxed);
    }

    /// The instant this entry expires, given the cache's time-to-idle (or [`NEVER`]).
    #[inline]
    pub(crate) fn deadline(&self, time_to_idle: u64) -> u64 {
        if time_to_idle == NEVER {
            return self.expires_at;
        }
        let idle = self
            .last_access
            .load(Ordering::Relaxed)
            .saturating_add(time_to_idle);
        self.expires_at.min(idle)
    }

    #[inline]
    pub(crate) fn is_expired(&self, now: u64, time_to_idle: u64) -> bool {
        now >= self.deadline(time_to_idle)
    }

    /// Whether this entry needs the clock at all to be judged.
    #[inline]
    pub(crate) fn can_expire(&self, time_to_idle: u64) -> bool {
        self.expires_at != NEVER || time_to_idle != NEVER
    }
}

/// A weight, which a weigher gave as a `u32`. Inlined: every insert calls it, from code the
/// caller's crate instantiates.
#[inline]
fn narrow(weight: u64) -> u32 {
    u32::try_from(weight).expect("entry weights come from a u32 weigher")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_saturates() {
        let entry = Entry::new("k", 1, 0, 1, NEVER, 0);
        for _ in 0..10 {
            entry.touch();
        }
        assert_eq!(entry.frequency(), MAX_FREQUENCY);
        entry.set_frequency(0);
        assert_eq!(entry.frequency(), 0);
    }

    #[test]
    fn expiry_takes_the_earlier_of_ttl_and_idle() {
        let entry = Entry::new("k", 1, 0, 1, 100, 10);
        assert_eq!(entry.deadline(NEVER), 100);
        assert_eq!(entry.deadline(50), 60);
        assert!(!entry.is_expired(59, 50));
        assert!(entry.is_expired(60, 50));
        entry.record_access(80);
        assert_eq!(entry.deadline(50), 100);
        assert!(!Entry::new("k", 1, 0, 1, NEVER, 0).can_expire(NEVER));
    }
}

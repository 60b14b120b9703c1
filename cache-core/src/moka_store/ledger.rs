//! Capacity accounting for a bounded store: moka never evicts (it is built unbounded), so the
//! ledger counts the records moka holds and refuses the write that would go past the capacity.
//!
//! moka hides a record as soon as its TTL passes but reclaims it later, so the count includes
//! expired records until moka reclaims them. A write that finds no live record claims a slot
//! before it puts; when that put replaces a hidden expired record, moka reports the old record as
//! `Replaced`, and the ledger, knowing the put was counted as new, gives the double-counted slot
//! back. It knows by the record ids: the key is marked with the id of the claiming write until
//! that write settles, and a `Replaced` removal of a record other than the claiming one is the
//! hidden record going.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use moka::notification::RemovalCause;
use parking_lot::Mutex;

use super::record::Record;

#[derive(Debug)]
pub(super) struct Ledger {
    capacity: u64,
    records: AtomicU64,
    /// Keys whose current write claimed a slot, with the id of the record it puts.
    claiming: Mutex<HashMap<Bytes, u64>>,
}

impl Ledger {
    pub(super) fn new(capacity: u64) -> Self {
        Self {
            capacity,
            records: AtomicU64::new(0),
            claiming: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The records moka holds, expired ones not yet reclaimed included.
    pub(super) fn records(&self) -> u64 {
        self.records.load(Ordering::Acquire)
    }

    /// The slot a write of record `id` under `key` may claim; dropping it settles the write.
    pub(super) fn slot<'a>(&'a self, key: &'a Bytes, id: u64) -> Slot<'a> {
        Slot {
            ledger: self,
            key,
            id,
            claimed: AtomicBool::new(false),
        }
    }

    /// Takes a slot for the new record `id` under `key`; false when the store is full.
    fn claim(&self, key: &Bytes, id: u64) -> bool {
        let below = |records: u64| (records < self.capacity).then_some(records + 1);
        let claimed = self
            .records
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, below)
            .is_ok();
        if claimed {
            self.claiming.lock().insert(key.clone(), id);
        }
        claimed
    }

    /// The write of record `id` under `key` is over: its put, if any, has been applied.
    fn settle(&self, key: &Bytes, id: u64) {
        let mut claiming = self.claiming.lock();
        if claiming.get(key) == Some(&id) {
            claiming.remove(key);
        }
    }

    /// moka removed `old` from under `key`.
    pub(super) fn on_removal(&self, key: &Bytes, old: &Record, cause: RemovalCause) {
        let frees_a_slot = match cause {
            RemovalCause::Replaced => {
                let mut claiming = self.claiming.lock();
                let replaced_hidden = claiming.get(key).is_some_and(|&id| id != old.id);
                if replaced_hidden {
                    claiming.remove(key);
                }
                replaced_hidden
            }
            RemovalCause::Expired | RemovalCause::Explicit | RemovalCause::Size => true,
        };
        if frees_a_slot {
            self.records.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// One write's access to the ledger: it claims at most one slot, and is settled when dropped,
/// whether the write finished or was cancelled.
#[derive(Debug)]
pub(super) struct Slot<'a> {
    ledger: &'a Ledger,
    key: &'a Bytes,
    id: u64,
    claimed: AtomicBool,
}

impl Slot<'_> {
    /// The id of the record this write puts, if it puts one.
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// The capacity of the store.
    pub(super) fn capacity(&self) -> u64 {
        self.ledger.capacity
    }

    /// Takes a slot for this write's new record; false when the store is full.
    pub(super) fn claim(&self) -> bool {
        let claimed = self.ledger.claim(self.key, self.id);
        self.claimed.store(claimed, Ordering::Relaxed);
        claimed
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if *self.claimed.get_mut() {
            self.ledger.settle(self.key, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn record(id: u64) -> Record {
        Record {
            value: Bytes::new(),
            ttl: None::<Duration>,
            id,
        }
    }

    #[test]
    fn claims_stop_at_the_capacity() {
        let ledger = Ledger::new(2);
        let key = Bytes::from_static(b"k");
        assert!(ledger.claim(&key, 1));
        assert!(ledger.claim(&key, 2));
        assert!(!ledger.claim(&key, 3));
        assert_eq!(ledger.records(), 2);
    }

    #[test]
    fn removals_other_than_replacement_free_a_slot() {
        let ledger = Ledger::new(3);
        let key = Bytes::from_static(b"k");
        for id in 0..3 {
            assert!(ledger.claim(&key, id));
            ledger.settle(&key, id);
        }
        ledger.on_removal(&key, &record(0), RemovalCause::Expired);
        ledger.on_removal(&key, &record(1), RemovalCause::Explicit);
        assert_eq!(ledger.records(), 1);
    }

    #[test]
    fn replacing_a_live_record_keeps_the_count() {
        let ledger = Ledger::new(1);
        let key = Bytes::from_static(b"k");
        assert!(ledger.claim(&key, 1));
        ledger.settle(&key, 1);
        ledger.on_removal(&key, &record(1), RemovalCause::Replaced);
        assert_eq!(ledger.records(), 1);
    }

    #[test]
    fn a_claiming_put_over_a_hidden_expired_record_counts_once() {
        let ledger = Ledger::new(2);
        let key = Bytes::from_static(b"k");
        assert!(ledger.claim(&key, 1));
        ledger.settle(&key, 1);
        // Record 1 expired unreclaimed: the next write sees no record and claims a slot, and its
        // put replaces the hidden record.
        assert!(ledger.claim(&key, 2));
        ledger.on_removal(&key, &record(1), RemovalCause::Replaced);
        ledger.settle(&key, 2);
        assert_eq!(ledger.records(), 1, "the hidden record's slot came back");
    }

    #[test]
    fn a_later_write_replacing_the_claimed_record_is_not_mistaken_for_it() {
        let ledger = Ledger::new(2);
        let key = Bytes::from_static(b"k");
        assert!(ledger.claim(&key, 1));
        // The claiming write's put landed; before it settles, another write replaces record 1.
        ledger.on_removal(&key, &record(1), RemovalCause::Replaced);
        ledger.settle(&key, 1);
        assert_eq!(ledger.records(), 1);
    }
}

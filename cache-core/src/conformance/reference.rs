//! The suite checked against a plain reference store: the correct store passes every case, and
//! each deliberately broken variant fails the case that guards against its defect.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use super::{Backend, block_on};
use crate::{Clock, InputError, MockClock, Store, StoreError, StoreFuture, duration_nanos};

const MAX_KEY_SIZE: usize = 256;
const MAX_VALUE_SIZE: usize = 2 << 20;

/// A defect the reference store can be given.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    /// compare-and-set reads and writes under two separate locks.
    RacyCompareAndSet,
    /// insert-if-absent reads and writes under two separate locks.
    RacyInsertIfAbsent,
    /// Records never expire.
    IgnoresTtl,
    /// A full store drops a record to take a new one.
    EvictsWhenFull,
}

/// A mutex around a map, with deadlines on a mock clock.
#[derive(Debug)]
struct Reference {
    clock: MockClock,
    records: Mutex<HashMap<Bytes, (Bytes, Option<u64>)>>,
    capacity: Option<usize>,
    defect: Option<Defect>,
}

type Records = HashMap<Bytes, (Bytes, Option<u64>)>;

impl Reference {
    fn is_live(&self, deadline: Option<u64>, now: u64) -> bool {
        deadline.is_none_or(|at| at > now) || self.defect == Some(Defect::IgnoresTtl)
    }

    /// The live value under `key`, with the records locked and the time read.
    fn live<'r>(&self, records: &'r Records, key: &[u8], now: u64) -> Option<&'r Bytes> {
        let (value, deadline) = records.get(key)?;
        self.is_live(*deadline, now).then_some(value)
    }

    fn put(
        &self,
        records: &mut Records,
        key: &Bytes,
        value: Bytes,
        ttl: Option<Duration>,
        now: u64,
    ) -> Result<(), StoreError> {
        let deadline = ttl.map(|ttl| now.saturating_add(duration_nanos(ttl)));
        let full =
            |records: &Records, capacity| records.len() >= capacity && !records.contains_key(key);
        if let Some(capacity) = self.capacity.filter(|&capacity| full(records, capacity)) {
            // Expired records make room first.
            records.retain(|_, (_, at)| self.is_live(*at, now));
            if full(records, capacity) && self.defect != Some(Defect::EvictsWhenFull) {
                return Err(StoreError::CapacityExceeded {
                    capacity: capacity as u64,
                });
            }
            if full(records, capacity) {
                let victim = records
                    .keys()
                    .next()
                    .cloned()
                    .expect("a full store has records");
                records.remove(&victim);
            }
        }
        records.insert(key.clone(), (value, deadline));
        Ok(())
    }

    fn remove_if(&self, key: &Bytes, expected: Option<&[u8]>) -> Result<bool, StoreError> {
        check(key, None, None)?;
        let (mut records, now) = (self.records.lock(), self.clock.now());
        let live = self.live(&records, key, now);
        let matches = live.is_some_and(|live| expected.is_none_or(|expected| live == expected));
        Ok(matches && records.remove(key).is_some())
    }
}

fn check(key: &[u8], value: Option<&[u8]>, ttl: Option<Duration>) -> Result<(), InputError> {
    if key.len() > MAX_KEY_SIZE {
        return Err(InputError::KeyTooLarge {
            size: key.len(),
            limit: MAX_KEY_SIZE,
        });
    }
    if let Some(size) = value.map(<[u8]>::len).filter(|&size| size > MAX_VALUE_SIZE) {
        return Err(InputError::ValueTooLarge {
            size,
            limit: MAX_VALUE_SIZE,
        });
    }
    match ttl {
        Some(ttl) if ttl.is_zero() => Err(InputError::ZeroTtl),
        _ => Ok(()),
    }
}

impl Store for Reference {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            check(key, None, None)?;
            Ok(self
                .live(&self.records.lock(), key, self.clock.now())
                .cloned())
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            check(key, Some(&value), ttl)?;
            self.put(&mut self.records.lock(), key, value, ttl, self.clock.now())
        })
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.remove_if(key, None) })
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            check(key, Some(&value), ttl)?;
            let (mut records, now) = (self.records.lock(), self.clock.now());
            if let Some(existing) = self.live(&records, key, now) {
                return Ok(Some(existing.clone()));
            }
            if self.defect == Some(Defect::RacyInsertIfAbsent) {
                drop(records);
                std::thread::yield_now();
                records = self.records.lock();
            }
            self.put(&mut records, key, value, ttl, now).map(|()| None)
        })
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            check(key, Some(&new), ttl)?;
            let mut records = self.records.lock();
            if self
                .live(&records, key, self.clock.now())
                .is_none_or(|live| live != expected)
            {
                return Ok(false);
            }
            if self.defect == Some(Defect::RacyCompareAndSet) {
                drop(records);
                std::thread::yield_now();
                records = self.records.lock();
            }
            self.put(&mut records, key, new, ttl, self.clock.now())
                .map(|()| true)
        })
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.remove_if(key, Some(expected)) })
    }
}

fn reference(capacity: Option<usize>, defect: Option<Defect>) -> Backend {
    let clock = MockClock::new();
    let store = Reference {
        clock: clock.clone(),
        records: Mutex::new(HashMap::new()),
        capacity,
        defect,
    };
    let backend = Backend::new(Arc::new(store), clock)
        .max_key_size(MAX_KEY_SIZE)
        .max_value_size(MAX_VALUE_SIZE);
    match capacity {
        Some(capacity) => backend.max_capacity(capacity as u64),
        None => backend,
    }
}

mod correct {
    crate::store_conformance!(
        async { super::reference(None, None) },
        capacity: async { super::reference(Some(50), None) },
    );
}

#[test]
#[should_panic(expected = "contenders succeeded, expected exactly one")]
fn a_racy_compare_and_set_is_caught() {
    block_on(super::compare_and_set_has_one_winner(&reference(
        None,
        Some(Defect::RacyCompareAndSet),
    )));
}

#[test]
#[should_panic(expected = "increments were lost")]
fn a_racy_compare_and_set_loses_updates() {
    block_on(super::compare_and_set_loses_no_update(&reference(
        None,
        Some(Defect::RacyCompareAndSet),
    )));
}

#[test]
#[should_panic(expected = "read after its TTL")]
fn a_store_ignoring_ttls_is_caught() {
    block_on(super::expired_record_is_never_returned(&reference(
        None,
        Some(Defect::IgnoresTtl),
    )));
}

#[test]
#[should_panic(expected = "expected CapacityExceeded")]
fn an_evicting_store_is_caught() {
    block_on(super::full_store_refuses_new_records(&reference(
        Some(50),
        Some(Defect::EvictsWhenFull),
    )));
}

#[test]
#[should_panic(expected = "round")]
fn a_racy_insert_if_absent_is_caught() {
    let backend = reference(None, Some(Defect::RacyInsertIfAbsent));
    block_on(super::insert_if_absent_has_one_winner(&backend));
}

#[test]
#[should_panic(expected = "the set was lost to the swap")]
fn a_racy_compare_and_set_overwrites_a_racing_set() {
    let backend = reference(None, Some(Defect::RacyCompareAndSet));
    block_on(super::set_is_never_lost_to_a_racing_compare_and_set(
        &backend,
    ));
}

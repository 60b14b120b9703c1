//! One shard: a hash table of slab indexes, the entries, and the S3-FIFO queues, all behind the
//! shard's lock. Reads take `&self`; writes take `&mut self`.

#![allow(unsafe_code)]

use std::borrow::Borrow;

use hashbrown::HashTable;

use super::context::{Now, WriteContext};
use super::entry::{Entry, NEVER, QueueId};
use super::ghost::Ghost;
use super::listener::{RemovalCause, Removals};
use super::queue::Fifo;
use super::slab::Slab;
use super::stats::{ReadCounters, WriteCounters};
use super::target::SmallTarget;

/// A write refused because the shared capacity is used up by live entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// A value on its way into a shard, with what the cache worked out for it.
#[derive(Debug)]
pub(crate) struct Incoming<K, V> {
    pub(crate) hash: u64,
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) weight: u64,
    /// In clock nanoseconds, or `NEVER`.
    pub(crate) expires_at: u64,
}

/// A hash table slot: an entry's slab index and the low half of its hash. The table hashes on
/// that half alone ([`Slot::table_hash`]), so growing the table rehashes without reading a single
/// entry, and a lookup compares it before it reads the entry's key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    index: u32,
    hash: u32,
}

impl Slot {
    /// The low half of `hash`: the shard was picked by the high half.
    #[inline]
    fn short(hash: u64) -> u32 {
        hash as u32
    }

    /// What the table hashes a slot by: the short hash spread over 64 bits, so that the table's
    /// control bytes (taken from the top bits) vary with every bit of it.
    #[inline]
    fn table_hash(short: u32) -> u64 {
        u64::from(short).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// The state behind one shard lock.
///
/// Laid out in this order (`repr(C)`) for the caches: behind the 8-byte lock word, the table and
/// the slab's entries fill the rest of the first line, so that a read finds its entry from one
/// line and counts itself on the next, where the fields every write needs follow.
///
/// # Invariant
///
/// The slab is accessed without checks (see [`super::slab`]) on the strength of this: every index
/// in the table is live, and so is every member of the two queues; a live entry is in the table
/// once and in the queue its `queue` field names. An entry enters all three in `insert_new` and
/// leaves all three in `detach`, before the slab frees it; no other code keeps an index across a
/// removal.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Shard<K, V> {
    pub(super) table: HashTable<Slot>,
    pub(super) slab: Slab<K, V>,
    pub(crate) reads: ReadCounters,
    /// Total weight of the resident entries.
    pub(crate) weight: u64,
    /// This shard's slice of the capacity (used when evicting).
    pub(crate) capacity: u64,
    pub(super) small: Fifo,
    pub(super) main: Fifo,
    /// The weight the small queue may hold before it gives up its oldest entries.
    pub(super) small_target: SmallTarget,
    /// Resident entries with a time-to-live.
    pub(super) expiring: usize,
    /// A lower bound on the deadlines of the resident entries: until then, nothing can have
    /// expired and the amortized sweep has nothing to do.
    pub(super) earliest_deadline: u64,
    pub(super) ghost: Ghost,
    pub(crate) counters: WriteCounters,
    /// The earliest deadline seen since the sweep cursor last wrapped around.
    pub(super) pass_earliest: u64,
    pub(super) sweep_cursor: u32,
}

impl<K, V> Shard<K, V>
where
    K: Eq + Clone,
    V: Clone,
{
    /// A shard holding `capacity`; only an evicting shard needs a ghost queue that large.
    pub(crate) fn new(capacity: u64, evicting: bool) -> Self {
        Self {
            table: HashTable::new(),
            slab: Slab::new(),
            reads: ReadCounters::default(),
            small: Fifo::new(QueueId::Small),
            main: Fifo::new(QueueId::Main),
            ghost: Ghost::new(if evicting { capacity } else { 0 }),
            small_target: SmallTarget::new(capacity),
            weight: 0,
            capacity,
            expiring: 0,
            sweep_cursor: 0,
            earliest_deadline: NEVER,
            pass_earliest: NEVER,
            counters: WriteCounters::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Reads and writes this shard has served, for its share of the cache's operations.
    pub(crate) fn operations(&self) -> u64 {
        self.reads.hits() + self.reads.misses() + self.counters.writes
    }

    #[inline]
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let short = Slot::short(hash);
        self.table
            .find(Slot::table_hash(short), |slot| {
                // SAFETY: the table holds live indexes (the invariant).
                slot.hash == short && unsafe { self.slab.get(slot.index) }.key.borrow() == key
            })
            .map(|slot| slot.index)
    }

    /// The live entry under `key`, recording the access. Runs under the read lock.
    #[inline]
    pub(crate) fn get<Q>(&self, hash: u64, key: &Q, now: &Now<'_>, time_to_idle: u64) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(hash, key)?;
        // SAFETY: `find` answers with an index from the table.
        let entry = unsafe { self.slab.get(index) };
        if entry.can_expire(time_to_idle) {
            let now = now.get();
            if entry.is_expired(now, time_to_idle) {
                return None;
            }
            if time_to_idle != NEVER {
                entry.record_access(now);
            }
        }
        entry.touch();
        Some(&entry.value)
    }

    /// The live value under `key`, without recording an access.
    pub(crate) fn peek<Q>(&self, hash: u64, key: &Q, now: &Now<'_>, time_to_idle: u64) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(hash, key)?;
        // SAFETY: `find` answers with an index from the table.
        let entry = unsafe { self.slab.get(index) };
        let expired = entry.can_expire(time_to_idle) && entry.is_expired(now.get(), time_to_idle);
        (!expired).then_some(&entry.value)
    }

    /// The index of the live entry under `key`; an expired one found there is reclaimed.
    #[inline]
    pub(super) fn live_index<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(hash, key)?;
        // SAFETY: `find` answers with an index from the table.
        let entry = unsafe { self.slab.get(index) };
        if entry.can_expire(ctx.time_to_idle) && entry.is_expired(ctx.now.get(), ctx.time_to_idle) {
            // SAFETY: as above.
            unsafe { self.remove_index(index, RemovalCause::Expired, ctx, out) };
            return None;
        }
        Some(index)
    }

    /// Unlinks the entry at `index` from every structure and returns its capacity.
    ///
    /// # Safety
    /// `index` is live.
    unsafe fn detach(&mut self, index: u32, ctx: &WriteContext<'_>) -> Entry<K, V> {
        let (hash, queue) = {
            // SAFETY: `index` is live (the caller's promise).
            let entry = unsafe { self.slab.get(index) };
            (entry.hash, entry.queue)
        };
        // SAFETY: a live entry is a member of the queue it names, whose members are live.
        unsafe {
            match queue {
                QueueId::Small => self.small.unlink(&mut self.slab, index),
                QueueId::Main => self.main.unlink(&mut self.slab, index),
            }
        }
        let table_hash = Slot::table_hash(hash);
        if let Ok(found) = self
            .table
            .find_entry(table_hash, |slot| slot.index == index)
        {
            found.remove();
        }
        // SAFETY: live until here, and now in neither the table nor a queue.
        let entry = unsafe { self.slab.remove(index) };
        self.weight -= entry.weight();
        if entry.expires_at != NEVER {
            self.expiring -= 1;
        }
        ctx.budget.release(entry.weight());
        entry
    }

    /// Removes the entry at `index` and counts it (keeping it in `out` for the listener).
    ///
    /// # Safety
    /// `index` is live.
    pub(super) unsafe fn remove_index(
        &mut self,
        index: u32,
        cause: RemovalCause,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> V {
        // SAFETY: `index` is live (the caller's promise).
        let entry = unsafe { self.detach(index, ctx) };
        self.counters.removals.record(cause);
        if out.wants() {
            out.push(entry.key, entry.value.clone(), cause);
        }
        entry.value
    }

    /// Stores the incoming value, replacing a live one; `Err(Full)` only when rejecting.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        new: Incoming<K, V>,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Result<(), Full> {
        self.begin_write(ctx, out);
        match self.live_index(new.hash, &new.key, ctx, out) {
            Some(index) => {
                // SAFETY: `live_index` answers with an index from the table.
                unsafe {
                    if !self.reserve_growth(index, new.weight, ctx) {
                        return Err(Full);
                    }
                    self.replace_at(index, new.value, new.weight, new.expires_at, ctx, out);
                }
                Ok(())
            }
            None => self.insert_new(new, ctx, out),
        }
    }

    /// Stores the incoming value only when no live entry exists; returns the live value
    /// otherwise.
    pub(crate) fn insert_if_absent(
        &mut self,
        new: Incoming<K, V>,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Result<Option<V>, Full> {
        self.begin_write(ctx, out);
        match self.live_index(new.hash, &new.key, ctx, out) {
            Some(index) => {
                // SAFETY: `live_index` answers with an index from the table.
                let entry = unsafe { self.slab.get(index) };
                entry.touch();
                if ctx.time_to_idle != NEVER {
                    entry.record_access(ctx.now.get());
                }
                Ok(Some(entry.value.clone()))
            }
            None => self.insert_new(new, ctx, out).map(|()| None),
        }
    }

    /// Replaces the live value under `key` when `matches` accepts it; true when it did. A
    /// replacement that does not fit hands the value back.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replace_if<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        matches: impl FnOnce(&V) -> bool,
        value: V,
        weigh: impl FnOnce(&K, &V) -> u64,
        expires_at: u64,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Result<bool, V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.begin_write(ctx, out);
        let Some(index) = self.live_index(hash, key, ctx, out) else {
            return Ok(false);
        };
        // SAFETY: `live_index` answers with an index from the table.
        unsafe {
            let entry = self.slab.get(index);
            if !matches(&entry.value) {
                return Ok(false);
            }
            let weight = weigh(&entry.key, &value);
            if !self.reserve_growth(index, weight, ctx) {
                return Err(value);
            }
            self.replace_at(index, value, weight, expires_at, ctx, out);
        }
        Ok(true)
    }

    /// Removes the live entry under `key` when `matches` accepts its value.
    pub(crate) fn remove_if<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        matches: impl FnOnce(&V) -> bool,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.begin_write(ctx, out);
        let index = self.live_index(hash, key, ctx, out)?;
        // SAFETY: `live_index` answers with an index from the table.
        unsafe {
            matches(&self.slab.get(index).value)
                .then(|| self.remove_index(index, RemovalCause::Removed, ctx, out))
        }
    }

    fn begin_write(&mut self, ctx: &WriteContext<'_>, out: &mut Removals<K, V>) {
        self.counters.writes += 1;
        self.sweep_step(ctx, out);
    }

    #[inline]
    fn insert_new(
        &mut self,
        new: Incoming<K, V>,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) -> Result<(), Full> {
        let Incoming {
            hash,
            key,
            value,
            weight,
            expires_at,
        } = new;
        // Asked before making room, which may evict and overwrite the ghost slot of this hash.
        let short = Slot::short(hash);
        let returned = self.ghost.take(short);
        if let Some(origin) = returned {
            let remembered = self.ghost.remembered();
            self.small_target
                .key_returned(origin, weight, remembered, self.capacity);
        }
        if !self.charge(weight, ctx, out)? {
            self.counters.inserts += 1;
            self.counters.removals.record(RemovalCause::Size);
            out.push(key, value, RemovalCause::Size);
            return Ok(());
        }
        let now = if ctx.time_to_idle == NEVER {
            0
        } else {
            ctx.now.get()
        };
        let entry = Entry::new(key, value, short, weight, expires_at, now);
        self.note_deadline(entry.deadline(ctx.time_to_idle));
        let index = self.slab.insert(entry);
        self.table.insert_unique(
            Slot::table_hash(short),
            Slot { index, hash: short },
            |slot| Slot::table_hash(slot.hash),
        );
        let filling = self.weight + weight <= self.capacity.saturating_sub(self.small_target.get());
        // SAFETY: `index` was just inserted, into the table and no queue; queue members are live.
        unsafe {
            if returned.is_some() || filling {
                self.main.push_back(&mut self.slab, index);
            } else {
                self.small.push_back(&mut self.slab, index);
            }
        }
        self.weight += weight;
        if expires_at != NEVER {
            self.expiring += 1;
        }
        self.counters.inserts += 1;
        Ok(())
    }

    /// Replaces the value of the entry at `index`; any growth in weight is already reserved.
    ///
    /// # Safety
    /// `index` is live.
    unsafe fn replace_at(
        &mut self,
        index: u32,
        value: V,
        weight: u64,
        expires_at: u64,
        ctx: &WriteContext<'_>,
        out: &mut Removals<K, V>,
    ) {
        // SAFETY: `index` is live (the caller's promise), here and below.
        let (old_weight, queue) = unsafe {
            let entry = self.slab.get(index);
            (entry.weight(), entry.queue)
        };
        if weight < old_weight {
            ctx.budget.release(old_weight - weight);
        }
        let queue = match queue {
            QueueId::Small => &mut self.small,
            QueueId::Main => &mut self.main,
        };
        queue.weight = queue.weight - old_weight + weight;
        self.weight = self.weight - old_weight + weight;
        // SAFETY: as above.
        let entry = unsafe { self.slab.get_mut(index) };
        let had_ttl = entry.expires_at != NEVER;
        entry.set_weight(weight);
        entry.expires_at = expires_at;
        if ctx.time_to_idle != NEVER {
            entry.record_access(ctx.now.get());
        }
        entry.touch();
        let deadline = entry.deadline(ctx.time_to_idle);
        let old = std::mem::replace(&mut entry.value, value);
        if out.wants() {
            out.push(entry.key.clone(), old, RemovalCause::Replaced);
        }
        self.counters.removals.record(RemovalCause::Replaced);
        self.note_deadline(deadline);
        match (had_ttl, expires_at != NEVER) {
            (false, true) => self.expiring += 1,
            (true, false) => self.expiring -= 1,
            _ => {}
        }
        self.counters.inserts += 1;
        self.shed_overflow(ctx, out);
    }

    /// Reserves what replacing the entry at `index` by one of `weight` adds to the capacity.
    ///
    /// # Safety
    /// `index` is live.
    unsafe fn reserve_growth(&self, index: u32, weight: u64, ctx: &WriteContext<'_>) -> bool {
        // SAFETY: `index` is live (the caller's promise).
        let old_weight = unsafe { self.slab.get(index) }.weight();
        weight <= old_weight || self.reserve(weight - old_weight, ctx)
    }

    /// Every live entry, cloned, with its deadline.
    pub(crate) fn live_entries(&self, now: u64, time_to_idle: u64) -> Vec<(K, V, u64)> {
        self.slab
            .iter()
            .map(|(_, entry)| entry)
            .filter(|entry| {
                !(entry.can_expire(time_to_idle) && entry.is_expired(now, time_to_idle))
            })
            .map(|entry| {
                (
                    entry.key.clone(),
                    entry.value.clone(),
                    entry.deadline(time_to_idle),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockClock;
    use crate::sharded::context::Budget;

    fn incoming<K, V>(hash: u64, key: K, value: V, weight: u64, expires_at: u64) -> Incoming<K, V> {
        Incoming {
            hash,
            key,
            value,
            weight,
            expires_at,
        }
    }

    fn context(clock: &MockClock) -> WriteContext<'_> {
        WriteContext {
            now: Now::new(clock),
            time_to_idle: NEVER,
            budget: Budget::Evict,
        }
    }

    #[test]
    fn weights_follow_inserts_replacements_and_removals() {
        let clock = MockClock::new();
        let ctx = context(&clock);
        let mut out = Removals::new(true);
        let mut shard: Shard<&str, u32> = Shard::new(100, true);
        shard
            .insert(incoming(1, "a", 1, 10, NEVER), &ctx, &mut out)
            .unwrap();
        shard
            .insert(incoming(2, "b", 2, 20, 50), &ctx, &mut out)
            .unwrap();
        assert_eq!((shard.len(), shard.weight, shard.expiring), (2, 30, 1));
        shard
            .insert(incoming(2, "b", 3, 5, NEVER), &ctx, &mut out)
            .unwrap();
        assert_eq!((shard.len(), shard.weight, shard.expiring), (2, 15, 0));
        assert_eq!(
            shard.remove_if(1, "a", |&v| v == 1, &ctx, &mut out),
            Some(1)
        );
        assert_eq!(shard.weight, 5);
        assert_eq!(shard.counters.inserts, 3);
        assert_eq!(
            out.items,
            [
                ("b", 2, RemovalCause::Replaced),
                ("a", 1, RemovalCause::Removed)
            ]
        );
    }

    #[test]
    fn a_write_reclaims_the_expired_entry_it_meets() {
        let clock = MockClock::new();
        let mut out = Removals::new(false);
        let mut shard: Shard<&str, u32> = Shard::new(100, true);
        shard
            .insert(incoming(1, "a", 1, 1, 10), &context(&clock), &mut out)
            .unwrap();
        clock.advance(std::time::Duration::from_nanos(10));
        let ctx = context(&clock);
        assert!(shard.get(1, "a", &ctx.now, NEVER).is_none());
        assert_eq!(
            shard.insert_if_absent(incoming(1, "a", 2, 1, NEVER), &ctx, &mut out),
            Ok(None)
        );
        assert_eq!(shard.counters.removals.expired, 1);
        assert_eq!(shard.get(1, "a", &ctx.now, NEVER), Some(&2));
        assert_eq!(shard.peek(1, "a", &ctx.now, NEVER), Some(&2));
    }

    #[test]
    fn a_rejecting_shard_is_refused_beyond_the_shared_budget() {
        let clock = MockClock::new();
        let used = std::sync::atomic::AtomicU64::new(0);
        let ctx = WriteContext {
            now: Now::new(&clock),
            time_to_idle: NEVER,
            budget: Budget::Reject {
                used: &used,
                capacity: 2,
            },
        };
        let mut out = Removals::new(false);
        let mut shard: Shard<u32, u32> = Shard::new(2, false);
        for key in 1..=2 {
            let new = incoming(u64::from(key), key, key, 1, NEVER);
            assert_eq!(shard.insert(new, &ctx, &mut out), Ok(()));
        }
        let new = incoming(3, 3, 3, 1, NEVER);
        assert_eq!(shard.insert(new, &ctx, &mut out), Err(Full));
        assert_eq!(
            shard.replace_if(2, &2, |_| true, 9, |_, _| 2, NEVER, &ctx, &mut out),
            Err(9)
        );
        assert_eq!(shard.len(), 2);
    }
}

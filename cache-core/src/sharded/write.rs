//! Writes: insert in its forms and remove, and the plumbing every write shares (the lock, the
//! context, the listener, room in a rejecting cache).

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::context::{Budget, Now, WriteContext};
use super::entry::{Entry, NEVER};
use super::instrument::Op;
use super::listener::Removals;
use super::shard::{Full, Incoming, Shard};
use super::{CapacityExceeded, EvictionMode, ShardedCache};
use crate::duration_nanos;

/// Every 2^12th write of a shard triggers a (rate-limited) hot-shard check.
const HOT_CHECK_WRITES_MASK: u64 = (1 << 12) - 1;

/// How long a written entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// The cache's default time-to-live, if it has one.
    Default,
    /// This long from now.
    For(Duration),
    /// Until this deadline in clock nanoseconds (`NEVER` for ever).
    Until(u64),
}

impl Lifetime {
    /// `Some(ttl)` lives for `ttl`, `None` takes the cache's default.
    pub(crate) fn from_ttl(ttl: Option<Duration>) -> Self {
        ttl.map_or(Lifetime::Default, Lifetime::For)
    }
}

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// Stores `value` under `key` with the default time-to-live, replacing any previous value.
    ///
    /// An evicting cache makes room by evicting; a rejecting one drops a write that does not fit
    /// (use [`ShardedCache::try_insert`] to learn about it).
    pub fn insert(&self, key: K, value: V) {
        let _ = self.write(key, value, Lifetime::Default);
    }

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    pub fn insert_with_ttl(&self, key: K, value: V, ttl: Duration) {
        let _ = self.write(key, value, Lifetime::For(ttl));
    }

    /// Stores `value` under `key` for `ttl` (`None`: the default time-to-live), failing only when a
    /// rejecting cache is full of live entries.
    pub fn try_insert(
        &self,
        key: K,
        value: V,
        ttl: Option<Duration>,
    ) -> Result<(), CapacityExceeded> {
        self.write(key, value, Lifetime::from_ttl(ttl))
    }

    /// Stores `value` under `key` until the absolute deadline `expires_at`, in nanoseconds of
    /// [`ShardedCache::clock`] (`None`: never expires). For restoring entries from a snapshot.
    pub fn insert_expiring_at(
        &self,
        key: K,
        value: V,
        expires_at: Option<u64>,
    ) -> Result<(), CapacityExceeded> {
        self.write(key, value, Lifetime::Until(expires_at.unwrap_or(NEVER)))
    }

    /// Removes the entry under `key`, returning its value if it was live.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let _timer = self.inner.time(Op::Remove);
        let hash = self.hash(key);
        let ctx = self.context();
        self.locked(self.shard_index(hash), &ctx, |shard, ctx, out| {
            shard.remove_if(hash, key, |_| true, ctx, out)
        })
    }

    pub(crate) fn write(
        &self,
        key: K,
        value: V,
        lifetime: Lifetime,
    ) -> Result<(), CapacityExceeded> {
        let _timer = self.inner.time(Op::Insert);
        let ctx = self.context();
        let new = self.incoming(key, value, lifetime, &ctx);
        let (index, expires_at) = (self.shard_index(new.hash), new.expires_at);
        self.locked(index, &ctx, |shard, ctx, out| shard.insert(new, ctx, out))
            .map_err(|Full| self.full())?;
        self.note_deadline(expires_at, &ctx);
        Ok(())
    }

    /// What `key` and `value` take into their shard: their hash, weight and deadline. A
    /// rejecting cache makes room for them first.
    pub(crate) fn incoming(
        &self,
        key: K,
        value: V,
        lifetime: Lifetime,
        ctx: &WriteContext<'_>,
    ) -> Incoming<K, V> {
        let weight = self.weigh(&key, &value);
        let expires_at = self.deadline(lifetime, &ctx.now);
        self.make_room_for(weight, ctx);
        Incoming {
            hash: self.hash(&key),
            key,
            value,
            weight,
            expires_at,
        }
    }

    pub(crate) fn context(&self) -> WriteContext<'_> {
        let budget = match self.inner.mode {
            EvictionMode::Evict => Budget::Evict,
            EvictionMode::Reject => Budget::Reject {
                used: &self.inner.used,
                capacity: self.inner.capacity.load(Ordering::Acquire),
            },
        };
        WriteContext {
            now: Now::new(&self.inner.clock),
            time_to_idle: self.inner.time_to_idle,
            budget,
        }
    }

    pub(crate) fn full(&self) -> CapacityExceeded {
        CapacityExceeded {
            capacity: self.capacity(),
        }
    }

    pub(crate) fn deadline(&self, lifetime: Lifetime, now: &Now<'_>) -> u64 {
        let ttl = match lifetime {
            Lifetime::Until(deadline) => return deadline,
            Lifetime::For(ttl) => ttl,
            Lifetime::Default => match self.inner.default_ttl {
                Some(ttl) => ttl,
                None => return NEVER,
            },
        };
        now.get().saturating_add(duration_nanos(ttl)).min(NEVER - 1)
    }

    /// An entry's weight: the weigher's answer, at least 1, so that every entry counts.
    pub(crate) fn weigh(&self, key: &K, value: &V) -> u64 {
        self.inner
            .weigher
            .as_ref()
            .map_or(1, |weigher| u64::from(weigher(key, value).max(1)))
    }

    /// Runs `op` on shard `index` under its write lock, then tells the listener and the metrics
    /// what left, outside the lock.
    pub(crate) fn locked<R>(
        &self,
        index: usize,
        ctx: &WriteContext<'_>,
        op: impl FnOnce(&mut Shard<K, V>, &WriteContext<'_>, &mut Removals<K, V>) -> R,
    ) -> R {
        let cell = &self.inner.shards[index];
        let mut out = Removals::new(self.inner.listener.is_some());
        let (result, writes, entries_delta, removals) = {
            let mut shard = self.inner.instruments.write(&cell.lock, &self.inner.clock);
            // Only the metrics read these differences; without them the compiler drops them.
            let (entries, removed) = (shard.len(), shard.counters.removals);
            let result = op(&mut shard, ctx, &mut out);
            let delta = shard.len() as i64 - entries as i64;
            let removals = shard.counters.removals.since(&removed);
            (result, shard.counters.writes, delta, removals)
        };
        self.inner
            .instruments
            .write_effect(entries_delta, size_of::<Entry<K, V>>() + 8, &removals);
        if let Some(listener) = &self.inner.listener {
            listener.notify(std::mem::take(&mut out.items));
        }
        if writes & HOT_CHECK_WRITES_MASK == HOT_CHECK_WRITES_MASK {
            self.check_hot_shards();
        }
        result
    }

    /// Before a rejecting write that would not fit, reclaims the expired entries of every shard
    /// (only when one may have expired: the cache keeps a lower bound on its deadlines).
    pub(crate) fn make_room_for(&self, weight: u64, ctx: &WriteContext<'_>) {
        if let Budget::Reject { used, capacity } = ctx.budget
            && used.load(Ordering::Acquire).saturating_add(weight) > capacity
            && ctx.now.get() >= self.inner.earliest_expiry.load(Ordering::Acquire)
        {
            self.sweep_all(ctx);
        }
    }

    /// Reclaims the expired entries of every shard; returns how many.
    pub(crate) fn sweep_all(&self, ctx: &WriteContext<'_>) -> usize {
        self.inner.earliest_expiry.store(NEVER, Ordering::Release);
        (0..self.inner.shards.len())
            .map(|index| {
                let swept = self.locked(index, ctx, Shard::sweep_expired);
                self.inner
                    .earliest_expiry
                    .fetch_min(swept.earliest, Ordering::AcqRel);
                swept.removed
            })
            .sum()
    }

    /// Keeps the lower bound on deadlines that [`Self::make_room_for`] relies on.
    pub(crate) fn note_deadline(&self, expires_at: u64, ctx: &WriteContext<'_>) {
        if !matches!(ctx.budget, Budget::Reject { .. }) {
            return;
        }
        let deadline = if ctx.time_to_idle == NEVER {
            expires_at
        } else {
            expires_at.min(ctx.now.get().saturating_add(ctx.time_to_idle))
        };
        if deadline < self.inner.earliest_expiry.load(Ordering::Relaxed) {
            self.inner
                .earliest_expiry
                .fetch_min(deadline, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::{MockClock, RemovalCause, ShardedCache};

    fn cache_with_clock(clock: &MockClock) -> ShardedCache<u32, u32> {
        ShardedCache::builder()
            .max_capacity(100)
            .clock(clock.clone())
            .build()
    }

    #[test]
    fn insert_replaces_and_remove_returns_the_live_value() {
        let cache = ShardedCache::new(100);
        cache.insert("k", 1);
        cache.insert("k", 2);
        assert_eq!(cache.get("k"), Some(2));
        assert_eq!(cache.remove("k"), Some(2));
        assert_eq!(cache.remove("k"), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn per_entry_ttl_beats_the_default() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .time_to_live(Duration::from_secs(10))
            .clock(clock.clone())
            .build();
        cache.insert(1, 1);
        cache.insert_with_ttl(2, 2, Duration::from_secs(1));
        cache
            .try_insert(3, 3, Some(Duration::from_secs(100)))
            .unwrap();
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get(&2), None, "expires exactly at its deadline");
        assert_eq!(cache.get(&1), Some(1));
        clock.advance(Duration::from_secs(9));
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&3), Some(3));
    }

    #[test]
    fn time_to_idle_is_extended_by_reads() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .time_to_idle(Duration::from_secs(5))
            .clock(clock.clone())
            .build();
        cache.insert(1, 1);
        for _ in 0..3 {
            clock.advance(Duration::from_secs(4));
            assert_eq!(cache.get(&1), Some(1), "each read restarts the idle time");
        }
        clock.advance(Duration::from_secs(5));
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn absolute_deadlines_are_kept() {
        let clock = MockClock::new();
        let cache = cache_with_clock(&clock);
        cache.insert_expiring_at(1, 1, Some(2_000)).unwrap();
        cache.insert_expiring_at(2, 2, None).unwrap();
        clock.advance(Duration::from_nanos(1_999));
        assert_eq!(cache.get(&1), Some(1));
        clock.advance(Duration::from_nanos(1));
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&2), Some(2));
    }

    #[test]
    fn writes_sweep_expired_entries_nobody_reads() {
        let clock = MockClock::new();
        let removed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&removed);
        let cache: ShardedCache<u32, u32> = ShardedCache::builder()
            .shards(1)
            .max_capacity(1_000)
            .clock(clock.clone())
            .eviction_listener(move |key, _, cause| seen.lock().unwrap().push((*key, cause)))
            .build();
        for key in 0..50 {
            cache.insert_with_ttl(key, key, Duration::from_secs(1));
        }
        clock.advance(Duration::from_secs(2));
        for key in 100..120 {
            cache.insert(key, key);
        }
        assert_eq!(
            cache.len(),
            20,
            "20 writes x 4 slots swept all 50 expired entries"
        );
        let removed = removed.lock().unwrap();
        assert_eq!(removed.len(), 50);
        assert!(
            removed
                .iter()
                .all(|&(_, cause)| cause == RemovalCause::Expired)
        );
        assert_eq!(cache.stats().expirations(), 50);
    }

    #[test]
    fn listener_hears_replacements_and_removals() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let cache: ShardedCache<&str, u32> = ShardedCache::builder()
            .eviction_listener(move |key, value, cause| {
                seen.lock().unwrap().push((*key, *value, cause))
            })
            .build();
        cache.insert("a", 1);
        cache.insert("a", 2);
        cache.remove("a");
        assert_eq!(
            *events.lock().unwrap(),
            [
                ("a", 1, RemovalCause::Replaced),
                ("a", 2, RemovalCause::Removed)
            ]
        );
    }

    #[test]
    fn the_listener_may_call_back_into_the_cache() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(10);
        let handle = cache.clone();
        let reentrant: ShardedCache<u32, u32> = ShardedCache::builder()
            .eviction_listener(move |key, value, _| handle.insert(*key, *value))
            .build();
        reentrant.insert(1, 1);
        reentrant.remove(&1);
        assert_eq!(cache.get(&1), Some(1));
    }
}

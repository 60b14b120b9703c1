//! The atomic primitives a `Store` needs, atomic per key because each runs under its shard's
//! write lock: insert-if-absent, compare-and-set, compare-and-remove.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

use super::instrument::Op;
use super::shard::Full;
use super::write::Lifetime;
use super::{CapacityExceeded, ShardedCache};

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// Stores `value` only when no live entry exists under `key`, for `ttl` (`None`: the default
    /// time-to-live). Returns `None` when it stored, or the live value that prevented it.
    ///
    /// ```
    /// use cache_core::ShardedCache;
    ///
    /// let cache: ShardedCache<&str, u32> = ShardedCache::new(100);
    /// assert_eq!(cache.insert_if_absent("k", 1, None), Ok(None));
    /// assert_eq!(cache.insert_if_absent("k", 2, None), Ok(Some(1)));
    /// ```
    pub fn insert_if_absent(
        &self,
        key: K,
        value: V,
        ttl: Option<Duration>,
    ) -> Result<Option<V>, CapacityExceeded> {
        self.insert_if_absent_for(key, value, Lifetime::from_ttl(ttl))
    }

    /// Replaces the live value under `key` with `value` (living for `ttl`, `None`: the default)
    /// only when it equals `expected`; true when it did.
    pub fn compare_and_set<Q, E>(
        &self,
        key: &Q,
        expected: &E,
        value: V,
        ttl: Option<Duration>,
    ) -> Result<bool, CapacityExceeded>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq<E>,
        E: ?Sized,
    {
        self.compare_and_set_for(key, expected, value, Lifetime::from_ttl(ttl))
    }

    /// Removes the entry under `key` only when its live value equals `expected`; true when it
    /// did.
    pub fn compare_and_remove<Q, E>(&self, key: &Q, expected: &E) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq<E>,
        E: ?Sized,
    {
        let _timer = self.inner.time(Op::CompareAndRemove);
        let hash = self.hash(key);
        let ctx = self.context();
        self.locked(self.shard_index(hash), &ctx, |shard, ctx, out| {
            shard.remove_if(hash, key, |live| live == expected, ctx, out)
        })
        .is_some()
    }

    pub(crate) fn insert_if_absent_for(
        &self,
        key: K,
        value: V,
        lifetime: Lifetime,
    ) -> Result<Option<V>, CapacityExceeded> {
        let _timer = self.inner.time(Op::InsertIfAbsent);
        let ctx = self.context();
        let new = self.incoming(key, value, lifetime, &ctx);
        let (index, expires_at) = (self.shard_index(new.hash), new.expires_at);
        let existing = self
            .locked(index, &ctx, |shard, ctx, out| {
                shard.insert_if_absent(new, ctx, out)
            })
            .map_err(|Full| self.full())?;
        if existing.is_none() {
            self.note_deadline(expires_at, &ctx);
        }
        Ok(existing)
    }

    pub(crate) fn compare_and_set_for<Q, E>(
        &self,
        key: &Q,
        expected: &E,
        value: V,
        lifetime: Lifetime,
    ) -> Result<bool, CapacityExceeded>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq<E>,
        E: ?Sized,
    {
        let _timer = self.inner.time(Op::CompareAndSet);
        let hash = self.hash(key);
        let ctx = self.context();
        let expires_at = self.deadline(lifetime, &ctx.now);
        let index = self.shard_index(hash);
        let attempt = |value: V| {
            self.locked(index, &ctx, |shard, ctx, out| {
                let weigh = |stored: &K, value: &V| self.weigh(stored, value);
                shard.replace_if(
                    hash,
                    key,
                    |live| live == expected,
                    value,
                    weigh,
                    expires_at,
                    ctx,
                    out,
                )
            })
        };
        // A replacement that outgrows a full rejecting cache gets one more try once the expired
        // entries of every shard are reclaimed.
        let swapped = match attempt(value) {
            Err(value) if self.sweep_all(&ctx) > 0 => attempt(value),
            outcome => outcome,
        }
        .map_err(|_| self.full())?;
        if swapped {
            self.note_deadline(expires_at, &ctx);
        }
        Ok(swapped)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{CapacityExceeded, EvictionMode, MockClock, ShardedCache};

    #[test]
    fn compare_and_set_swaps_only_on_match_and_sets_the_ttl() {
        let clock = MockClock::new();
        let cache: ShardedCache<String, String> =
            ShardedCache::builder().clock(clock.clone()).build();
        cache.insert("k".into(), "v1".into());
        assert_eq!(
            cache.compare_and_set("k", "nope", "v2".into(), None),
            Ok(false)
        );
        assert_eq!(
            cache.compare_and_set("k", "v1", "v2".into(), Some(Duration::from_secs(1))),
            Ok(true)
        );
        assert_eq!(cache.get("k").as_deref(), Some("v2"));
        assert_eq!(
            cache.compare_and_set("missing", "v1", "x".into(), None),
            Ok(false)
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            cache.compare_and_set("k", "v2", "v3".into(), None),
            Ok(false),
            "expired"
        );
    }

    #[test]
    fn compare_and_remove_removes_only_on_match() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(10);
        cache.insert(1, 10);
        assert!(!cache.compare_and_remove(&1, &11));
        assert!(cache.compare_and_remove(&1, &10));
        assert!(!cache.compare_and_remove(&1, &10));
    }

    #[test]
    fn insert_if_absent_treats_expired_as_absent() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, u32> = ShardedCache::builder().clock(clock.clone()).build();
        assert_eq!(
            cache.insert_if_absent(1, 1, Some(Duration::from_secs(1))),
            Ok(None)
        );
        assert_eq!(cache.insert_if_absent(1, 2, None), Ok(Some(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.insert_if_absent(1, 3, None), Ok(None));
        assert_eq!(cache.get(&1), Some(3));
    }

    #[test]
    fn a_rejecting_cache_refuses_what_does_not_fit_and_reclaims_expired_first() {
        let clock = MockClock::new();
        let cache: ShardedCache<u32, Vec<u8>> = ShardedCache::builder()
            .shards(4)
            .max_capacity(10)
            .weigher(|_, value: &Vec<u8>| value.len() as u32)
            .eviction_mode(EvictionMode::Reject)
            .clock(clock.clone())
            .build();
        assert_eq!(
            cache.insert_if_absent(1, vec![0; 6], Some(Duration::from_secs(1))),
            Ok(None)
        );
        assert_eq!(cache.try_insert(2, vec![0; 4], None), Ok(()));
        let full = Err(CapacityExceeded { capacity: 10 });
        assert_eq!(cache.try_insert(3, vec![0; 1], None), full);
        assert_eq!(
            cache.compare_and_set(&2, &vec![0; 4], vec![0; 5], None),
            full.map(|()| false)
        );
        assert_eq!(
            cache.get(&2),
            Some(vec![0; 4]),
            "a refused swap changes nothing"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            cache.compare_and_set(&2, &vec![0; 4], vec![0; 9], None),
            Ok(true)
        );
        assert_eq!(cache.weighted_size(), 9);
        assert_eq!(cache.try_insert(3, vec![0; 2], None), full);
        assert_eq!(cache.try_insert(3, vec![0; 1], None), Ok(()));
    }
}

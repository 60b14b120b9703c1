//! Coalesced loads: concurrent `get_or_insert_with` calls for one missing key run one loader.
//!
//! The first caller for a key leads: it registers a flight and runs its loader; the others wait
//! on the flight. A leader that finishes stores the value and hands it to the waiters. A leader
//! that is cancelled (its future dropped), panics, or fails drops its guard, which marks the
//! flight abandoned and wakes the waiters: each retries, and one of them leads a new flight.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::task::{Poll, Waker};

use parking_lot::Mutex;

use super::{DefaultHashBuilder, ShardedCache};

/// The state of one load.
#[derive(Debug)]
enum FlightState<V> {
    Running(Vec<Waker>),
    Done(V),
    Abandoned,
}

/// One load in progress, shared by its leader and its waiters.
#[derive(Debug)]
struct Flight<V> {
    state: Mutex<FlightState<V>>,
}

impl<V: Clone> Flight<V> {
    fn settle(&self, outcome: FlightState<V>) {
        let previous = std::mem::replace(&mut *self.state.lock(), outcome);
        if let FlightState::Running(wakers) = previous {
            wakers.into_iter().for_each(Waker::wake);
        }
    }

    /// Waits for the leader: `Some(value)` when it loaded one, `None` when it gave up.
    async fn wait(&self) -> Option<V> {
        poll_fn(|cx| match &mut *self.state.lock() {
            FlightState::Running(wakers) => {
                if !wakers.iter().any(|waker| waker.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            FlightState::Done(value) => Poll::Ready(Some(value.clone())),
            FlightState::Abandoned => Poll::Ready(None),
        })
        .await
    }
}

type FlightMap<K, V> = HashMap<K, Arc<Flight<V>>, DefaultHashBuilder>;

/// The flights in progress, one map per shard.
#[derive(Debug)]
pub(crate) struct Loaders<K, V> {
    shards: Box<[Mutex<FlightMap<K, V>>]>,
}

impl<K, V> Loaders<K, V> {
    pub(crate) fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
        }
    }
}

/// Either lead a new flight, or wait on someone else's.
enum Role<'a, K: Hash + Eq, V: Clone> {
    Leader(LeaderGuard<'a, K, V>),
    Waiter(Arc<Flight<V>>),
}

/// Held by a flight's leader: settles the flight as abandoned unless completed.
struct LeaderGuard<'a, K: Hash + Eq, V: Clone> {
    map: &'a Mutex<FlightMap<K, V>>,
    key: &'a K,
    flight: Arc<Flight<V>>,
    done: Option<V>,
}

impl<K: Hash + Eq, V: Clone> Drop for LeaderGuard<'_, K, V> {
    fn drop(&mut self) {
        {
            let mut map = self.map.lock();
            if map
                .get(self.key)
                .is_some_and(|current| Arc::ptr_eq(current, &self.flight))
            {
                map.remove(self.key);
            }
        }
        let outcome = match self.done.take() {
            Some(value) => FlightState::Done(value),
            None => FlightState::Abandoned,
        };
        self.flight.settle(outcome);
    }
}

impl<K, V, S> ShardedCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher,
{
    /// The live value under `key`, or the one `load` produces, stored with the default
    /// time-to-live. Concurrent calls for the same missing key run one loader and share its value;
    /// if that loader is cancelled or panics, a waiting caller runs its own.
    ///
    /// ```
    /// use cache_core::ShardedCache;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cache: ShardedCache<u32, String> = ShardedCache::new(100);
    /// let value = cache.get_or_insert_with(7, || async { "seven".to_string() }).await;
    /// assert_eq!(value, "seven");
    /// assert_eq!(cache.get(&7).as_deref(), Some("seven"));
    /// # });
    /// ```
    pub async fn get_or_insert_with<F, Fut>(&self, key: K, load: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let loaded = self
            .try_get_or_insert_with(key, || async { Ok::<V, Infallible>(load().await) })
            .await;
        match loaded {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`ShardedCache::get_or_insert_with`] with a fallible loader. An error is returned to
    /// the caller whose loader failed and is not cached; callers waiting on that load retry with
    /// their own loaders.
    pub async fn try_get_or_insert_with<F, Fut, E>(&self, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let mut load = Some(load);
        loop {
            if let Some(value) = self.get(&key) {
                return Ok(value);
            }
            match self.join_flight(&key) {
                Role::Waiter(flight) => {
                    if let Some(value) = flight.wait().await {
                        return Ok(value);
                    }
                }
                Role::Leader(mut guard) => {
                    // A flight that completed between our miss and our registration left its
                    // value in the cache.
                    if let Some(value) = self.peek(&key) {
                        guard.done = Some(value.clone());
                        return Ok(value);
                    }
                    let load = load.take().expect("a caller leads at most one flight");
                    let value = load().await?;
                    self.insert(key.clone(), value.clone());
                    guard.done = Some(value.clone());
                    return Ok(value);
                }
            }
        }
    }

    fn join_flight<'a>(&'a self, key: &'a K) -> Role<'a, K, V> {
        let index = self.shard_index(self.hash(key));
        let map = &self.inner.loaders.shards[index];
        let mut flights = map.lock();
        if let Some(flight) = flights.get(key) {
            return Role::Waiter(Arc::clone(flight));
        }
        let flight = Arc::new(Flight {
            state: Mutex::new(FlightState::Running(Vec::new())),
        });
        flights.insert(key.clone(), Arc::clone(&flight));
        Role::Leader(LeaderGuard {
            map,
            key,
            flight,
            done: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::Notify;

    use crate::ShardedCache;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_run_one_loader() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
        let runs = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (cache, runs) = (cache.clone(), Arc::clone(&runs));
                tokio::spawn(async move {
                    cache
                        .get_or_insert_with(1, || async move {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            42
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), 42);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(cache.get(&1), Some(42));
    }

    #[tokio::test]
    async fn a_cancelled_loader_does_not_wedge_its_waiters() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
        let started = Arc::new(Notify::new());
        let leader = {
            let (cache, started) = (cache.clone(), Arc::clone(&started));
            tokio::spawn(async move {
                cache
                    .get_or_insert_with(1, || async move {
                        started.notify_one();
                        std::future::pending::<u32>().await
                    })
                    .await
            })
        };
        started.notified().await;
        let waiter = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_insert_with(1, || async { 7 }).await })
        };
        tokio::task::yield_now().await;
        leader.abort();
        let value = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter was wedged by a cancelled leader")
            .unwrap();
        assert_eq!(value, 7);
    }

    #[tokio::test]
    async fn a_panicking_loader_does_not_wedge_its_waiters() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
        let started = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let leader = {
            let (cache, started, release) =
                (cache.clone(), Arc::clone(&started), Arc::clone(&release));
            tokio::spawn(async move {
                cache
                    .get_or_insert_with(1, || async move {
                        started.notify_one();
                        release.notified().await;
                        panic!("loader failed");
                    })
                    .await
            })
        };
        started.notified().await;
        let waiter = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_insert_with(1, || async { 9 }).await })
        };
        tokio::task::yield_now().await;
        release.notify_one();
        assert!(leader.await.unwrap_err().is_panic());
        let value = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter was wedged by a panicking leader")
            .unwrap();
        assert_eq!(value, 9);
    }

    #[tokio::test]
    async fn a_failed_load_is_not_cached() {
        let cache: ShardedCache<u32, u32> = ShardedCache::new(100);
        let failed = cache
            .try_get_or_insert_with(1, || async { Err::<u32, &str>("backend down") })
            .await;
        assert_eq!(failed, Err("backend down"));
        assert_eq!(cache.get(&1), None);
        let loaded = cache
            .try_get_or_insert_with(1, || async { Ok::<u32, &str>(5) })
            .await;
        assert_eq!(loaded, Ok(5));
        let cached = cache
            .try_get_or_insert_with(1, || async { Err::<u32, &str>("unused") })
            .await;
        assert_eq!(cached, Ok(5));
    }
}

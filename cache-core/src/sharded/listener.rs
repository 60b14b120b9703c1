//! Why an entry left the cache, and the hook that is told.

use std::fmt;
use std::sync::Arc;

/// Why an entry left the cache, as told to the eviction listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RemovalCause {
    /// Its time-to-live or time-to-idle elapsed.
    Expired,
    /// The eviction policy made room for other entries (or the entry alone outweighed a shard).
    Size,
    /// A write under the same key replaced its value.
    Replaced,
    /// It was removed explicitly: `remove`, `retain`, `clear`, or a store's delete.
    Removed,
}

impl RemovalCause {
    /// True for the causes the cache decided on its own (expiry and size), false for those a
    /// caller asked for (replace and remove).
    pub fn was_evicted(self) -> bool {
        matches!(self, RemovalCause::Expired | RemovalCause::Size)
    }

    /// A stable lowercase name, used as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalCause::Expired => "expired",
            RemovalCause::Size => "size",
            RemovalCause::Replaced => "replaced",
            RemovalCause::Removed => "removed",
        }
    }
}

impl fmt::Display for RemovalCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type ListenerFn<K, V> = dyn Fn(&K, &V, RemovalCause) + Send + Sync;

/// The user's eviction listener, shared by every shard.
pub(crate) struct Listener<K, V>(Arc<ListenerFn<K, V>>);

impl<K, V> Listener<K, V> {
    pub(crate) fn new(f: impl Fn(&K, &V, RemovalCause) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub(crate) fn notify(&self, removed: Vec<(K, V, RemovalCause)>) {
        for (key, value, cause) in removed {
            (self.0)(&key, &value, cause);
        }
    }
}

impl<K, V> Clone for Listener<K, V> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<K, V> fmt::Debug for Listener<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Listener(..)")
    }
}

/// Entries removed under a shard lock, handed to the listener once the lock is released (the
/// shard counts them itself, in its [`WriteCounters`](super::stats::WriteCounters)).
///
/// Without a listener nothing is kept, so the common path never allocates.
#[derive(Debug)]
pub(crate) struct Removals<K, V> {
    keep: bool,
    pub(crate) items: Vec<(K, V, RemovalCause)>,
}

impl<K, V> Removals<K, V> {
    pub(crate) fn new(keep: bool) -> Self {
        Self {
            keep,
            items: Vec::new(),
        }
    }

    /// Whether pushed entries are kept, so callers can skip cloning for nobody.
    pub(crate) fn wants(&self) -> bool {
        self.keep
    }

    /// Keeps a removed entry for the listener, if there is one.
    pub(crate) fn push(&mut self, key: K, value: V, cause: RemovalCause) {
        if self.keep {
            self.items.push((key, value, cause));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_are_kept_only_for_a_listener() {
        let mut ignored = Removals::new(false);
        ignored.push(1, 2, RemovalCause::Size);
        assert!(ignored.items.is_empty());
        let mut kept = Removals::new(true);
        kept.push(1, 2, RemovalCause::Expired);
        assert_eq!(kept.items, vec![(1, 2, RemovalCause::Expired)]);
        assert!(RemovalCause::Expired.was_evicted());
        assert!(!RemovalCause::Replaced.was_evicted());
        assert_eq!(RemovalCause::Size.to_string(), "size");
    }
}

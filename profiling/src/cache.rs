//! Histogram handles cached per label set, so recording does no registry lookup.
//!
//! The first request with a new label set registers its histogram with the recorder installed at
//! that moment; every later one finds the handle in a sharded table, under a read lock, by a hash
//! of the borrowed labels (no allocation).

use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use metrics::{Histogram, Label};
use parking_lot::RwLock;

const SHARDS: usize = 16;

/// A label set borrowed from a request, looked up against the owned sets already registered.
pub(crate) trait LabelSet: Hash {
    /// The owned form kept in the cache.
    type Owned;
    /// Whether `owned` is this label set.
    fn matches(&self, owned: &Self::Owned) -> bool;
    /// The owned form, made once per new label set.
    fn to_owned(&self) -> Self::Owned;
    /// The labels to register the histogram with.
    fn labels(&self) -> Vec<Label>;
}

struct Entry<K> {
    hash: u64,
    key: K,
    histogram: Histogram,
}

/// Histograms of one metric, one per label set.
pub(crate) struct HandleCache<K> {
    name: &'static str,
    hasher: RandomState,
    shards: Box<[RwLock<HashTable<Entry<K>>>]>,
}

impl<K> HandleCache<K> {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            hasher: RandomState::default(),
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }

    /// Records `value` in the histogram of `labels`, registering it on first sight.
    pub(crate) fn record<L: LabelSet<Owned = K>>(&self, labels: &L, value: f64) {
        let hash = self.hasher.hash_one(labels);
        // The low bits pick the bucket inside a table; the high ones pick the shard.
        let shard = &self.shards[(hash >> 60) as usize % SHARDS];
        if let Some(entry) = shard.read().find(hash, |e| labels.matches(&e.key)) {
            entry.histogram.record(value);
            return;
        }
        let mut table = shard.write();
        let entry = match table.find(hash, |e| labels.matches(&e.key)) {
            Some(entry) => entry,
            None => {
                let histogram = metrics::histogram!(self.name, labels.labels());
                let entry = Entry {
                    hash,
                    key: labels.to_owned(),
                    histogram,
                };
                table.insert_unique(hash, entry, |e| e.hash).into_mut()
            }
        };
        entry.histogram.record(value);
    }

    /// How many label sets have been registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }
}

impl<K> std::fmt::Debug for HandleCache<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandleCache")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Hash)]
    struct Route<'a>(&'a str);

    impl LabelSet for Route<'_> {
        type Owned = Box<str>;
        fn matches(&self, owned: &Box<str>) -> bool {
            *self.0 == **owned
        }
        fn to_owned(&self) -> Box<str> {
            self.0.into()
        }
        fn labels(&self) -> Vec<Label> {
            vec![Label::new("route", self.0.to_owned())]
        }
    }

    #[test]
    fn registers_each_label_set_once() {
        let cache = HandleCache::new("test.duration");
        for route in ["/a", "/b", "/a", "/c", "/b"].iter().cycle().take(100) {
            cache.record(&Route(route), 1.0);
        }
        assert_eq!(cache.len(), 3);
    }
}

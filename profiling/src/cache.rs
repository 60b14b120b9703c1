//! Histogram handles cached per label set, so recording does no registry lookup.
//!
//! The handles live in an insert-only, open-addressed table: a slot, once filled, never changes,
//! so a lookup is a hash and a few plain loads (`OnceLock::get`), and threads recording on many
//! cores never write to a shared cache line (as a lock's reader count would make them). The first
//! request with a new label set registers its histogram with the recorder installed at that moment
//! and fills a free slot. Past [`CAPACITY`] label sets (a sign of a label with unbounded values),
//! a label set that finds no slot has its histogram looked up in the recorder on every record, and
//! one warning says so.

use std::hash::{BuildHasher, Hash};
use std::sync::{Once, OnceLock};

use foldhash::fast::RandomState;
use metrics::{Histogram, Label};

/// The label sets one metric caches, a power of two.
const CAPACITY: usize = 4096;
/// The slots a lookup probes before it counts its label set as not cached.
const MAX_PROBES: usize = 32;

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
    key: K,
    histogram: Histogram,
}

/// Histograms of one metric, one per label set.
pub(crate) struct HandleCache<K> {
    name: &'static str,
    hasher: RandomState,
    slots: Box<[OnceLock<Box<Entry<K>>>]>,
    full: Once,
}

impl<K> HandleCache<K> {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            hasher: RandomState::default(),
            slots: (0..CAPACITY).map(|_| OnceLock::new()).collect(),
            full: Once::new(),
        }
    }

    /// Records `value` in the histogram of `labels`, registering it on first sight.
    pub(crate) fn record<L: LabelSet<Owned = K>>(&self, labels: &L, value: f64) {
        match self.cached(labels) {
            Some(histogram) => histogram.record(value),
            None => self.uncached(labels).record(value),
        }
    }

    /// The cached histogram of `labels`, registered and cached now if it was not yet; `None`
    /// when every slot it may take holds another label set.
    fn cached<L: LabelSet<Owned = K>>(&self, labels: &L) -> Option<&Histogram> {
        let hash = self.hasher.hash_one(labels) as usize;
        (0..MAX_PROBES).find_map(|probe| {
            let slot = &self.slots[hash.wrapping_add(probe) % CAPACITY];
            // Of two threads filling one slot, one fills it and the other reads its entry.
            let entry = slot.get_or_init(|| {
                Box::new(Entry {
                    key: labels.to_owned(),
                    histogram: metrics::histogram!(self.name, labels.labels()),
                })
            });
            labels.matches(&entry.key).then_some(&entry.histogram)
        })
    }

    /// The histogram of `labels` looked up in the recorder, for a label set the cache has no
    /// room for.
    fn uncached<L: LabelSet>(&self, labels: &L) -> Histogram {
        self.full.call_once(|| {
            tracing::warn!(
                metric = self.name,
                capacity = CAPACITY,
                "more label sets than the handle cache holds: a label has unbounded values, and \
                 recording the ones that find no room costs a registry lookup each"
            );
        });
        metrics::histogram!(self.name, labels.labels())
    }

    /// How many label sets have been registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| slot.get().is_some())
            .count()
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
    use std::collections::HashMap;

    use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

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

    /// The number of values recorded for each route, read from the exposition.
    fn counts(recorder: &PrometheusRecorder) -> HashMap<String, u64> {
        recorder
            .handle()
            .render()
            .lines()
            .filter_map(|line| line.strip_prefix("test_duration_count{route=\""))
            .filter_map(|rest| rest.split_once("\"} "))
            .map(|(route, n)| (route.to_owned(), n.parse().unwrap()))
            .collect()
    }

    #[test]
    fn registers_each_label_set_once() {
        let cache = HandleCache::new("test.duration");
        for route in ["/a", "/b", "/a", "/c", "/b"].iter().cycle().take(100) {
            cache.record(&Route(route), 1.0);
        }
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn threads_filling_slots_at_once_lose_no_value() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let cache = HandleCache::new("test.duration");
        let routes: Vec<String> = (0..64).map(|i| format!("/r{i}")).collect();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    metrics::with_local_recorder(&recorder, || {
                        for route in &routes {
                            cache.record(&Route(route), 1.0);
                        }
                    });
                });
            }
        });
        assert_eq!(cache.len(), routes.len());
        let counts = counts(&recorder);
        for route in &routes {
            assert_eq!(counts.get(route), Some(&4), "{route}");
        }
    }

    #[test]
    fn label_sets_past_the_capacity_are_still_recorded() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let cache = HandleCache::new("test.duration");
        let routes: Vec<String> = (0..CAPACITY + 500).map(|i| format!("/r{i}")).collect();
        metrics::with_local_recorder(&recorder, || {
            for route in routes.iter().chain(&routes) {
                cache.record(&Route(route), 1.0);
            }
        });
        assert!(cache.len() <= CAPACITY);
        let counts = counts(&recorder);
        for route in &routes {
            assert_eq!(counts.get(route), Some(&2), "{route}");
        }
    }
}

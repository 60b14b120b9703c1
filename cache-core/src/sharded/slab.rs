//! Entries stored by index, so that queues and the hash table hold 4-byte handles.
//!
//! Access by index does not check the index: a checked access (the bounds, then the slot's
//! occupancy) cost 9% of the instructions of an OLTP replay into 8,000 entries, and 10% at 256
//! (callgrind), for conditions the shard already guarantees (its invariant, on
//! [`Shard`](super::shard::Shard)). So `get`, `get_mut` and `remove` are `unsafe`: their caller
//! vouches that the index is live. Debug builds, in which every test runs, check it anyway and
//! panic on a dead index.

#![allow(unsafe_code)]

use super::entry::Entry;

/// A vector of entries with a free list; indexes stay valid until their entry is removed.
///
/// An index is *live* from the `insert` that returns it until the `remove` that takes it.
///
/// The entries come first (`repr(C)`): a read touches them and not the free list.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Slab<K, V> {
    slots: Vec<Option<Entry<K, V>>>,
    free: Vec<u32>,
}

impl<K, V> Slab<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    pub(crate) fn insert(&mut self, entry: Entry<K, V>) -> u32 {
        match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(entry);
                index
            }
            None => {
                let index = u32::try_from(self.slots.len()).expect("a shard holds < 2^32 entries");
                self.slots.push(Some(entry));
                index
            }
        }
    }

    /// Takes the entry at `index` out; the index is dead from then on.
    ///
    /// # Safety
    /// `index` is live.
    #[inline]
    pub(crate) unsafe fn remove(&mut self, index: u32) -> Entry<K, V> {
        self.check_live(index);
        // SAFETY: a live index is in bounds, and its slot holds an entry.
        let entry = unsafe {
            self.slots
                .get_unchecked_mut(index as usize)
                .take()
                .unwrap_unchecked()
        };
        self.free.push(index);
        entry
    }

    /// The entry at `index`.
    ///
    /// # Safety
    /// `index` is live.
    #[inline]
    pub(crate) unsafe fn get(&self, index: u32) -> &Entry<K, V> {
        self.check_live(index);
        // SAFETY: a live index is in bounds, and its slot holds an entry.
        unsafe {
            self.slots
                .get_unchecked(index as usize)
                .as_ref()
                .unwrap_unchecked()
        }
    }

    /// The entry at `index`, to change it.
    ///
    /// # Safety
    /// `index` is live.
    #[inline]
    pub(crate) unsafe fn get_mut(&mut self, index: u32) -> &mut Entry<K, V> {
        self.check_live(index);
        // SAFETY: a live index is in bounds, and its slot holds an entry.
        unsafe {
            self.slots
                .get_unchecked_mut(index as usize)
                .as_mut()
                .unwrap_unchecked()
        }
    }

    /// In debug builds, panics unless `index` is live.
    #[inline]
    fn check_live(&self, index: u32) {
        debug_assert!(
            self.slot(index).is_some(),
            "slab index {index} refers to no live entry"
        );
    }

    /// The entry at `index` if that slot is occupied (used by the sweeper's cursor).
    pub(crate) fn slot(&self, index: u32) -> Option<&Entry<K, V>> {
        self.slots.get(index as usize).and_then(Option::as_ref)
    }

    /// The number of slots, occupied or free.
    pub(crate) fn slots(&self) -> u32 {
        u32::try_from(self.slots.len()).expect("a shard holds < 2^32 entries")
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Entry<K, V>)> {
        (0..)
            .zip(self.slots.iter())
            .filter_map(|(index, slot)| slot.as_ref().map(|entry| (index, entry)))
    }

    /// Drops every entry and releases the memory.
    pub(crate) fn reset(&mut self) {
        self.slots = Vec::new();
        self.free = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::NEVER;
    use super::*;

    #[test]
    fn freed_slots_are_reused() {
        let mut slab = Slab::new();
        let a = slab.insert(Entry::new("a", 1, 0, 1, NEVER, 0));
        let b = slab.insert(Entry::new("b", 2, 0, 1, NEVER, 0));
        // SAFETY: `a` and `b` were just inserted, and `a` is removed once.
        assert_eq!(unsafe { slab.remove(a) }.key, "a");
        assert!(slab.slot(a).is_none());
        let c = slab.insert(Entry::new("c", 3, 0, 1, NEVER, 0));
        assert_eq!(c, a);
        // SAFETY: `b` is still live.
        assert_eq!(unsafe { slab.get(b) }.value, 2);
        assert_eq!(slab.iter().count(), 2);
        assert_eq!(slab.slots(), 2);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "slab index 0 refers to no live entry")]
    fn debug_builds_refuse_a_dead_index() {
        let mut slab = Slab::new();
        let a = slab.insert(Entry::new("a", 1, 0, 1, NEVER, 0));
        // SAFETY: live once; the second call is the misuse under test, caught before any access.
        unsafe {
            slab.remove(a);
            slab.get(a);
        }
    }
}

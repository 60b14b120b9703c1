//! Entries stored by index, so that queues and the hash table hold 4-byte handles.

use super::entry::Entry;

/// A vector of entries with a free list; indexes stay valid until their entry is removed.
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

    pub(crate) fn remove(&mut self, index: u32) -> Entry<K, V> {
        let entry = self.slots[index as usize]
            .take()
            .expect("slab index refers to a live entry");
        self.free.push(index);
        entry
    }

    #[inline]
    pub(crate) fn get(&self, index: u32) -> &Entry<K, V> {
        self.slots[index as usize]
            .as_ref()
            .expect("slab index refers to a live entry")
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: u32) -> &mut Entry<K, V> {
        self.slots[index as usize]
            .as_mut()
            .expect("slab index refers to a live entry")
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
        assert_eq!(slab.remove(a).key, "a");
        assert!(slab.slot(a).is_none());
        let c = slab.insert(Entry::new("c", 3, 0, 1, NEVER, 0));
        assert_eq!(c, a);
        assert_eq!(slab.get(b).value, 2);
        assert_eq!(slab.iter().count(), 2);
        assert_eq!(slab.slots(), 2);
    }
}

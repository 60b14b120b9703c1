//! An intrusive FIFO threaded through the slab: O(1) push and unlink, no allocation.

use super::entry::{NIL, QueueId};
use super::slab::Slab;

/// A doubly linked FIFO of slab indexes, with the total weight of its entries.
#[derive(Debug)]
pub(crate) struct Fifo {
    id: QueueId,
    head: u32,
    tail: u32,
    pub(crate) weight: u64,
}

impl Fifo {
    pub(crate) fn new(id: QueueId) -> Self {
        Self {
            id,
            head: NIL,
            tail: NIL,
            weight: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// The oldest index, if any.
    pub(crate) fn front(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    pub(crate) fn push_back<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let tail = self.tail;
        let entry = slab.get_mut(index);
        entry.queue = self.id;
        entry.prev = tail;
        entry.next = NIL;
        self.weight += entry.weight;
        if tail == NIL {
            self.head = index;
        } else {
            slab.get_mut(tail).next = index;
        }
        self.tail = index;
    }

    pub(crate) fn unlink<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let entry = slab.get_mut(index);
        debug_assert_eq!(entry.queue, self.id);
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        self.weight -= entry.weight;
        match prev {
            NIL => self.head = next,
            prev => slab.get_mut(prev).next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => slab.get_mut(next).prev = prev,
        }
    }

    /// Forgets every index (the slab is reset alongside).
    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::{Entry, NEVER};
    use super::*;

    fn slab_of(n: u32) -> (Slab<u32, ()>, Vec<u32>) {
        let mut slab = Slab::new();
        let indexes = (0..n)
            .map(|k| slab.insert(Entry::new(k, (), 0, 1, NEVER, 0)))
            .collect();
        (slab, indexes)
    }

    #[test]
    fn fifo_order_and_unlink_from_the_middle() {
        let (mut slab, idx) = slab_of(4);
        let mut fifo = Fifo::new(QueueId::Main);
        for &i in &idx {
            fifo.push_back(&mut slab, i);
        }
        assert_eq!(fifo.weight, 4);
        fifo.unlink(&mut slab, idx[1]);
        fifo.unlink(&mut slab, idx[3]);
        assert_eq!(fifo.front(), Some(idx[0]));
        fifo.unlink(&mut slab, idx[0]);
        assert_eq!(fifo.front(), Some(idx[2]));
        fifo.unlink(&mut slab, idx[2]);
        assert_eq!(fifo.front(), None);
        assert!(fifo.is_empty());
        assert_eq!(fifo.weight, 0);
        assert_eq!(slab.get(idx[2]).queue, QueueId::Main);
    }
}

//! An intrusive FIFO threaded through the slab: O(1) push, unlink and rotation, no allocation.
//!
//! The links are slab indexes, followed without checks (see [`super::slab`]), so the operations
//! that follow them are `unsafe`: their caller vouches for the queue's invariant, that every
//! member is live in the slab it passes and links to members only.

#![allow(unsafe_code)]

use super::entry::{NIL, QueueId};
use super::slab::Slab;

/// A circular doubly linked FIFO of slab indexes, with the total weight of its entries.
///
/// Being a ring, with the tail just before the head, lets [`Fifo::rotate`] send the oldest entry
/// to the back by moving the head alone: the main queue gives every entry read since its last
/// turn another round that way, without touching its neighbours.
#[derive(Debug)]
pub(crate) struct Fifo {
    id: QueueId,
    head: u32,
    pub(crate) weight: u64,
}

impl Fifo {
    pub(crate) fn new(id: QueueId) -> Self {
        Self {
            id,
            head: NIL,
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

    /// Appends the live entry at `index`, which is in no queue.
    ///
    /// # Safety
    /// `index` is live in `slab`, and so is every member of this queue.
    #[inline]
    pub(crate) unsafe fn push_back<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let head = self.head;
        // SAFETY: `index` is live (the caller's promise).
        let entry = unsafe { slab.get_mut(index) };
        entry.queue = self.id;
        self.weight += entry.weight();
        if head == NIL {
            entry.prev = index;
            entry.next = index;
            self.head = index;
            return;
        }
        // SAFETY: the head is a member, and the ring's tail, linked from it, is one too.
        unsafe {
            let tail = std::mem::replace(&mut slab.get_mut(head).prev, index);
            let entry = slab.get_mut(index);
            entry.prev = tail;
            entry.next = head;
            slab.get_mut(tail).next = index;
        }
    }

    /// Sends the oldest entry to the back.
    ///
    /// # Safety
    /// Every member of this queue is live in `slab`.
    pub(crate) unsafe fn rotate<K, V>(&mut self, slab: &Slab<K, V>) {
        if self.head != NIL {
            // SAFETY: the head is a member.
            self.head = unsafe { slab.get(self.head) }.next;
        }
    }

    /// Takes the entry at `index` out of this queue.
    ///
    /// # Safety
    /// `index` is a member of this queue, and every member is live in `slab`.
    #[inline]
    pub(crate) unsafe fn unlink<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        // SAFETY: `index` is a member.
        let entry = unsafe { slab.get_mut(index) };
        debug_assert_eq!(entry.queue, self.id);
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        self.weight -= entry.weight();
        if next == index {
            self.head = NIL;
            return;
        }
        // SAFETY: a member's neighbours are members.
        unsafe {
            slab.get_mut(prev).next = next;
            slab.get_mut(next).prev = prev;
        }
        if self.head == index {
            self.head = next;
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
        // SAFETY: no index of the slab is ever removed; each is pushed once, unlinked once.
        unsafe {
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

    /// The indexes from front to back, walking the ring once.
    fn order(fifo: &Fifo, slab: &Slab<u32, ()>) -> Vec<u32> {
        let Some(head) = fifo.front() else {
            return Vec::new();
        };
        let mut order = vec![head];
        // SAFETY: the tests remove nothing from the slab.
        unsafe {
            let mut at = slab.get(head).next;
            while at != head {
                assert_eq!(slab.get(slab.get(at).prev).next, at, "links agree");
                order.push(at);
                at = slab.get(at).next;
            }
        }
        order
    }

    #[test]
    fn rotation_sends_the_front_to_the_back() {
        let (mut slab, idx) = slab_of(4);
        let mut fifo = Fifo::new(QueueId::Main);
        // SAFETY: no index of the slab is ever removed; each is pushed once, unlinked once.
        unsafe {
            fifo.rotate(&slab);
            assert!(fifo.is_empty());
            for &i in &idx[..3] {
                fifo.push_back(&mut slab, i);
            }
            fifo.rotate(&slab);
            assert_eq!(order(&fifo, &slab), [idx[1], idx[2], idx[0]]);
            fifo.push_back(&mut slab, idx[3]);
            assert_eq!(order(&fifo, &slab), [idx[1], idx[2], idx[0], idx[3]]);
            fifo.unlink(&mut slab, idx[1]);
            fifo.rotate(&slab);
            assert_eq!(order(&fifo, &slab), [idx[0], idx[3], idx[2]]);
            assert_eq!(fifo.weight, 3);
        }
    }
}

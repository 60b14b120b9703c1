//! An intrusive FIFO threaded through the slab: O(1) push, unlink and rotation, no allocation.
//!
//! The links are slab indexes, followed without checks (see [`super::slab`]), so the operations
//! that follow them are `unsafe`: their caller vouches for the queue's invariant, that every
//! member is live in the slab it passes, and that every link but the head's `prev` (left stale,
//! see [`Fifo`]) leads to a member.

#![allow(unsafe_code)]

use super::entry::{NIL, QueueId};
use super::slab::Slab;

/// A FIFO of slab indexes from its head (the oldest) to its tail, with the total weight of its
/// entries.
///
/// The `next` links form a ring: the tail links to the head, so that [`Fifo::rotate`] sends the
/// oldest entry to the back by moving the head and the tail along, and writes only the entry it
/// moves. The `prev` links do not close the ring: the head's is left stale, and unlinking the head
/// goes through the tail instead. So pushing writes the new entry and the tail, which was pushed
/// before it and is still in the cache, and never the head, the queue's oldest entry. A full
/// ring had every push write the head: a cache miss on every insert while a cache fills, and on
/// every insert of one that time-to-live rather than capacity bounds.
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

    /// Appends the live entry at `index`, which is in no queue.
    ///
    /// # Safety
    /// `index` is live in `slab`, and so is every member of this queue.
    #[inline]
    pub(crate) unsafe fn push_back<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let (head, tail) = (self.head, self.tail);
        // SAFETY: `index` is live (the caller's promise).
        let entry = unsafe { slab.get_mut(index) };
        entry.queue = self.id;
        self.weight += entry.weight();
        self.tail = index;
        if head == NIL {
            entry.prev = index;
            entry.next = index;
            self.head = index;
            return;
        }
        entry.prev = tail;
        entry.next = head;
        // SAFETY: the tail is a member.
        unsafe { slab.get_mut(tail) }.next = index;
    }

    /// Sends the oldest entry to the back.
    ///
    /// # Safety
    /// Every member of this queue is live in `slab`.
    pub(crate) unsafe fn rotate<K, V>(&mut self, slab: &mut Slab<K, V>) {
        let head = self.head;
        if head == NIL {
            return;
        }
        // SAFETY: the head is a member.
        let entry = unsafe { slab.get_mut(head) };
        entry.prev = self.tail;
        self.head = entry.next;
        self.tail = head;
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
            self.tail = NIL;
            return;
        }
        // SAFETY: the tail and a member's neighbours are members; `prev` is one unless `index`
        // is the head, whose `prev` is stale.
        unsafe {
            if index == self.head {
                self.head = next;
                slab.get_mut(self.tail).next = next;
                return;
            }
            slab.get_mut(prev).next = next;
            if index == self.tail {
                self.tail = prev;
            } else {
                slab.get_mut(next).prev = prev;
            }
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
            assert_eq!(order(&fifo, &slab), [idx[0], idx[2]]);
            fifo.unlink(&mut slab, idx[0]);
            assert_eq!(fifo.front(), Some(idx[2]));
            fifo.unlink(&mut slab, idx[2]);
            assert_eq!(fifo.front(), None);
            assert!(fifo.is_empty());
            assert_eq!(fifo.weight, 0);
            assert_eq!(slab.get(idx[2]).queue, QueueId::Main);
        }
    }

    /// The indexes from front to back, checking the links: `next` all the way round, `prev`
    /// everywhere but at the head.
    fn order(fifo: &Fifo, slab: &Slab<u32, ()>) -> Vec<u32> {
        let Some(head) = fifo.front() else {
            assert_eq!(fifo.tail, NIL);
            return Vec::new();
        };
        let mut order = vec![head];
        // SAFETY: the tests remove nothing from the slab.
        unsafe {
            let mut at = slab.get(head).next;
            while at != head {
                assert_eq!(slab.get(at).prev, *order.last().unwrap(), "links agree");
                order.push(at);
                at = slab.get(at).next;
            }
        }
        assert_eq!(
            fifo.tail,
            *order.last().unwrap(),
            "the tail is the last entry"
        );
        order
    }

    #[test]
    fn rotation_sends_the_front_to_the_back() {
        let (mut slab, idx) = slab_of(4);
        let mut fifo = Fifo::new(QueueId::Main);
        // SAFETY: no index of the slab is ever removed; each is pushed once, unlinked once.
        unsafe {
            fifo.rotate(&mut slab);
            assert!(fifo.is_empty());
            for &i in &idx[..3] {
                fifo.push_back(&mut slab, i);
            }
            fifo.rotate(&mut slab);
            assert_eq!(order(&fifo, &slab), [idx[1], idx[2], idx[0]]);
            fifo.push_back(&mut slab, idx[3]);
            assert_eq!(order(&fifo, &slab), [idx[1], idx[2], idx[0], idx[3]]);
            fifo.unlink(&mut slab, idx[1]);
            fifo.rotate(&mut slab);
            assert_eq!(order(&fifo, &slab), [idx[0], idx[3], idx[2]]);
            assert_eq!(fifo.weight, 3);
        }
    }
}

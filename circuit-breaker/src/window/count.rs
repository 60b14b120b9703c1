//! The last N calls, in a ring.

use super::{Sample, Tally};

/// A ring of the last `size` outcomes, with running totals so recording is O(1).
#[derive(Debug)]
pub(crate) struct CountWindow {
    ring: Box<[Option<Sample>]>,
    next: usize,
    tally: Tally,
}

impl CountWindow {
    pub(crate) fn new(size: u32) -> Self {
        assert!(size > 0, "a count window holds at least one call");
        Self {
            ring: vec![None; size as usize].into_boxed_slice(),
            next: 0,
            tally: Tally::default(),
        }
    }

    pub(crate) fn record(&mut self, sample: Sample) -> Tally {
        if let Some(evicted) = self.ring[self.next].replace(sample) {
            self.tally.remove(evicted);
        }
        self.tally.add(sample);
        self.next = if self.next + 1 == self.ring.len() {
            0
        } else {
            self.next + 1
        };
        self.tally
    }

    pub(crate) fn size(&self) -> u32 {
        self.ring.len() as u32
    }

    pub(crate) fn tally(&self) -> Tally {
        self.tally
    }

    pub(crate) fn clear(&mut self) {
        self.ring.fill(None);
        self.next = 0;
        self.tally = Tally::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Sample = Sample {
        failed: false,
        slow: false,
    };
    const FAILED: Sample = Sample {
        failed: true,
        slow: false,
    };
    const SLOW: Sample = Sample {
        failed: false,
        slow: true,
    };

    #[test]
    fn keeps_only_the_last_n_calls() {
        let mut window = CountWindow::new(3);
        window.record(FAILED);
        window.record(SLOW);
        window.record(OK);
        let tally = window.record(OK);
        assert_eq!(
            tally,
            Tally {
                calls: 3,
                failures: 0,
                slow: 1
            }
        );
        let tally = window.record(OK);
        assert_eq!(tally.slow, 0);
    }

    #[test]
    fn clear_forgets_everything() {
        let mut window = CountWindow::new(2);
        window.record(FAILED);
        window.clear();
        assert_eq!(window.tally(), Tally::default());
        assert_eq!(window.record(OK).calls, 1);
    }
}

//! The background thread that takes a snapshot every interval.

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Inner;

/// The running thread; [`Periodic::stop`] ends it and waits for it.
#[derive(Debug)]
pub(super) struct Periodic {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

impl Periodic {
    pub(super) fn start(inner: &Arc<Inner>, every: Duration) -> Self {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak = Arc::downgrade(inner);
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("cache-persist-snapshot".into())
            .spawn(move || run(&weak, &signal, every))
            .expect("the OS refused a thread for periodic snapshots");
        Self { stop, thread }
    }

    pub(super) fn stop(self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        // A panic of the thread was already reported by the panic hook.
        let _ = self.thread.join();
    }
}

fn run(inner: &Weak<Inner>, stop: &(Mutex<bool>, Condvar), every: Duration) {
    let mut next = Instant::now() + every;
    loop {
        {
            let mut stopped = stop.0.lock();
            while !*stopped && Instant::now() < next {
                stop.1.wait_until(&mut stopped, next);
            }
            if *stopped {
                return;
            }
        }
        next = Instant::now() + every;
        let Some(inner) = inner.upgrade() else { return };
        // Failures were reported as incidents where they happened; the next round retries.
        let _ = inner.snapshot();
    }
}

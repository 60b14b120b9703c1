//! Pinning each replay thread to a core of its own, so that the scheduler does not move a thread
//! mid-run (and its caches with it). Where the platform does not allow it, threads run unpinned.

/// Pins the calling thread to the `worker`-th core this process may run on (modulo their number).
#[cfg(target_os = "linux")]
pub(crate) fn to_own_core(worker: usize) {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

    let Ok(allowed) = sched_getaffinity(None) else {
        return;
    };
    let cores: Vec<usize> = (0..CpuSet::MAX_CPU)
        .filter(|&cpu| allowed.is_set(cpu))
        .collect();
    if cores.is_empty() {
        return;
    }
    let mut own = CpuSet::new();
    own.set(cores[worker % cores.len()]);
    // Unpinned is still a valid run, only a noisier one.
    let _ = sched_setaffinity(None, &own);
}

/// Pins nothing: this platform offers no affinity the bench uses.
#[cfg(not(target_os = "linux"))]
pub(crate) fn to_own_core(_worker: usize) {}

//! [`UnixClock`]: the wall clock expiries are logged in.

use std::time::{SystemTime, UNIX_EPOCH};

use cache_core::{Clock, duration_nanos};

/// Nanoseconds since the Unix epoch, so an expiry written to the log means the same instant after
/// a restart (a monotonic clock restarts from its own origin).
///
/// A wall clock set backwards across a restart makes records live longer than their TTL; one set
/// forwards expires them early. Expired records are never resurrected by recovery either way.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnixClock;

impl Clock for UnixClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, duration_nanos)
    }
}

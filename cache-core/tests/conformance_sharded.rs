//! The `Store` conformance suite, run against `CacheStore` (the sharded cache in no-eviction
//! mode): every case on a mock clock, and the capacity and expiry cases on a bounded store and on
//! the real, ticking clock.

use std::time::Duration;

use cache_core::conformance::{self, Backend, RealTime};
use cache_core::{MockClock, ShardedCache, SystemClock};

const MAX_KEY_SIZE: usize = 512;
const MAX_VALUE_SIZE: usize = 2 << 20;
const CAPACITY: u64 = 300;

/// A store large enough never to fill, with input limits, on a mock clock.
async fn unbounded() -> Backend {
    let clock = MockClock::new();
    let store = ShardedCache::builder()
        .max_capacity(1 << 20)
        .max_key_size(MAX_KEY_SIZE)
        .max_value_size(MAX_VALUE_SIZE)
        .clock(clock.clone())
        .build_store();
    Backend::new(store, clock)
        .max_key_size(MAX_KEY_SIZE)
        .max_value_size(MAX_VALUE_SIZE)
}

/// A store of exactly [`CAPACITY`] records, on a mock clock.
async fn bounded() -> Backend {
    let clock = MockClock::new();
    let store = ShardedCache::builder()
        .shards(8)
        .max_capacity(CAPACITY)
        .clock(clock.clone())
        .build_store();
    Backend::new(store, clock).max_capacity(CAPACITY)
}

/// A bounded store on the real clock, whose coarse reading ticks every millisecond.
async fn real_time() -> Backend {
    let store = ShardedCache::builder()
        .max_capacity(CAPACITY)
        .clock(SystemClock::ticking(Duration::from_millis(1)))
        .build_store();
    Backend::new(store, RealTime::new(Duration::from_millis(100))).max_capacity(CAPACITY)
}

mod sharded {
    cache_core::store_conformance!(super::unbounded(), capacity: super::bounded());
}

#[test]
fn real_time_expired_record_is_never_returned() {
    conformance::block_on(async {
        conformance::expired_record_is_never_returned(&real_time().await).await;
    });
}

#[test]
fn real_time_expired_records_make_room() {
    conformance::block_on(async {
        conformance::expired_records_make_room(&real_time().await).await;
    });
}

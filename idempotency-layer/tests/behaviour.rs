//! The behavioural suite against the in-process stores: cache-core's sharded no-eviction store
//! and moka-backed store, and cache-persist's durable store (Redis runs it in
//! `redis_behaviour.rs`). Another backend joins with one `store_suite!` line.

mod support;
#[macro_use]
mod suite;

store_suite!(sharded, crate::support::sharded);
store_suite!(moka, crate::support::moka);
store_suite!(durable, crate::support::durable);

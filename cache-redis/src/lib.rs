//! The resync-rs [`Store`](cache_core::Store) on Redis 7 or newer, for services that run as
//! several replicas.
//!
//! [`RedisStore`] puts each `Store` primitive on one round trip: insert-if-absent is
//! `SET key value NX GET PX ttl`, compare-and-set and compare-and-delete are Lua scripts sent by
//! `EVALSHA`. It is configured by a serde [`RedisConfig`] whose password never reaches `Debug`,
//! logs or errors.
//!
//! # One multiplexed connection, not a pool
//!
//! The store holds one [`redis::aio::ConnectionManager`]: a single connection onto which every
//! concurrent caller pipelines its commands, re-opened with exponential backoff when it drops.
//! Redis executes one connection's commands in order on one thread, so a pool buys no server
//! parallelism for commands this short; pipelining on one socket does, with no checkout, no
//! per-connection handshake and no pool to size. A pool pays off for blocking commands and large
//! transfers, and the store sends neither.
//!
//! # Keys
//!
//! Each key is stored under `key_prefix` and, for Redis Cluster, inside a hash tag: `order-42`
//! becomes `resync:{order-42}`, so the slot depends on the key alone. A key that already holds a
//! tag keeps it behind a `~` marker (`{order-42}:body` becomes `resync:~{order-42}:body`), so
//! records that share a tag share a slot. [`RedisStore::redis_key`] shows the mapping.
//!
//! # Failures
//!
//! A refused connection, a timeout or a restarted server is [`StoreError::Unavailable`]
//! (the operation may or may not have been applied); the same store object recovers by itself
//! once Redis answers again. A full server under `noeviction` is
//! [`StoreError::CapacityExceeded`], a read-only replica [`StoreError::ReadOnly`].
//!
//! # Redis Cluster
//!
//! With the `cluster` feature, set [`RedisConfig::cluster`] and point `url` at any node; the
//! README says more, including how to run Redis so that it never evicts a record.
//!
//! [`StoreError::Unavailable`]: cache_core::StoreError::Unavailable
//! [`StoreError::CapacityExceeded`]: cache_core::StoreError::CapacityExceeded
//! [`StoreError::ReadOnly`]: cache_core::StoreError::ReadOnly

mod config;
mod connect;
mod connection;
mod error;
mod key;
mod scripts;
mod server;
mod store;
#[cfg(feature = "test-support")]
pub mod test_support;
mod url;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use config::RedisConfig;
pub use error::{ConfigError, ConnectError};
pub use store::RedisStore;
pub use url::RedisUrl;

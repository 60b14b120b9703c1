//! A durable [`Store`](cache_core::Store): the sharded cache plus a write-ahead log, snapshots,
//! crash recovery and garbage collection, in one directory, with no server to run.
//!
//! - [`DurableStore`]: the store; [`DurableConfig`] configures it (serde, validated at open).
//! - The log frames each record as `length | CRC32C | payload` (postcard-encoded, values raw) in
//!   segments with a versioned header, rotated past [`DurableConfig::segment_size`]; see
//!   [`format`](mod@format).
//! - [`FsyncPolicy`] trades speed for what an acknowledged write may lose.
//! - Snapshots are taken every [`DurableConfig::snapshot_interval`] and on demand
//!   ([`DurableStore::snapshot`]) at a consistent cut, written to a temporary file, synced,
//!   renamed, the directory synced; segments they cover and snapshots beyond the [`Retention`]
//!   are removed.
//! - Recovery loads the newest valid snapshot and replays the log after it; see
//!   [`RecoveryReport`] and [`RecoveryMode`].
//! - [`fs`]: the file layer, with a simulated file system for crash and fault tests.
//!
//! Feature `metrics` records, through the `metrics` facade with the label `store="durable"`:
//! `wal.append.duration`, `wal.fsync.duration`, `wal.group.size`, `snapshot.duration`,
//! `snapshot.size.bytes`, `recovery.duration`, `recovery.records` and
//! `cache.operation.duration` (label `op`).

mod clock;
mod config;
mod error;
pub mod format;
pub mod fs;
mod gc;
mod layout;
mod metrics;
mod recovery;
mod report;
mod snapshot_file;
mod store;
mod wal;

pub use clock::UnixClock;
pub use config::{ConfigError, DurableConfig, FsyncPolicy, RecoveryMode, Retention};
pub use error::OpenError;
pub use report::{Dropped, RecoveryReport, TornTail};
pub use store::{DurableStore, DurableStoreBuilder, SnapshotError, SnapshotInfo};

//! Snapshots at a consistent cut, then garbage collection.
//!
//! The cut holds every writer out only while it rotates the log and copies the live entries
//! (reference-counted `Bytes`, no payload copy); writing the file, syncing it and collecting
//! garbage run with the writers going again.

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;

use super::Inner;
use crate::format::snapshot::Entry;
use crate::fs::PathError;
use crate::layout::SnapshotName;
use crate::{gc, metrics, snapshot_file};

/// A snapshot taken by [`DurableStore::snapshot`](crate::DurableStore::snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotInfo {
    /// The file.
    pub path: PathBuf,
    /// Log records below this sequence number are in it; the log after it holds the rest.
    pub cut_lsn: u64,
    /// Live entries in it.
    pub entries: u64,
    /// Its size.
    pub bytes: u64,
    /// Files garbage collection removed afterwards.
    pub removed: Vec<PathBuf>,
}

/// Why a snapshot was not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The log has failed; the store is read-only and takes no snapshot.
    #[error("no snapshot: {0}")]
    ReadOnly(#[source] cache_core::StoreError),
    /// Writing the snapshot failed; the log still holds everything.
    #[error("snapshot not written: {0}")]
    Write(#[source] PathError),
    /// The snapshot is durable but garbage collection failed; it is retried after the next one.
    #[error("snapshot written, garbage collection failed: {0}")]
    Collect(#[source] PathError),
}

impl Inner {
    pub(crate) fn snapshot(&self) -> Result<SnapshotInfo, SnapshotError> {
        let _one_at_a_time = self.snapshotting.lock();
        let started = Instant::now();
        let (cut_lsn, (created_at, entries)) = self
            .wal
            .cut(|| {
                let now = self.cache.clock().now();
                let entries: Vec<(Bytes, Bytes, Option<u64>)> = self
                    .cache
                    .iter()
                    .filter(|entry| entry.expires_at.is_none_or(|at| at > now))
                    .map(|entry| (entry.key, entry.value, entry.expires_at))
                    .collect();
                (now, entries)
            })
            .map_err(SnapshotError::ReadOnly)?;
        let name = SnapshotName::new(cut_lsn, created_at);
        let borrowed = entries.iter().map(|(key, value, expires_at)| Entry {
            key,
            value,
            expires_at: *expires_at,
        });
        let written = snapshot_file::write(self.fs.as_ref(), &self.dir, name, created_at, borrowed)
            .map_err(|error| incident("snapshot_write_failed", SnapshotError::Write(error)))?;
        metrics::snapshot(started.elapsed(), written.bytes);
        let now = self.cache.clock().now();
        let collected = gc::collect(self.fs.as_ref(), &self.dir, self.retention, now)
            .map_err(|error| incident("snapshot_gc_failed", SnapshotError::Collect(error)))?;
        tracing::debug!(path = %written.path.display(), cut_lsn, entries = written.entries, "snapshot taken");
        Ok(SnapshotInfo {
            path: written.path,
            cut_lsn,
            entries: written.entries,
            bytes: written.bytes,
            removed: collected.removed,
        })
    }
}

fn incident(incident: &'static str, error: SnapshotError) -> SnapshotError {
    tracing::error!(incident, error = %error, "durable store snapshot failed");
    error
}

//! [`RecoveryReport`]: what recovery read, and exactly what it truncated or dropped.

use std::path::PathBuf;

/// What [`DurableStore::open`](crate::DurableStore::open) recovered from the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// The snapshot recovery started from, if any.
    pub snapshot: Option<PathBuf>,
    /// Live entries loaded from it (expired ones are skipped).
    pub snapshot_entries: u64,
    /// Log records replayed after it.
    pub log_records: u64,
    /// Bytes of log read up to the last valid record of each segment (not counting the zeros a
    /// segment was reserved ahead with).
    pub log_bytes: u64,
    /// Sequence number of the next record the log will write.
    pub next_lsn: u64,
    /// The interrupted append cut from the end of the last segment, if there was one.
    pub torn_tail: Option<TornTail>,
    /// What tolerant recovery could not use and moved aside; empty unless files were damaged.
    pub dropped: Vec<Dropped>,
}

/// The torn end of the last segment: bytes of an append a crash interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment.
    pub path: PathBuf,
    /// Where the valid records end (the file was truncated to this length).
    pub offset: u64,
    /// Bytes cut off.
    pub bytes: u64,
}

/// A file, or the end of one, that tolerant recovery did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The damaged or unusable file.
    pub path: PathBuf,
    /// Where its content was preserved for inspection (`None`: the data was already missing).
    pub moved_to: Option<PathBuf>,
    /// Byte offset from which its content was not applied (0: none of it).
    pub from_offset: u64,
    /// For log files: log records from this sequence number on were not applied.
    pub from_lsn: Option<u64>,
    /// Why.
    pub reason: String,
}

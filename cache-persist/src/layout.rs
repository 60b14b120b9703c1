//! The store directory's file names: `wal-<first lsn>.log`, `snap-<cut lsn>-<unix ms>.snap`, the
//! `.tmp` a snapshot is written to before its rename, and `.dropped` for what tolerant recovery
//! set aside. Snapshot names carry their creation time so retention needs no file read.

use std::path::{Path, PathBuf};

const SEGMENT_PREFIX: &str = "wal-";
const SEGMENT_SUFFIX: &str = ".log";
const SNAPSHOT_PREFIX: &str = "snap-";
const SNAPSHOT_SUFFIX: &str = ".snap";
const TEMP_SUFFIX: &str = ".tmp";
const DROPPED_SUFFIX: &str = ".dropped";

/// The path of the segment whose first record is `first_lsn`.
pub(crate) fn segment_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(format!("{SEGMENT_PREFIX}{first_lsn:020}{SEGMENT_SUFFIX}"))
}

/// A snapshot file's name: its cut and its creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SnapshotName {
    /// Sequence number of the cut.
    pub(crate) cut_lsn: u64,
    /// Unix milliseconds when it was taken.
    pub(crate) created_ms: u64,
}

impl SnapshotName {
    /// The name of a snapshot cut at `cut_lsn` at `created_at` (Unix nanoseconds).
    pub(crate) fn new(cut_lsn: u64, created_at: u64) -> Self {
        Self {
            cut_lsn,
            created_ms: created_at / 1_000_000,
        }
    }

    /// Its path in `dir`.
    pub(crate) fn path(self, dir: &Path) -> PathBuf {
        let Self {
            cut_lsn,
            created_ms,
        } = self;
        dir.join(format!(
            "{SNAPSHOT_PREFIX}{cut_lsn:020}-{created_ms:016}{SNAPSHOT_SUFFIX}"
        ))
    }

    fn parse(name: &str) -> Option<Self> {
        let (cut, created) = name
            .strip_prefix(SNAPSHOT_PREFIX)?
            .strip_suffix(SNAPSHOT_SUFFIX)?
            .split_once('-')?;
        Some(Self {
            cut_lsn: digits(cut, 20)?,
            created_ms: digits(created, 16)?,
        })
    }
}

/// Where a snapshot is written before its rename.
pub(crate) fn temp_path(final_path: &Path) -> PathBuf {
    let mut path = final_path.as_os_str().to_owned();
    path.push(TEMP_SUFFIX);
    path.into()
}

/// Where a file tolerant recovery could not use is moved.
pub(crate) fn dropped_path(path: &Path) -> PathBuf {
    let mut dropped = path.as_os_str().to_owned();
    dropped.push(DROPPED_SUFFIX);
    dropped.into()
}

/// The store's files in a directory listing, each kind sorted by sequence number.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// First sequence numbers of the segments, ascending.
    pub(crate) segments: Vec<u64>,
    /// The snapshots, by ascending cut.
    pub(crate) snapshots: Vec<SnapshotName>,
    /// Names of snapshot files left half-written by a crash.
    pub(crate) temps: Vec<String>,
}

impl Listing {
    /// Sorts the names of a directory listing; names of other files are ignored.
    pub(crate) fn parse(names: impl IntoIterator<Item = String>) -> Self {
        let mut listing = Listing::default();
        for name in names {
            if name.ends_with(TEMP_SUFFIX) && name.starts_with(SNAPSHOT_PREFIX) {
                listing.temps.push(name);
            } else if let Some(lsn) = segment_number(&name) {
                listing.segments.push(lsn);
            } else if let Some(snapshot) = SnapshotName::parse(&name) {
                listing.snapshots.push(snapshot);
            }
        }
        listing.segments.sort_unstable();
        listing.snapshots.sort_unstable();
        listing
    }
}

fn segment_number(name: &str) -> Option<u64> {
    digits(
        name.strip_prefix(SEGMENT_PREFIX)?
            .strip_suffix(SEGMENT_SUFFIX)?,
        20,
    )
}

fn digits(text: &str, width: usize) -> Option<u64> {
    if text.len() == width && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_ignored() {
        let dir = Path::new("/d");
        let names = [
            segment_path(dir, 7),
            segment_path(dir, 3),
            SnapshotName::new(5, 2_000_000).path(dir),
            temp_path(&SnapshotName::new(9, 0).path(dir)),
            dropped_path(&segment_path(dir, 1)),
            PathBuf::from("/d/LOCK"),
            PathBuf::from("/d/wal-12.log"),
        ];
        let listing = Listing::parse(
            names
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned()),
        );
        assert_eq!(listing.segments, [3, 7]);
        assert_eq!(
            listing.snapshots,
            [SnapshotName {
                cut_lsn: 5,
                created_ms: 2
            }]
        );
        assert_eq!(
            listing.temps,
            ["snap-00000000000000000009-0000000000000000.snap.tmp"]
        );
    }
}

//! Garbage collection: snapshots beyond the retention, the log segments every kept snapshot
//! covers, and temporary files a crashed snapshot left behind.
//!
//! Every removal is safe on its own, so a crash part-way leaves a directory recovery reads as
//! before: the log is kept from the oldest kept snapshot's cut on, so recovery can still fall
//! back to that snapshot if a newer one turns out corrupt.

use std::path::{Path, PathBuf};

use crate::Retention;
use crate::fs::{FileSystem, PathError};
use crate::layout::{self, Listing};

/// What one collection removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Collected {
    /// Removed files.
    pub(crate) removed: Vec<PathBuf>,
}

/// Removes what `retention` no longer needs, as of `now` (Unix nanoseconds).
pub(crate) fn collect(
    fs: &dyn FileSystem,
    dir: &Path,
    retention: Retention,
    now: u64,
) -> Result<Collected, PathError> {
    let names = fs.list(dir).map_err(PathError::new("list", dir))?;
    let listing = Listing::parse(names);
    let now_ms = now / 1_000_000;
    let max_age_ms = u64::try_from(retention.max_age.as_millis()).unwrap_or(u64::MAX);
    let mut doomed: Vec<PathBuf> = Vec::new();
    let newest_first = listing.snapshots.iter().rev();
    let mut oldest_kept = None;
    for (rank, snapshot) in newest_first.enumerate() {
        let too_old = now_ms.saturating_sub(snapshot.created_ms) > max_age_ms;
        if rank == 0 || (rank < retention.keep && !too_old) {
            oldest_kept = Some(snapshot.cut_lsn);
        } else {
            doomed.push(snapshot.path(dir));
        }
    }
    if let Some(cut) = oldest_kept {
        for pair in listing.segments.windows(2) {
            if pair[1] <= cut {
                doomed.push(layout::segment_path(dir, pair[0]));
            }
        }
    }
    doomed.extend(listing.temps.iter().map(|name| dir.join(name)));
    for path in &doomed {
        fs.remove(path).map_err(PathError::new("remove", path))?;
    }
    if !doomed.is_empty() {
        fs.sync_dir(dir)
            .map_err(PathError::new("sync directory", dir))?;
    }
    Ok(Collected { removed: doomed })
}

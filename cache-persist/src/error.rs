//! Why a [`DurableStore`](crate::DurableStore) did not open.

use std::path::PathBuf;

use crate::ConfigError;
use crate::format::FormatError;
use crate::fs::PathError;

/// The error of [`DurableStore::open`](crate::DurableStore::open): each variant names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The configuration is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Another open store (in this process or another) holds the directory's lock.
    #[error("store directory `{}` is already open in another store or process", dir.display())]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Strict recovery found damage other than a torn tail.
    #[error("corrupt file `{}` (strict recovery refuses to open): {source}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        source: FormatError,
    },
    /// Strict recovery found log records missing: a segment file is gone.
    #[error(
        "log records {from}..{to} are missing before `{}` (strict recovery refuses to open)",
        path.display()
    )]
    MissingRecords {
        /// The first segment after the gap.
        path: PathBuf,
        /// First missing sequence number.
        from: u64,
        /// First sequence number present again.
        to: u64,
    },
    /// The cache could not hold what recovery read (a smaller `max_entries`, say).
    #[error("recovered data does not fit the cache: {0}")]
    Cache(#[source] cache_core::StoreError),
}

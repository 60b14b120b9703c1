//! Writing a snapshot durably: a temporary file, synced, renamed into place, directory synced.
//! A crash at any step leaves either no new snapshot or a complete one.

use std::path::{Path, PathBuf};

use crate::format::snapshot::{Encoder, Entry};
use crate::fs::{FileSystem, PathError};
use crate::layout::{self, SnapshotName};

/// Bytes gathered before each write to the file.
const CHUNK: usize = 1 << 20;

/// A snapshot on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// Its final path.
    pub(crate) path: PathBuf,
    /// Its size in bytes.
    pub(crate) bytes: u64,
    /// Entries in it.
    pub(crate) entries: u64,
}

/// Writes the snapshot cut at `cut_lsn` with `entries`, and makes it durable.
pub(crate) fn write<'a>(
    fs: &dyn FileSystem,
    dir: &Path,
    name: SnapshotName,
    created_at: u64,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<Written, PathError> {
    let path = name.path(dir);
    let temp = layout::temp_path(&path);
    let mut file = fs.create(&temp).map_err(PathError::new("create", &temp))?;
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let mut bytes = 0;
    let mut encoder = Encoder::start(&mut buf, name.cut_lsn, created_at);
    for entry in entries {
        encoder.entry(&mut buf, entry);
        if buf.len() >= CHUNK {
            file.write_all(&buf)
                .map_err(PathError::new("write", &temp))?;
            bytes += buf.len() as u64;
            buf.clear();
        }
    }
    let entries = encoder.finish(&mut buf);
    file.write_all(&buf)
        .map_err(PathError::new("write", &temp))?;
    bytes += buf.len() as u64;
    file.sync_data().map_err(PathError::new("sync", &temp))?;
    drop(file);
    fs.rename(&temp, &path)
        .map_err(PathError::new("rename", &temp))?;
    fs.sync_dir(dir)
        .map_err(PathError::new("sync directory", dir))?;
    Ok(Written {
        path,
        bytes,
        entries,
    })
}

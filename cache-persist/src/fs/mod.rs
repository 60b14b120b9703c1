//! The file layer every byte of the store goes through, so tests can inject faults and power
//! loss: [`OsFs`] for real directories, [`SimulatedFs`] for crash and fault scenarios.

mod os;
mod simulated;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use os::OsFs;
pub use simulated::{Fault, SimulatedFs};

/// A file being appended to: a log segment or a snapshot being written.
pub trait WritableFile: Send + fmt::Debug {
    /// Appends all of `buf` (to the OS cache: not durable until [`WritableFile::sync_data`]).
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;

    /// Makes everything written so far durable (`fdatasync`). After an error the file's state on
    /// disk is unknown: callers must not retry and then trust it.
    fn sync_data(&mut self) -> io::Result<()>;

    /// Grows the file to `len` bytes, zero-filled, without moving where the next write goes: a
    /// sync after writes within that length then has no new file size to record, which makes it
    /// cheaper. Never shrinks the file. The default does nothing.
    fn reserve(&mut self, len: u64) -> io::Result<()> {
        let _ = len;
        Ok(())
    }
}

/// Holds a directory's exclusive lock until dropped.
pub trait DirLock: Send + Sync + fmt::Debug {}

/// The directory operations the store needs.
pub trait FileSystem: Send + Sync + fmt::Debug + 'static {
    /// Creates `dir` and its parents if missing.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// Takes the exclusive lock of `dir`; fails with [`io::ErrorKind::WouldBlock`] while another
    /// holder (in this process or another) has it.
    fn lock_dir(&self, dir: &Path) -> io::Result<Box<dyn DirLock>>;

    /// The names of the files directly in `dir`.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;

    /// The whole content of `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Creates `path`, truncating it if it exists, for appending.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Shortens `path` to `len` bytes and makes that durable.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;

    /// Renames `from` to `to`, replacing `to`; durable after [`FileSystem::sync_dir`].
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes `path`; durable after [`FileSystem::sync_dir`].
    fn remove(&self, path: &Path) -> io::Result<()>;

    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// An I/O error with the operation and the path it concerned.
#[derive(Debug, thiserror::Error)]
#[error("could not {action} `{}`: {source}", path.display())]
pub struct PathError {
    /// What was being done, e.g. `sync`.
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: io::Error,
}

impl PathError {
    pub(crate) fn new(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| PathError {
            action,
            path,
            source,
        }
    }
}

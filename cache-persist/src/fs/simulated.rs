//! An in-memory file system that models what survives a power loss, with injectable faults.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{DirLock, FileSystem, WritableFile};

/// A fault [`SimulatedFs`] injects from the moment it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every `sync_data` fails (and syncs nothing).
    FailSync,
    /// Every file write fails (and writes nothing).
    FailWrite,
    /// Operations succeed until `n` more have run; every later one fails, as if the process had
    /// died at that step.
    StopAfter(u64),
}

/// An in-memory [`FileSystem`] that keeps, per file, the bytes written and the bytes synced, and
/// per directory, the entries seen and the entries synced; [`SimulatedFs::power_loss`] keeps only
/// what was synced. Clones share one file system.
///
/// ```
/// use std::path::Path;
/// use cache_persist::fs::{FileSystem, SimulatedFs};
///
/// let fs = SimulatedFs::new();
/// let dir = Path::new("/data");
/// fs.create_dir_all(dir).unwrap();
/// let mut file = fs.create(&dir.join("a")).unwrap();
/// file.write_all(b"synced").unwrap();
/// file.sync_data().unwrap();
/// fs.sync_dir(dir).unwrap();
/// file.write_all(b" and lost").unwrap();
/// fs.power_loss();
/// assert_eq!(fs.read(&dir.join("a")).unwrap(), b"synced");
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimulatedFs {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    data: HashMap<u64, Data>,
    next_id: u64,
    names: HashMap<PathBuf, u64>,
    synced_names: HashMap<PathBuf, u64>,
    dirs: HashSet<PathBuf>,
    locked: HashSet<PathBuf>,
    fault: Option<Fault>,
    ops: u64,
}

#[derive(Debug, Default, Clone)]
struct Data {
    written: Vec<u8>,
    synced: Vec<u8>,
}

impl State {
    /// Counts one operation and fails it when a [`Fault::StopAfter`] budget is spent.
    fn step(&mut self) -> io::Result<()> {
        self.ops += 1;
        match self.fault {
            Some(Fault::StopAfter(0)) => Err(injected("stopped")),
            Some(Fault::StopAfter(n)) => {
                self.fault = Some(Fault::StopAfter(n - 1));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn id(&self, path: &Path) -> io::Result<u64> {
        self.names
            .get(path)
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("injected fault: {what}"))
}

impl SimulatedFs {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Injects `fault` from now on, replacing any previous one.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().fault = Some(fault);
    }

    /// Operations run so far: for failing each step of a scenario in turn.
    pub fn operations(&self) -> u64 {
        self.state.lock().ops
    }

    /// The process died: faults and directory locks are cleared, every written byte stays.
    pub fn process_crash(&self) {
        let mut state = self.state.lock();
        state.fault = None;
        state.locked.clear();
    }

    /// The machine lost power: only synced bytes and synced directory entries survive.
    pub fn power_loss(&self) {
        let mut state = self.state.lock();
        state.fault = None;
        state.locked.clear();
        state.names = state.synced_names.clone();
        for data in state.data.values_mut() {
            data.written = data.synced.clone();
        }
    }
}

#[derive(Debug)]
struct SimulatedFile {
    id: u64,
    state: Arc<Mutex<State>>,
    /// Where the next write goes: before the end once the file was reserved ahead.
    position: usize,
}

impl WritableFile for SimulatedFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        if state.fault == Some(Fault::FailWrite) {
            return Err(injected("write failed"));
        }
        let data = state
            .data
            .get_mut(&self.id)
            .expect("files are never forgotten");
        let end = self.position + buf.len();
        if data.written.len() < end {
            data.written.resize(end, 0);
        }
        data.written[self.position..end].copy_from_slice(buf);
        self.position = end;
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        if state.fault == Some(Fault::FailSync) {
            return Err(injected("fsync failed"));
        }
        let data = state
            .data
            .get_mut(&self.id)
            .expect("files are never forgotten");
        data.synced = data.written.clone();
        Ok(())
    }

    fn reserve(&mut self, len: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        let data = state
            .data
            .get_mut(&self.id)
            .expect("files are never forgotten");
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if data.written.len() < len {
            data.written.resize(len, 0);
        }
        Ok(())
    }
}

#[derive(Debug)]
struct SimulatedLock {
    dir: PathBuf,
    state: Arc<Mutex<State>>,
}

impl DirLock for SimulatedLock {}

impl Drop for SimulatedLock {
    fn drop(&mut self) {
        self.state.lock().locked.remove(&self.dir);
    }
}

impl FileSystem for SimulatedFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        state.dirs.insert(dir.to_path_buf());
        Ok(())
    }

    fn lock_dir(&self, dir: &Path) -> io::Result<Box<dyn DirLock>> {
        let mut state = self.state.lock();
        state.step()?;
        if !state.locked.insert(dir.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "directory is locked",
            ));
        }
        let state = Arc::clone(&self.state);
        Ok(Box::new(SimulatedLock {
            dir: dir.to_path_buf(),
            state,
        }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut state = self.state.lock();
        state.step()?;
        if !state.dirs.contains(dir) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"));
        }
        let names = state.names.keys().filter(|path| path.parent() == Some(dir));
        Ok(names
            .filter_map(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect())
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut state = self.state.lock();
        state.step()?;
        let id = state.id(path)?;
        Ok(state.data[&id].written.clone())
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut state = self.state.lock();
        state.step()?;
        let id = state.next_id;
        state.next_id += 1;
        state.data.insert(id, Data::default());
        state.names.insert(path.to_path_buf(), id);
        let state = Arc::clone(&self.state);
        Ok(Box::new(SimulatedFile {
            id,
            state,
            position: 0,
        }))
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        let id = state.id(path)?;
        let data = state.data.get_mut(&id).expect("named files exist");
        data.written
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        data.synced = data.written.clone();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        let id = state.id(from)?;
        state.names.remove(from);
        state.names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        state.id(path)?;
        state.names.remove(path);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.step()?;
        let in_dir = |path: &PathBuf| path.parent() == Some(dir);
        state.synced_names.retain(|path, _| !in_dir(path));
        let live: Vec<_> = state
            .names
            .iter()
            .filter(|(p, _)| in_dir(p))
            .map(|(p, id)| (p.clone(), *id))
            .collect();
        state.synced_names.extend(live);
        Ok(())
    }
}

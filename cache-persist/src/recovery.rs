//! Recovery: the newest valid snapshot, then every later log record, in order.
//!
//! A torn tail of the last segment (an interrupted append) is truncated in every mode. Other
//! damage (a corrupt snapshot, a corrupt record before the end, a missing segment) stops strict
//! recovery; tolerant recovery falls back to an older snapshot, or stops replaying at the damage,
//! moves what it did not apply aside as `*.dropped`, and lists it in the report. Replay never
//! continues past a gap in the log, so a lost delete cannot bring a record back.

use std::path::Path;

use bytes::Bytes;

use crate::format::record::WalRecord;
use crate::format::{FormatError, segment, snapshot};
use crate::fs::{FileSystem, PathError};
use crate::layout::{self, Listing};
use crate::report::{Dropped, RecoveryReport, TornTail};
use crate::{OpenError, RecoveryMode};

/// Where replayed state goes: each snapshot entry and log record, in order, with records whose
/// expiry has passed turned into deletes. The record borrows from the file's bytes, handed along
/// so that keys and values can be kept as slices of them (`Bytes::slice_ref`) instead of copies.
pub(crate) type Apply<'f> = dyn FnMut(&Bytes, WalRecord<'_>) -> Result<(), OpenError> + 'f;

/// Recovers the store in `dir` as of `now` (Unix nanoseconds) into `apply`.
pub(crate) fn recover(
    fs: &dyn FileSystem,
    dir: &Path,
    mode: RecoveryMode,
    now: u64,
    apply: &mut Apply<'_>,
) -> Result<RecoveryReport, OpenError> {
    let names = fs.list(dir).map_err(PathError::new("list", dir))?;
    let listing = Listing::parse(names);
    let mut recovery = Recovery {
        fs,
        dir,
        mode,
        report: RecoveryReport::default(),
    };
    let mut apply_live = |file: &Bytes, record: WalRecord<'_>| match record {
        WalRecord::Set {
            key,
            expires_at: Some(at),
            ..
        } if at <= now => apply(file, WalRecord::Delete { key }),
        live => apply(file, live),
    };
    let cut = recovery.load_snapshot(&listing, &mut apply_live)?;
    recovery.replay_log(&listing, cut, &mut apply_live)?;
    Ok(recovery.report)
}

struct Recovery<'a> {
    fs: &'a dyn FileSystem,
    dir: &'a Path,
    mode: RecoveryMode,
    report: RecoveryReport,
}

impl Recovery<'_> {
    /// Applies the newest valid snapshot; returns its cut (0 without one).
    fn load_snapshot(
        &mut self,
        listing: &Listing,
        apply: &mut Apply<'_>,
    ) -> Result<u64, OpenError> {
        for name in listing.snapshots.iter().rev() {
            let path = name.path(self.dir);
            let bytes = Bytes::from(self.fs.read(&path).map_err(PathError::new("read", &path))?);
            let decoded = snapshot::decode(&bytes).and_then(|(meta, entries)| {
                if meta.cut_lsn == name.cut_lsn {
                    Ok(entries)
                } else {
                    let expected = "a header whose cut matches the file name";
                    Err(FormatError::UnexpectedRecord {
                        offset: 8,
                        expected,
                    })
                }
            });
            match decoded {
                Ok(entries) => {
                    for entry in &entries {
                        let snapshot::Entry {
                            key,
                            value,
                            expires_at,
                        } = *entry;
                        let record = WalRecord::Set {
                            key,
                            value,
                            expires_at,
                        };
                        apply(&bytes, record)?;
                    }
                    self.report.snapshot = Some(path);
                    self.report.snapshot_entries = entries.len() as u64;
                    return Ok(name.cut_lsn);
                }
                Err(error) => {
                    self.drop_whole(&path, None, error.to_string(), || OpenError::Corrupt {
                        path: path.clone(),
                        source: error.clone(),
                    })?
                }
            }
        }
        Ok(0)
    }

    /// Replays every record from `cut` on.
    fn replay_log(
        &mut self,
        listing: &Listing,
        cut: u64,
        apply: &mut Apply<'_>,
    ) -> Result<(), OpenError> {
        let needed: Vec<u64> = listing
            .segments
            .iter()
            .enumerate()
            .filter(|(i, _)| listing.segments.get(i + 1).is_none_or(|next| *next > cut))
            .map(|(_, first)| *first)
            .collect();
        let mut next_lsn = cut;
        for (i, &first_lsn) in needed.iter().enumerate() {
            let path = layout::segment_path(self.dir, first_lsn);
            let later = &needed[i + 1..];
            if first_lsn > next_lsn {
                let (from, to) = (next_lsn, first_lsn);
                let missing = || OpenError::MissingRecords {
                    path: path.clone(),
                    from,
                    to,
                };
                if self.report.snapshot.is_none() && i == 0 {
                    // Nothing older to keep consistent with: replaying what remains onto an
                    // empty store loses the missing records' keys but revives nothing.
                    self.missing_base(&path, from, to, missing)?;
                    next_lsn = first_lsn;
                } else {
                    let reason = format!("log records {from}..{to} are missing");
                    self.drop_whole(&path, Some(first_lsn), reason, missing)?;
                    return self.drop_segments(later, next_lsn, "follows missing log records");
                }
            }
            let bytes = Bytes::from(self.fs.read(&path).map_err(PathError::new("read", &path))?);
            let mut failed = None;
            let mut replayed = 0;
            let scan = segment::scan(&bytes, |lsn, record| {
                if lsn >= cut && failed.is_none() {
                    match apply(&bytes, record) {
                        Ok(()) => replayed += 1,
                        Err(error) => failed = Some(error),
                    }
                }
            });
            if let Some(error) = failed {
                return Err(error);
            }
            self.report.log_records += replayed;
            let is_last = later.is_empty();
            let scan = match scan {
                Ok(scan) if scan.first_lsn == first_lsn => scan,
                Err(FormatError::ShortHeader { len }) if is_last => {
                    // A crash while the segment was being created: nothing in it was acknowledged.
                    self.fs
                        .remove(&path)
                        .map_err(PathError::new("remove", &path))?;
                    self.fs
                        .sync_dir(self.dir)
                        .map_err(PathError::new("sync directory", self.dir))?;
                    let (offset, bytes) = (0, len as u64);
                    self.report.torn_tail = Some(TornTail {
                        path,
                        offset,
                        bytes,
                    });
                    break;
                }
                other => {
                    let error = other.err().unwrap_or(FormatError::HeaderChecksum);
                    let reason = error.to_string();
                    let corrupt = || OpenError::Corrupt {
                        path: path.clone(),
                        source: error.clone(),
                    };
                    self.drop_whole(&path, Some(next_lsn.max(first_lsn)), reason, corrupt)?;
                    return self.drop_segments(later, next_lsn, "follows a corrupt segment");
                }
            };
            self.report.log_bytes += scan.end as u64;
            next_lsn = next_lsn.max(scan.first_lsn + scan.records);
            let Some(damage) = scan.damage else { continue };
            let offset = damage.offset as u64;
            if is_last && damage.torn {
                self.truncate_torn(&path, offset, bytes.len() as u64 - offset)?;
            } else {
                let corrupt = || OpenError::Corrupt {
                    path: path.clone(),
                    source: damage.error.clone(),
                };
                self.drop_tail(
                    &path,
                    &bytes,
                    offset,
                    next_lsn,
                    damage.error.to_string(),
                    corrupt,
                )?;
                return self.drop_segments(later, next_lsn, "follows a corrupt record");
            }
        }
        self.report.next_lsn = next_lsn;
        Ok(())
    }

    fn truncate_torn(&mut self, path: &Path, offset: u64, bytes: u64) -> Result<(), OpenError> {
        self.fs
            .truncate(path, offset)
            .map_err(PathError::new("truncate", path))?;
        tracing::info!(path = %path.display(), offset, bytes, "truncated the torn tail of the log");
        self.report.torn_tail = Some(TornTail {
            path: path.to_path_buf(),
            offset,
            bytes,
        });
        Ok(())
    }

    /// Sets a whole file aside, or fails in strict mode.
    fn drop_whole(
        &mut self,
        path: &Path,
        from_lsn: Option<u64>,
        reason: String,
        strict: impl FnOnce() -> OpenError,
    ) -> Result<(), OpenError> {
        if self.mode == RecoveryMode::Strict {
            return Err(strict());
        }
        let moved_to = layout::dropped_path(path);
        self.fs
            .rename(path, &moved_to)
            .map_err(PathError::new("rename", path))?;
        self.fs
            .sync_dir(self.dir)
            .map_err(PathError::new("sync directory", self.dir))?;
        let (path, moved_to) = (path.to_path_buf(), Some(moved_to));
        self.record_drop(Dropped {
            path,
            moved_to,
            from_offset: 0,
            from_lsn,
            reason,
        });
        Ok(())
    }

    /// Keeps a segment up to `offset` and sets a copy of the whole file aside.
    fn drop_tail(
        &mut self,
        path: &Path,
        bytes: &[u8],
        offset: u64,
        from_lsn: u64,
        reason: String,
        strict: impl FnOnce() -> OpenError,
    ) -> Result<(), OpenError> {
        if self.mode == RecoveryMode::Strict {
            return Err(strict());
        }
        let moved_to = layout::dropped_path(path);
        let mut copy = self
            .fs
            .create(&moved_to)
            .map_err(PathError::new("create", &moved_to))?;
        copy.write_all(bytes)
            .map_err(PathError::new("write", &moved_to))?;
        copy.sync_data()
            .map_err(PathError::new("sync", &moved_to))?;
        self.fs
            .truncate(path, offset)
            .map_err(PathError::new("truncate", path))?;
        self.fs
            .sync_dir(self.dir)
            .map_err(PathError::new("sync directory", self.dir))?;
        let (from_lsn, moved_to) = (Some(from_lsn), Some(moved_to));
        let path = path.to_path_buf();
        self.record_drop(Dropped {
            path,
            moved_to,
            from_offset: offset,
            from_lsn,
            reason,
        });
        Ok(())
    }

    /// Sets aside every segment after one that could not be replayed to its end; the log goes
    /// on from `next_lsn`, the first record not applied.
    fn drop_segments(
        &mut self,
        firsts: &[u64],
        next_lsn: u64,
        reason: &str,
    ) -> Result<(), OpenError> {
        for &first_lsn in firsts {
            let path = layout::segment_path(self.dir, first_lsn);
            let strict = || unreachable!("strict recovery stopped at the first damage");
            self.drop_whole(&path, Some(first_lsn), reason.to_owned(), strict)?;
        }
        self.report.next_lsn = next_lsn;
        Ok(())
    }

    /// The log starts after 0 and no snapshot covers what came before.
    fn missing_base(
        &mut self,
        path: &Path,
        from: u64,
        to: u64,
        strict: impl FnOnce() -> OpenError,
    ) -> Result<(), OpenError> {
        if self.mode == RecoveryMode::Strict {
            return Err(strict());
        }
        let reason = format!("log records {from}..{to} are missing and no snapshot covers them");
        let path = path.to_path_buf();
        self.record_drop(Dropped {
            path,
            moved_to: None,
            from_offset: 0,
            from_lsn: Some(from),
            reason,
        });
        Ok(())
    }

    fn record_drop(&mut self, dropped: Dropped) {
        tracing::error!(
            incident = "persist_recovery_dropped_data",
            path = %dropped.path.display(),
            moved_to = ?dropped.moved_to,
            from_offset = dropped.from_offset,
            from_lsn = dropped.from_lsn,
            reason = %dropped.reason,
            "recovery could not use part of the store directory and set it aside"
        );
        self.report.dropped.push(dropped);
    }
}

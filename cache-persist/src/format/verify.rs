//! Checks of a whole file's bytes, for tools and fuzzing: the same decoders recovery uses.

use super::{FormatError, segment, snapshot};

/// A log segment that decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentSummary {
    /// Sequence number of its first record.
    pub first_lsn: u64,
    /// Valid records.
    pub records: u64,
    /// Byte offset where a torn tail (an interrupted append) starts, if the segment has one.
    pub torn_tail_at: Option<usize>,
}

/// A snapshot that decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotSummary {
    /// Log records from this sequence number on come after the snapshot.
    pub cut_lsn: u64,
    /// Unix nanoseconds when it was taken.
    pub created_at: u64,
    /// Entries it holds.
    pub entries: u64,
}

/// Decodes a log segment's bytes; a damaged record followed by valid ones is an error, a damaged
/// tail is reported in [`SegmentSummary::torn_tail_at`].
///
/// ```
/// let err = cache_persist::format::verify_segment(b"not a segment").unwrap_err();
/// assert_eq!(err, cache_persist::format::FormatError::ShortHeader { len: 13 });
/// ```
pub fn verify_segment(bytes: &[u8]) -> Result<SegmentSummary, FormatError> {
    let scan = segment::scan(bytes, |_, _| {})?;
    let torn_tail_at = match scan.damage {
        None => None,
        Some(damage) if damage.torn => Some(damage.offset),
        Some(damage) => return Err(damage.error),
    };
    Ok(SegmentSummary {
        first_lsn: scan.first_lsn,
        records: scan.records,
        torn_tail_at,
    })
}

/// Decodes a snapshot's bytes: valid as a whole, or the first thing wrong with it.
pub fn verify_snapshot(bytes: &[u8]) -> Result<SnapshotSummary, FormatError> {
    let (meta, _) = snapshot::decode(bytes)?;
    Ok(SnapshotSummary {
        cut_lsn: meta.cut_lsn,
        created_at: meta.created_at,
        entries: meta.entries,
    })
}

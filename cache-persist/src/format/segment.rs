//! Log segments: a versioned header naming the first sequence number, then framed records.
//!
//! ```text
//! "RSWL" | version u32 LE | first_lsn u64 LE | CRC32C of the 16 bytes before, u32 LE
//! frame*
//! zero*          (version 2: the part of the file reserved ahead and not written yet)
//! ```
//!
//! No record has an empty payload, so a frame header of zeros is where the records end; the
//! rest of the segment must be zeros too, or it is damage.

use super::record::{WalRecord, decode_payload};
use super::{FormatError, frame};

const MAGIC: &[u8; 4] = b"RSWL";
/// The version written: 2, whose segments may end in zeros. Version 1 segments (which end at
/// their last record) are still read.
const VERSION: u32 = 2;
const OLDEST_READ: u32 = 1;
/// Size of the segment header.
pub(crate) const HEADER_LEN: usize = 20;

/// The header of a segment whose first record has sequence number `first_lsn`.
pub(crate) fn encode_header(first_lsn: u64) -> [u8; HEADER_LEN] {
    let mut header = [0; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&VERSION.to_le_bytes());
    header[8..16].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32c::crc32c(&header[..16]);
    header[16..].copy_from_slice(&crc.to_le_bytes());
    header
}

fn decode_header(bytes: &[u8]) -> Result<u64, FormatError> {
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::ShortHeader { len: bytes.len() });
    }
    if &bytes[..4] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u32::from_le_bytes(bytes[4..8].try_into().expect("four bytes"));
    if !(OLDEST_READ..=VERSION).contains(&version) {
        return Err(FormatError::UnsupportedVersion { version });
    }
    let stored = u32::from_le_bytes(bytes[16..20].try_into().expect("four bytes"));
    if stored != crc32c::crc32c(&bytes[..16]) {
        return Err(FormatError::HeaderChecksum);
    }
    Ok(u64::from_le_bytes(
        bytes[8..16].try_into().expect("eight bytes"),
    ))
}

/// Where a segment stops being valid, and whether that looks like an interrupted append.
#[derive(Debug)]
pub(crate) struct Damage {
    /// Byte offset of the first invalid record.
    pub(crate) offset: usize,
    /// What is wrong there.
    pub(crate) error: FormatError,
    /// True when no valid record follows the damage: the shape a crash mid-append leaves.
    pub(crate) torn: bool,
}

/// What a scan of one segment found.
#[derive(Debug)]
pub(crate) struct Scan {
    /// Sequence number of the segment's first record.
    pub(crate) first_lsn: u64,
    /// Valid records, in order.
    pub(crate) records: u64,
    /// Where the valid records end: the bytes of log they take, header included.
    pub(crate) end: usize,
    /// The first invalid record, if any.
    pub(crate) damage: Option<Damage>,
}

/// Decodes a whole segment, handing each valid record and its sequence number to `apply`.
///
/// Only a bad header is an error: damage after it stops the scan and is described in
/// [`Scan::damage`], with every record before it already applied.
pub(crate) fn scan<'a>(
    bytes: &'a [u8],
    mut apply: impl FnMut(u64, WalRecord<'a>),
) -> Result<Scan, FormatError> {
    let first_lsn = decode_header(bytes)?;
    let mut offset = HEADER_LEN;
    let mut records = 0;
    while offset < bytes.len() {
        if is_zero_tail(&bytes[offset..]) {
            break;
        }
        match decode_record(&bytes[offset..]) {
            Ok((record, size)) => {
                apply(first_lsn + records, record);
                records += 1;
                offset += size;
            }
            Err((error, size)) => {
                let torn = !valid_record_follows(bytes, offset, size);
                let error = error.at(offset);
                let damage = Some(Damage {
                    offset,
                    error,
                    torn,
                });
                return Ok(Scan {
                    first_lsn,
                    records,
                    end: offset,
                    damage,
                });
            }
        }
    }
    Ok(Scan {
        first_lsn,
        records,
        end: offset,
        damage: None,
    })
}

/// Whether `rest` is the unwritten, zero-filled end of a segment. Only a frame header of zeros
/// (which no record has) leads to the look at everything after it.
fn is_zero_tail(rest: &[u8]) -> bool {
    let header = &rest[..rest.len().min(frame::FRAME_HEADER)];
    header.iter().all(|&b| b == 0) && rest.iter().all(|&b| b == 0)
}

/// A record and its frame size, or the error and the frame size it claimed (if it claimed one).
fn decode_record(bytes: &[u8]) -> Result<(WalRecord<'_>, usize), (FormatError, Option<usize>)> {
    match frame::decode(bytes) {
        Ok((payload, size)) => match decode_payload(payload) {
            Ok(record) => Ok((record, size)),
            Err(error) => Err((FormatError::payload(error), Some(size))),
        },
        Err(error @ frame::FrameError::Checksum { .. }) => {
            let length = u32::from_le_bytes(bytes[..4].try_into().expect("checked")) as usize;
            Err((
                FormatError::frame(error),
                Some(frame::FRAME_HEADER + length),
            ))
        }
        Err(error) => Err((FormatError::frame(error), None)),
    }
}

/// Follows the frame chain past a damaged record: a bad checksum with valid records after it is
/// a damaged record inside the log, not the torn end of an append.
fn valid_record_follows(bytes: &[u8], offset: usize, size: Option<usize>) -> bool {
    let Some(size) = size else { return false };
    let next = offset + size;
    next < bytes.len() && decode_record(&bytes[next..]).is_ok()
}

#[cfg(test)]
mod tests {
    use super::super::record::encode_frame;
    use super::*;

    fn segment(first_lsn: u64, keys: &[&[u8]]) -> Vec<u8> {
        let mut bytes = encode_header(first_lsn).to_vec();
        for key in keys {
            encode_frame(&mut bytes, &WalRecord::Delete { key });
        }
        bytes
    }

    #[test]
    fn numbers_records_from_the_header() {
        let bytes = segment(40, &[b"a", b"b"]);
        let mut seen = Vec::new();
        let scan = scan(&bytes, |lsn, record| seen.push((lsn, record))).unwrap();
        assert_eq!(scan.records, 2);
        assert!(scan.damage.is_none());
        assert_eq!(seen[1], (41, WalRecord::Delete { key: b"b" }));
    }

    #[test]
    fn a_bad_header_is_an_error() {
        let mut bytes = segment(0, &[]);
        bytes[9] ^= 1;
        assert!(matches!(
            scan(&bytes, |_, _| {}),
            Err(FormatError::HeaderChecksum)
        ));
        assert!(matches!(
            scan(b"RSW", |_, _| {}),
            Err(FormatError::ShortHeader { .. })
        ));
        let mut future = segment(0, &[]);
        future[4] = 9;
        assert!(matches!(
            scan(&future, |_, _| {}),
            Err(FormatError::UnsupportedVersion { version: 9 })
        ));
    }

    #[test]
    fn records_end_where_the_zeros_reserved_ahead_begin() {
        let written = segment(7, &[b"a", b"b"]);
        let mut reserved = written.clone();
        reserved.resize(written.len() + 4096, 0);
        let scan = scan(&reserved, |_, _| {}).unwrap();
        assert_eq!((scan.records, scan.end), (2, written.len()));
        assert!(
            scan.damage.is_none(),
            "zeros past the records are no damage"
        );
        let short = [&written[..], &[0; 3]].concat();
        assert!(super::scan(&short, |_, _| {}).unwrap().damage.is_none());
    }

    #[test]
    fn bytes_after_the_zeros_are_damage() {
        let written = segment(0, &[b"a"]);
        let mut bytes = written.clone();
        bytes.resize(written.len() + 64, 0);
        bytes[written.len() + 40] = 1;
        let scan = scan(&bytes, |_, _| {}).unwrap();
        assert_eq!(scan.records, 1);
        let damage = scan.damage.expect("a stray byte in the zeros");
        assert_eq!(damage.offset, written.len());
        assert!(
            damage.torn,
            "no valid record follows: the shape of an interrupted write"
        );
    }

    #[test]
    fn version_one_segments_are_still_read() {
        let mut bytes = segment(3, &[b"a"]);
        bytes[4..8].copy_from_slice(&1_u32.to_le_bytes());
        let crc = crc32c::crc32c(&bytes[..16]);
        bytes[16..20].copy_from_slice(&crc.to_le_bytes());
        let scan = scan(&bytes, |_, _| {}).unwrap();
        assert_eq!((scan.first_lsn, scan.records), (3, 1));
    }

    #[test]
    fn damage_in_the_middle_is_not_a_torn_tail() {
        let bytes = segment(0, &[b"a", b"b", b"c"]);
        let second = HEADER_LEN + (bytes.len() - HEADER_LEN) / 3;
        let mut middle = bytes.clone();
        middle[second + 9] ^= 0x10;
        let found = scan(&middle, |_, _| {}).unwrap().damage.unwrap();
        assert_eq!(found.offset, second);
        assert!(!found.torn);
        let mut last = bytes.clone();
        let third = bytes.len() - (bytes.len() - HEADER_LEN) / 3;
        last[third + 9] ^= 0x10;
        assert!(scan(&last, |_, _| {}).unwrap().damage.unwrap().torn);
    }
}

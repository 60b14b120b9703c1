//! Log segments: a versioned header naming the first sequence number, then framed records.
//!
//! ```text
//! "RSWL" | version u32 LE | first_lsn u64 LE | CRC32C of the 16 bytes before, u32 LE
//! frame*
//! ```

use super::record::{WalRecord, decode_payload};
use super::{FormatError, frame};

const MAGIC: &[u8; 4] = b"RSWL";
const VERSION: u32 = 1;
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
    if version != VERSION {
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
                    damage,
                });
            }
        }
    }
    Ok(Scan {
        first_lsn,
        records,
        damage: None,
    })
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

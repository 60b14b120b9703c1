//! Snapshot files: a versioned prefix, then framed records: one header, the entries, one footer.
//!
//! ```text
//! "RSSN" | version u32 LE
//! frame(Header { cut_lsn, created_at }) frame(Entry { key, value, expires_at })* frame(Footer { entries })
//! ```
//!
//! Every frame carries its own checksum and the footer its entry count, so a snapshot is either
//! valid as a whole or rejected as a whole.

use super::record::{SnapshotRecord, decode_payload, encode_frame};
use super::{FormatError, frame};

const MAGIC: &[u8; 4] = b"RSSN";
const VERSION: u32 = 1;
const PREFIX_LEN: usize = 8;

/// A live entry as a snapshot stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
    pub(crate) expires_at: Option<u64>,
}

/// What a valid snapshot says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Log records from this sequence number on come after the snapshot.
    pub(crate) cut_lsn: u64,
    /// Unix nanoseconds at the cut.
    pub(crate) created_at: u64,
    /// Entries in the file.
    pub(crate) entries: u64,
}

/// Builds a snapshot's bytes incrementally, so a writer can flush them in chunks.
#[derive(Debug)]
pub(crate) struct Encoder {
    entries: u64,
}

impl Encoder {
    /// Starts a snapshot: appends the prefix and the header to `out`.
    pub(crate) fn start(out: &mut Vec<u8>, cut_lsn: u64, created_at: u64) -> Self {
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        encode_frame(
            out,
            &SnapshotRecord::Header {
                cut_lsn,
                created_at,
            },
        );
        Self { entries: 0 }
    }

    /// Appends one entry to `out`.
    pub(crate) fn entry(&mut self, out: &mut Vec<u8>, entry: Entry<'_>) {
        let Entry {
            key,
            value,
            expires_at,
        } = entry;
        encode_frame(
            out,
            &SnapshotRecord::Entry {
                key,
                value,
                expires_at,
            },
        );
        self.entries += 1;
    }

    /// Appends the footer to `out`; the snapshot is complete.
    pub(crate) fn finish(self, out: &mut Vec<u8>) -> u64 {
        encode_frame(
            out,
            &SnapshotRecord::Footer {
                entries: self.entries,
            },
        );
        self.entries
    }
}

/// Decodes a whole snapshot: its metadata and every entry, or the first thing wrong with it.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Meta, Vec<Entry<'_>>), FormatError> {
    if bytes.len() < PREFIX_LEN {
        return Err(FormatError::ShortHeader { len: bytes.len() });
    }
    if &bytes[..4] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u32::from_le_bytes(bytes[4..8].try_into().expect("four bytes"));
    if version != VERSION {
        return Err(FormatError::UnsupportedVersion { version });
    }
    let mut offset = PREFIX_LEN;
    let (cut_lsn, created_at) = match next(bytes, &mut offset)? {
        Some(SnapshotRecord::Header {
            cut_lsn,
            created_at,
        }) => (cut_lsn, created_at),
        _ => return Err(unexpected(PREFIX_LEN, "a header")),
    };
    let mut entries = Vec::new();
    loop {
        let at = offset;
        match next(bytes, &mut offset)? {
            Some(SnapshotRecord::Entry {
                key,
                value,
                expires_at,
            }) => {
                entries.push(Entry {
                    key,
                    value,
                    expires_at,
                });
            }
            Some(SnapshotRecord::Footer { entries: expected }) => {
                let found = entries.len() as u64;
                if expected != found {
                    return Err(FormatError::CountMismatch { expected, found });
                }
                if offset != bytes.len() {
                    return Err(unexpected(offset, "the end of the file"));
                }
                let meta = Meta {
                    cut_lsn,
                    created_at,
                    entries: found,
                };
                return Ok((meta, entries));
            }
            Some(SnapshotRecord::Header { .. }) => return Err(unexpected(at, "an entry")),
            None => {
                return Err(FormatError::MissingFooter {
                    entries: entries.len() as u64,
                });
            }
        }
    }
}

fn next<'a>(
    bytes: &'a [u8],
    offset: &mut usize,
) -> Result<Option<SnapshotRecord<'a>>, FormatError> {
    if *offset == bytes.len() {
        return Ok(None);
    }
    let at = *offset;
    let (payload, size) = frame::decode(&bytes[at..]).map_err(|e| FormatError::frame(e).at(at))?;
    let record = decode_payload(payload).map_err(|e| FormatError::payload(e).at(at))?;
    *offset += size;
    Ok(Some(record))
}

fn unexpected(offset: usize, expected: &'static str) -> FormatError {
    FormatError::UnexpectedRecord { offset, expected }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = Encoder::start(&mut out, 7, 1_000);
        for entry in entries {
            encoder.entry(&mut out, *entry);
        }
        encoder.finish(&mut out);
        out
    }

    const ENTRY: Entry<'static> = Entry {
        key: b"key",
        value: b"value",
        expires_at: Some(9),
    };

    #[test]
    fn round_trips() {
        let bytes = snapshot(&[
            ENTRY,
            Entry {
                expires_at: None,
                ..ENTRY
            },
        ]);
        let (meta, entries) = decode(&bytes).unwrap();
        assert_eq!(
            meta,
            Meta {
                cut_lsn: 7,
                created_at: 1_000,
                entries: 2
            }
        );
        assert_eq!(entries[1].expires_at, None);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_rejected() {
        let bytes = snapshot(&[ENTRY, ENTRY]);
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut]).is_err(),
                "truncation at {cut} accepted"
            );
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&flipped).is_err(), "bit {bit} flip accepted");
        }
    }
}

//! The payloads inside frames, in postcard's compact, stable encoding: varint lengths and
//! integers, byte strings stored raw, enum variants by index (so variants are only ever appended).

use serde::{Deserialize, Serialize};

use super::frame;

/// One logged mutation. The log holds outcomes, never intentions: a compare-and-set that swapped
/// is logged as the `Set` it performed, one that did not is not logged at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WalRecord<'a> {
    /// The key now holds `value`, live until `expires_at` (Unix nanoseconds) if any.
    Set {
        #[serde(with = "raw", borrow)]
        key: &'a [u8],
        #[serde(with = "raw", borrow)]
        value: &'a [u8],
        expires_at: Option<u64>,
    },
    /// The key no longer holds a record.
    Delete {
        #[serde(with = "raw", borrow)]
        key: &'a [u8],
    },
}

/// One record of a snapshot file: a header, the live entries, then a footer with their count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SnapshotRecord<'a> {
    /// Opens the file: the log position the snapshot covers and when it was taken.
    Header {
        /// Every log record below this sequence number is in the snapshot; none at or above it.
        cut_lsn: u64,
        /// Unix nanoseconds at the cut.
        created_at: u64,
    },
    /// One live entry.
    Entry {
        #[serde(with = "raw", borrow)]
        key: &'a [u8],
        #[serde(with = "raw", borrow)]
        value: &'a [u8],
        expires_at: Option<u64>,
    },
    /// Closes the file: a snapshot without it, or with another count, is incomplete.
    Footer { entries: u64 },
}

/// Bytes an encoding may take beyond its raw byte strings: a variant index and up to three
/// varints or options, each at most 10 bytes.
const MAX_FIXED_LEN: usize = 64;

/// A record whose encoded length is bounded by its raw byte strings plus [`MAX_FIXED_LEN`].
pub(crate) trait Bounded {
    /// Total length of the record's raw byte strings.
    fn raw_len(&self) -> usize;
}

impl Bounded for WalRecord<'_> {
    fn raw_len(&self) -> usize {
        match self {
            Self::Set { key, value, .. } => key.len() + value.len(),
            Self::Delete { key } => key.len(),
        }
    }
}

impl Bounded for SnapshotRecord<'_> {
    fn raw_len(&self) -> usize {
        match self {
            Self::Entry { key, value, .. } => key.len() + value.len(),
            Self::Header { .. } | Self::Footer { .. } => 0,
        }
    }
}

/// Appends `record` to `out` as one frame.
pub(crate) fn encode_frame<T: Serialize + Bounded>(out: &mut Vec<u8>, record: &T) {
    frame::encode_with(out, |buf| encode_payload(buf, record));
}

impl WalRecord<'_> {
    /// Appends this record to `out` as one frame whose checksum is left to [`frame::seal`].
    ///
    /// The log's hot path: the bytes postcard would write, written directly (a record is a
    /// variant index, byte strings as `varint length | bytes`, an option as a `0`/`1` tag).
    pub(crate) fn encode_unsealed_frame(&self, out: &mut Vec<u8>) {
        out.reserve(frame::FRAME_HEADER + self.raw_len() + MAX_FIXED_LEN);
        frame::encode_unsealed_with(out, |buf| match *self {
            Self::Set {
                key,
                value,
                expires_at,
            } => {
                buf.push(0);
                put_bytes(buf, key);
                put_bytes(buf, value);
                match expires_at {
                    None => buf.push(0),
                    Some(at) => {
                        buf.push(1);
                        put_varint(buf, at);
                    }
                }
            }
            Self::Delete { key } => {
                buf.push(1);
                put_bytes(buf, key);
            }
        });
    }
}

/// `n` as postcard's varint: seven bits a byte, least significant first.
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends the encoding of `record`, written in place (byte strings copied whole).
fn encode_payload<T: Serialize + Bounded>(out: &mut Vec<u8>, record: &T) {
    let start = out.len();
    out.resize(start + record.raw_len() + MAX_FIXED_LEN, 0);
    let used = postcard::to_slice(record, &mut out[start..])
        .expect("the bound covers every encoding")
        .len();
    out.truncate(start + used);
}

/// Decodes one record from a frame's payload, requiring every byte to be used.
pub(crate) fn decode_payload<'a, T: Deserialize<'a>>(
    payload: &'a [u8],
) -> Result<T, postcard::Error> {
    let (record, rest) = postcard::take_from_bytes(payload)?;
    if rest.is_empty() {
        Ok(record)
    } else {
        Err(postcard::Error::DeserializeBadEncoding)
    }
}

/// Byte strings as `varint length | bytes`, borrowed when decoding.
mod raw {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        bytes: &&[u8],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'de [u8], D::Error> {
        <&'de [u8]>::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_compact_and_stable() {
        let mut out = Vec::new();
        let record = WalRecord::Set {
            key: b"k",
            value: b"vv",
            expires_at: Some(300),
        };
        encode_frame(&mut out, &record);
        // variant 0, key len 1, 'k', value len 2, "vv", Some, varint 300.
        assert_eq!(&out[8..], &[0, 1, b'k', 2, b'v', b'v', 1, 0xac, 0x02]);
        let (payload, _) = frame::decode(&out).unwrap();
        assert_eq!(decode_payload::<WalRecord<'_>>(payload).unwrap(), record);
    }

    #[test]
    fn the_bound_covers_the_widest_fixed_fields() {
        let key = vec![7; 300];
        let wal = WalRecord::Set {
            key: &key,
            value: &key,
            expires_at: Some(u64::MAX),
        };
        let header = SnapshotRecord::Header {
            cut_lsn: u64::MAX,
            created_at: u64::MAX,
        };
        let footer = SnapshotRecord::Footer { entries: u64::MAX };
        for (encoded, raw) in [
            (postcard::to_stdvec(&wal).unwrap(), wal.raw_len()),
            (postcard::to_stdvec(&header).unwrap(), header.raw_len()),
            (postcard::to_stdvec(&footer).unwrap(), footer.raw_len()),
        ] {
            assert!(encoded.len() <= raw + MAX_FIXED_LEN);
        }
        let mut framed = Vec::new();
        encode_frame(&mut framed, &wal);
        let (payload, _) = frame::decode(&framed).unwrap();
        assert_eq!(payload, postcard::to_stdvec(&wal).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn the_log_encoder_writes_what_postcard_writes(
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            value in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            expires_at in proptest::option::of(proptest::num::u64::ANY),
            delete in proptest::bool::ANY,
        ) {
            let record = if delete {
                WalRecord::Delete { key: &key }
            } else {
                WalRecord::Set { key: &key, value: &value, expires_at }
            };
            let mut direct = vec![9];
            record.encode_unsealed_frame(&mut direct);
            frame::seal(&mut direct[1..]);
            let mut through_postcard = vec![9];
            encode_frame(&mut through_postcard, &record);
            proptest::prop_assert_eq!(direct, through_postcard);
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut payload = postcard::to_stdvec(&WalRecord::Delete { key: b"k" }).unwrap();
        payload.push(0);
        assert!(decode_payload::<WalRecord<'_>>(&payload).is_err());
    }
}

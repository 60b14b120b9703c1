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

/// Appends `record` to `out` as one frame.
pub(crate) fn encode_frame<T: Serialize>(out: &mut Vec<u8>, record: &T) {
    frame::encode_with(out, |buf| {
        let taken = std::mem::take(buf);
        *buf = postcard::to_extend(record, taken).expect("writing to a Vec cannot fail");
    });
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
    fn trailing_bytes_are_rejected() {
        let mut payload = postcard::to_stdvec(&WalRecord::Delete { key: b"k" }).unwrap();
        payload.push(0);
        assert!(decode_payload::<WalRecord<'_>>(&payload).is_err());
    }
}

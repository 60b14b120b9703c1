//! Record framing: `length (u32 LE) | CRC32C (u32 LE) | payload`.
//!
//! The checksum covers the length bytes and the payload, so a flipped length is caught like a
//! flipped payload byte.

/// Bytes before the payload: the length and the checksum.
pub(crate) const FRAME_HEADER: usize = 8;

/// The largest payload a frame may carry; a longer length field is corruption, not a record.
pub(crate) const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

/// Why the bytes at an offset are not a valid frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame's header or payload runs past the end of the data.
    #[error("frame truncated: needs {needed} bytes, {available} left")]
    Truncated {
        /// Bytes the frame claims.
        needed: usize,
        /// Bytes left in the data.
        available: usize,
    },
    /// The length field exceeds the largest payload a frame may carry.
    #[error("frame length {length} exceeds the limit of {MAX_PAYLOAD} bytes")]
    Oversized {
        /// The length field as read.
        length: usize,
    },
    /// The checksum does not match the length and payload.
    #[error("frame checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The checksum in the frame.
        stored: u32,
        /// The checksum of what was read.
        computed: u32,
    },
}

/// Appends one frame carrying the payload that `write_payload` appends to `out`.
pub(crate) fn encode_with(out: &mut Vec<u8>, write_payload: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    encode_unsealed_with(out, write_payload);
    seal(&mut out[start..]);
}

/// Appends one frame like [`encode_with`] but leaves its checksum to [`seal`], so that writers
/// framing into a shared buffer leave the checksums to whoever writes the buffer out.
pub(crate) fn encode_unsealed_with(out: &mut Vec<u8>, write_payload: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER]);
    write_payload(out);
    let length = u32::try_from(out.len() - start - FRAME_HEADER)
        .expect("callers bound payloads by MAX_PAYLOAD");
    out[start..start + 4].copy_from_slice(&length.to_le_bytes());
}

/// Fills in the checksum of every frame in `frames`, a run of whole frames.
pub(crate) fn seal(frames: &mut [u8]) {
    let mut start = 0;
    while start < frames.len() {
        let length_bytes: [u8; 4] = frames[start..start + 4].try_into().expect("four bytes");
        let end = start + FRAME_HEADER + u32::from_le_bytes(length_bytes) as usize;
        let crc = checksum(&length_bytes, &frames[start + FRAME_HEADER..end]);
        frames[start + 4..start + FRAME_HEADER].copy_from_slice(&crc.to_le_bytes());
        start = end;
    }
}

/// The whole frames at the start of `frames` (a run of whole frames) that first reach `room`
/// bytes, or all of them: their length and count. At least one frame when there is one.
pub(crate) fn prefix_filling(frames: &[u8], room: u64) -> (usize, u64) {
    let (mut end, mut count) = (0, 0);
    while end < frames.len() {
        let length_bytes: [u8; 4] = frames[end..end + 4].try_into().expect("four bytes");
        end += FRAME_HEADER + u32::from_le_bytes(length_bytes) as usize;
        count += 1;
        if end as u64 >= room {
            break;
        }
    }
    (end, count)
}

/// Decodes the frame at the start of `data`: its payload and the frame's total size.
pub(crate) fn decode(data: &[u8]) -> Result<(&[u8], usize), FrameError> {
    if data.len() < FRAME_HEADER {
        return Err(FrameError::Truncated {
            needed: FRAME_HEADER,
            available: data.len(),
        });
    }
    let length_bytes: [u8; 4] = data[..4].try_into().expect("four bytes");
    let length = u32::from_le_bytes(length_bytes) as usize;
    if length > MAX_PAYLOAD {
        return Err(FrameError::Oversized { length });
    }
    let total = FRAME_HEADER + length;
    if data.len() < total {
        return Err(FrameError::Truncated {
            needed: total,
            available: data.len(),
        });
    }
    let stored = u32::from_le_bytes(data[4..8].try_into().expect("four bytes"));
    let payload = &data[FRAME_HEADER..total];
    let computed = checksum(&length_bytes, payload);
    if stored != computed {
        return Err(FrameError::Checksum { stored, computed });
    }
    Ok((payload, total))
}

fn checksum(length: &[u8], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(length), payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_with(&mut out, |buf| buf.extend_from_slice(payload));
        out
    }

    #[test]
    fn a_prefix_ends_with_the_frame_that_fills_the_room() {
        let frames = [frame(b"a"), frame(b"bcd"), frame(b"ef")].concat();
        let (one, two, three) = (FRAME_HEADER + 1, 2 * FRAME_HEADER + 4, frames.len());
        assert_eq!(prefix_filling(&frames, 0), (one, 1));
        assert_eq!(prefix_filling(&frames, one as u64), (one, 1));
        assert_eq!(prefix_filling(&frames, one as u64 + 1), (two, 2));
        assert_eq!(prefix_filling(&frames, u64::MAX), (three, 3));
        assert_eq!(prefix_filling(&[], 10), (0, 0));
    }

    #[test]
    fn round_trips_and_reports_the_size() {
        let bytes = frame(b"hello");
        assert_eq!(decode(&bytes), Ok((&b"hello"[..], FRAME_HEADER + 5)));
        let empty = frame(b"");
        assert_eq!(decode(&empty), Ok((&b""[..], FRAME_HEADER)));
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_rejected() {
        let bytes = frame(b"payload of a record");
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode(&bytes[..cut]),
                Err(FrameError::Truncated { .. })
            ));
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&flipped).is_err(), "bit {bit} flip accepted");
        }
    }

    #[test]
    fn sealing_a_run_of_frames_checksums_each() {
        let mut run = Vec::new();
        for payload in [&b"first"[..], b"", b"third payload"] {
            encode_unsealed_with(&mut run, |buf| buf.extend_from_slice(payload));
        }
        assert!(decode(&run).is_err());
        seal(&mut run);
        let mut expected = frame(b"first");
        expected.extend(frame(b""));
        expected.extend(frame(b"third payload"));
        assert_eq!(run, expected);
    }

    #[test]
    fn an_oversized_length_is_corruption() {
        let mut bytes = frame(b"x");
        bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&bytes), Err(FrameError::Oversized { .. })));
    }
}

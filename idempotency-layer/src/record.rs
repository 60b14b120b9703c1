//! The versioned binary format of the records kept in the store.
//!
//! ```text
//! magic "IK" | version u8 | kind u8 | payload | xxh3-64 of everything before, little-endian
//! in-flight: fingerprint [16] | fencing token [16]
//! completed: fingerprint [16] | status u16 | headers | body (u32 length + bytes) | 0, or 1 + trailers
//! tombstone: fingerprint [16] | status u16
//! headers:   count u16, then per header: name (u8 length + bytes), value (u16 length + bytes)
//! ```
//!
//! The version comes right after the magic so that a replica reading a record written by a newer
//! one reports [`RecordError::UnknownVersion`] instead of guessing. Stored bytes are untrusted:
//! every length is bounds-checked and the checksum catches torn or altered records.

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use xxhash_rust::xxh3::xxh3_64;

use crate::fingerprint::Fingerprint;

const MAGIC: &[u8; 2] = b"IK";
/// The format version this build writes and reads.
pub(crate) const VERSION: u8 = 1;
const CHECKSUM_LEN: usize = 8;
const HEADER_LEN: usize = 4;
/// The length of an in-flight record.
pub(crate) const IN_FLIGHT_LEN: usize = HEADER_LEN + 16 + 16 + CHECKSUM_LEN;

const KIND_IN_FLIGHT: u8 = 1;
const KIND_COMPLETED: u8 = 2;
const KIND_TOMBSTONE: u8 = 3;

/// Why stored bytes could not be read as a record. Never replayed: the request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record was written in a format version this build does not know.
    #[error(
        "record format version {found} is unknown to this build, which reads version {supported}"
    )]
    UnknownVersion {
        /// The version found.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// The bytes do not start with the record magic: something else lives under the key.
    #[error("the stored value is not an idempotency record (bad magic)")]
    NotARecord,
    /// The checksum does not match: the record was torn or altered.
    #[error("the record's checksum does not match its contents")]
    Checksum,
    /// The record ends before a field it announces.
    #[error("the record is truncated: {field} ends past its end")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// A field holds a value no writer produces.
    #[error("the record holds an invalid {field}")]
    Invalid {
        /// The field being read.
        field: &'static str,
    },
}

/// A stored response, replayed to retries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Completed {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) trailers: Option<HeaderMap>,
}

impl Completed {
    /// The completed record's bytes written into `out` (empty), which grows if it lacks the room.
    pub(crate) fn encode_into(&self, mut out: BytesMut) -> Bytes {
        let trailers = self.trailers.as_ref();
        out.reserve(completed_len(&self.headers, self.body.len(), trailers));
        encode_completed(
            self.fingerprint,
            self.status,
            self.headers.iter(),
            &self.body,
            trailers.map(HeaderMap::iter),
            out,
        )
    }
}

/// What the store holds under a request's key.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a record is decoded, matched and taken apart at once: boxing the response would cost an allocation per replay"
)]
pub(crate) enum Record {
    /// A claim: a request with this fingerprint is running, its owner holding `token`.
    InFlight {
        fingerprint: Fingerprint,
        token: [u8; 16],
    },
    /// The kept response of the first execution.
    Completed(Completed),
    /// The first execution's response was too large to keep; `status` is what it answered.
    Tombstone {
        fingerprint: Fingerprint,
        status: StatusCode,
    },
}

impl Record {
    /// The fingerprint of the request that wrote this record.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        match self {
            Record::InFlight { fingerprint, .. } | Record::Tombstone { fingerprint, .. } => {
                *fingerprint
            }
            Record::Completed(completed) => completed.fingerprint,
        }
    }

    /// The record's bytes, checksum included.
    pub(crate) fn encode(&self) -> Bytes {
        self.encode_into(BytesMut::new())
    }

    /// The record's bytes written into `out` (empty), which grows only if it lacks the room.
    pub(crate) fn encode_into(&self, mut out: BytesMut) -> Bytes {
        match self {
            Record::InFlight { fingerprint, token } => {
                start(&mut out, KIND_IN_FLIGHT, IN_FLIGHT_LEN);
                out.put_slice(&fingerprint.0);
                out.put_slice(token);
            }
            Record::Completed(completed) => return completed.encode_into(out),
            Record::Tombstone {
                fingerprint,
                status,
            } => {
                start(&mut out, KIND_TOMBSTONE, HEADER_LEN + 16 + 2 + CHECKSUM_LEN);
                out.put_slice(&fingerprint.0);
                out.put_u16(status.as_u16());
            }
        }
        seal(out)
    }

    /// Reads a record from untrusted stored bytes.
    pub(crate) fn decode(bytes: &Bytes) -> Result<Record, RecordError> {
        if bytes.len() < MAGIC.len() + 1 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(RecordError::NotARecord);
        }
        if bytes[2] != VERSION {
            return Err(RecordError::UnknownVersion {
                found: bytes[2],
                supported: VERSION,
            });
        }
        if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(RecordError::Truncated { field: "header" });
        }
        let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        let expected = u64::from_le_bytes(checksum.try_into().expect("eight bytes"));
        if xxh3_64(content) != expected {
            return Err(RecordError::Checksum);
        }
        let mut reader = Reader {
            bytes: bytes.slice(HEADER_LEN..bytes.len() - CHECKSUM_LEN),
            at: 0,
        };
        let record = match content[3] {
            KIND_IN_FLIGHT => Record::InFlight {
                fingerprint: reader.fingerprint()?,
                token: reader.array("fencing token")?,
            },
            KIND_COMPLETED => {
                let fingerprint = reader.fingerprint()?;
                let status = reader.status()?;
                let headers = reader.headers()?;
                let body_len = reader.u32("body length")? as usize;
                let body = reader.take(body_len, "body")?;
                let trailers = match reader.u8("trailers flag")? {
                    0 => None,
                    1 => Some(reader.headers()?),
                    _ => {
                        return Err(RecordError::Invalid {
                            field: "trailers flag",
                        });
                    }
                };
                Record::Completed(Completed {
                    fingerprint,
                    status,
                    headers,
                    body,
                    trailers,
                })
            }
            KIND_TOMBSTONE => Record::Tombstone {
                fingerprint: reader.fingerprint()?,
                status: reader.status()?,
            },
            _ => return Err(RecordError::Invalid { field: "kind" }),
        };
        if reader.at != reader.bytes.len() {
            return Err(RecordError::Invalid {
                field: "length (bytes after the last field)",
            });
        }
        Ok(record)
    }
}

/// The length of a completed record of a response with these `headers`, `body_len` bytes of body
/// and these `trailers`, or more when only some of them are kept.
pub(crate) fn completed_len(
    headers: &HeaderMap,
    body_len: usize,
    trailers: Option<&HeaderMap>,
) -> usize {
    let fields = |map: &HeaderMap| -> usize {
        let each: usize = map
            .iter()
            .map(|(n, v)| 3 + n.as_str().len() + v.len())
            .sum();
        2 + each
    };
    let trailers = trailers.map_or(0, fields);
    HEADER_LEN + 16 + 2 + fields(headers) + 4 + body_len + 1 + trailers + CHECKSUM_LEN
}

/// The bytes of a completed record, written into `out` (empty; best with [`completed_len`] of
/// room) from what `headers` and `trailers` yield, so that a response is encoded without copying
/// its headers first. Each header must fit the format (a name of at most 255 bytes, a value of
/// at most 64 KiB), and there may be at most 65,535 of each.
pub(crate) fn encode_completed<'h>(
    fingerprint: Fingerprint,
    status: StatusCode,
    headers: impl Iterator<Item = (&'h HeaderName, &'h HeaderValue)>,
    body: &[u8],
    trailers: Option<impl Iterator<Item = (&'h HeaderName, &'h HeaderValue)>>,
    mut out: BytesMut,
) -> Bytes {
    start(&mut out, KIND_COMPLETED, HEADER_LEN + 16 + 2);
    out.put_slice(&fingerprint.0);
    out.put_u16(status.as_u16());
    put_headers(&mut out, headers);
    out.put_u32(body.len() as u32);
    out.put_slice(body);
    match trailers {
        None => out.put_u8(0),
        Some(trailers) => {
            out.put_u8(1);
            put_headers(&mut out, trailers);
        }
    }
    seal(out)
}

/// Reserves `len` bytes in `out` and writes the magic, the version and `kind`.
fn start(out: &mut BytesMut, kind: u8, len: usize) {
    out.reserve(len);
    out.put_slice(MAGIC);
    out.put_u8(VERSION);
    out.put_u8(kind);
}

/// Appends the checksum of everything written.
fn seal(mut out: BytesMut) -> Bytes {
    let checksum = xxh3_64(&out);
    out.put_u64_le(checksum);
    out.freeze()
}

/// Writes the count, then each header; the count is patched in once the headers are written.
fn put_headers<'h>(
    out: &mut BytesMut,
    headers: impl Iterator<Item = (&'h HeaderName, &'h HeaderValue)>,
) {
    let at = out.len();
    out.put_u16(0);
    let mut count: u16 = 0;
    for (name, value) in headers {
        out.put_u8(name.as_str().len() as u8);
        out.put_slice(name.as_str().as_bytes());
        out.put_u16(value.len() as u16);
        out.put_slice(value.as_bytes());
        count += 1;
    }
    out[at..at + 2].copy_from_slice(&count.to_be_bytes());
}

struct Reader {
    bytes: Bytes,
    at: usize,
}

impl Reader {
    /// The next `len` bytes, borrowed: for fixed-size fields, which cost no reference count.
    fn next(&mut self, len: usize, field: &'static str) -> Result<&[u8], RecordError> {
        let start = self.at;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(RecordError::Truncated { field })?;
        self.at = end;
        Ok(&self.bytes[start..end])
    }

    /// The next `len` bytes, sharing the record's buffer: for a body or a header value.
    fn take(&mut self, len: usize, field: &'static str) -> Result<Bytes, RecordError> {
        let start = self.at;
        self.next(len, field)?;
        Ok(self.bytes.slice(start..self.at))
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], RecordError> {
        Ok(self
            .next(N, field)?
            .try_into()
            .expect("next returns N bytes"))
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, RecordError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, RecordError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, RecordError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn fingerprint(&mut self) -> Result<Fingerprint, RecordError> {
        Ok(Fingerprint(self.array("fingerprint")?))
    }

    fn status(&mut self) -> Result<StatusCode, RecordError> {
        StatusCode::from_u16(self.u16("status")?)
            .map_err(|_| RecordError::Invalid { field: "status" })
    }

    fn headers(&mut self) -> Result<HeaderMap, RecordError> {
        let count = self.u16("header count")? as usize;
        // Room for two more: a replay adds `Idempotent-Replayed`, and servers `Content-Length`.
        let mut headers = HeaderMap::with_capacity(count.min(64) + 2);
        for _ in 0..count {
            let name_len = self.u8("header name length")? as usize;
            let name = self.next(name_len, "header name")?;
            let name = HeaderName::from_bytes(name).map_err(|_| RecordError::Invalid {
                field: "header name",
            })?;
            let value_len = self.u16("header value length")? as usize;
            let value = HeaderValue::from_maybe_shared(self.take(value_len, "header value")?)
                .map_err(|_| RecordError::Invalid {
                    field: "header value",
                })?;
            headers.append(name, value);
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn completed(body: &'static [u8], trailers: bool) -> Record {
        let mut headers = HeaderMap::new();
        headers.append("link", HeaderValue::from_static("</a>; rel=next"));
        headers.append("link", HeaderValue::from_static("</b>; rel=prev"));
        headers.append("content-type", HeaderValue::from_static("application/json"));
        let trailers = trailers.then(|| {
            let mut t = HeaderMap::new();
            t.insert("grpc-status", HeaderValue::from_static("0"));
            t
        });
        Record::Completed(Completed {
            fingerprint: Fingerprint([7; 16]),
            status: StatusCode::CREATED,
            headers,
            body: Bytes::from_static(body),
            trailers,
        })
    }

    #[test]
    fn every_kind_round_trips() {
        for record in [
            Record::InFlight {
                fingerprint: Fingerprint([1; 16]),
                token: [2; 16],
            },
            Record::Tombstone {
                fingerprint: Fingerprint([3; 16]),
                status: StatusCode::OK,
            },
            completed(b"{\"id\":1}", false),
            completed(b"", true),
        ] {
            assert_eq!(Record::decode(&record.encode()).unwrap(), record);
        }
    }

    #[test]
    fn in_flight_records_have_their_announced_length() {
        let record = Record::InFlight {
            fingerprint: Fingerprint([1; 16]),
            token: [2; 16],
        };
        assert_eq!(record.encode().len(), IN_FLIGHT_LEN);
    }

    #[test]
    fn repeated_headers_keep_their_order() {
        let Record::Completed(back) = Record::decode(&completed(b"x", false).encode()).unwrap()
        else {
            panic!("not completed");
        };
        let links: Vec<_> = back.headers.get_all("link").iter().collect();
        assert_eq!(links, ["</a>; rel=next", "</b>; rel=prev"]);
    }

    #[test]
    fn an_unknown_version_is_named_not_guessed() {
        let mut bytes = completed(b"x", false).encode().to_vec();
        bytes[2] = 9;
        assert_eq!(
            Record::decode(&Bytes::from(bytes)),
            Err(RecordError::UnknownVersion {
                found: 9,
                supported: VERSION
            })
        );
    }

    #[test]
    fn corruption_is_caught() {
        let good = completed(b"hello", true).encode();
        assert_eq!(
            Record::decode(&Bytes::from_static(b"{\"json\":1}")),
            Err(RecordError::NotARecord)
        );
        assert_eq!(
            Record::decode(&good.slice(..6)),
            Err(RecordError::Truncated { field: "header" })
        );
        for i in HEADER_LEN..good.len() {
            let mut flipped = good.to_vec();
            flipped[i] ^= 0x20;
            assert_eq!(
                Record::decode(&Bytes::from(flipped)),
                Err(RecordError::Checksum),
                "flip at {i}"
            );
        }
    }

    #[test]
    fn lengths_past_the_end_are_truncation_even_with_a_valid_checksum() {
        let mut bytes = BytesMut::new();
        bytes.put_slice(MAGIC);
        bytes.put_u8(VERSION);
        bytes.put_u8(KIND_COMPLETED);
        bytes.put_slice(&[0; 16]);
        bytes.put_u16(200);
        bytes.put_u16(0);
        bytes.put_u32(u32::MAX);
        let checksum = xxh3_64(&bytes);
        bytes.put_u64_le(checksum);
        assert_eq!(
            Record::decode(&bytes.freeze()),
            Err(RecordError::Truncated { field: "body" })
        );
    }

    fn header_map() -> impl Strategy<Value = HeaderMap> {
        let name = "[a-z][a-z0-9-]{0,20}";
        let value = "[ -~]{0,40}";
        proptest::collection::vec((name, value), 0..6).prop_map(|pairs| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(&value).unwrap(),
                );
            }
            map
        })
    }

    proptest! {
        #[test]
        fn completed_records_round_trip(
            fp in any::<[u8; 16]>(),
            status in 100u16..600,
            headers in header_map(),
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            trailers in proptest::option::of(header_map()),
        ) {
            let record = Record::Completed(Completed {
                fingerprint: Fingerprint(fp),
                status: StatusCode::from_u16(status).unwrap(),
                headers,
                body: Bytes::from(body),
                trailers,
            });
            prop_assert_eq!(Record::decode(&record.encode()).unwrap(), record);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Record::decode(&Bytes::from(bytes));
        }

        #[test]
        fn magic_prefixed_garbage_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut bytes = vec![b'I', b'K', VERSION];
            bytes.extend(tail);
            let _ = Record::decode(&Bytes::from(bytes));
        }
    }
}

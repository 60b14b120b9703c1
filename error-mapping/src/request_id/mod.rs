//! The request id: the correlation id that ties a response to the logs of its request.

mod generator;

use std::fmt;

use http::HeaderValue;

pub(crate) use generator::IdGenerator;

/// The correlation id of one request.
///
/// The error-mapping layer puts it in the request's extensions, where a handler reads it (with
/// axum: `Extension<RequestId>`), echoes it in the response header, writes it as the `request_id`
/// member of every problem body, and records it on the request's `tracing` span. It is either the
/// client's id, when that one is valid, or one the layer generated.
///
/// A valid id is 1 to `request_id_max_len` bytes of ASCII letters, digits and `-_.:/+=@`: nothing
/// that could forge a log line, break a header or need escaping in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id, if `value` is a valid one of at most `max_len` bytes.
    pub(crate) fn parse(value: &HeaderValue, max_len: usize) -> Option<Self> {
        is_valid(value.as_bytes(), max_len).then(|| Self(value.clone()))
    }

    /// An id already known to be valid.
    fn trusted(value: HeaderValue) -> Self {
        debug_assert!(is_valid(value.as_bytes(), usize::MAX));
        Self(value)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ids of ASCII characters are ever built, so this cannot fail.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as the header value it travels in.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The header value, without the reference count a clone of it would take.
    pub(crate) fn into_header_value(self) -> HeaderValue {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `bytes` is a well-formed id of at most `max_len` bytes.
fn is_valid(bytes: &[u8], max_len: usize) -> bool {
    if bytes.is_empty() || bytes.len() > max_len {
        return false;
    }
    // Eight table loads per step, and no branch per byte: ids are short, so this beats SIMD
    // set-up and an early exit alike.
    let all_allowed = |bytes: &[u8]| {
        bytes
            .iter()
            .fold(true, |ok, &b| ok & ALLOWED[usize::from(b)])
    };
    let mut chunks = bytes.chunks_exact(8);
    let head = chunks
        .by_ref()
        .fold(true, |ok, chunk| ok & all_allowed(chunk));
    head & all_allowed(chunks.remainder())
}

/// The bytes an id may hold (ASCII letters, digits and `-_.:/+=@`), as a lookup table.
const ALLOWED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=' | b'@');
        byte += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], max_len: usize) -> Option<RequestId> {
        RequestId::parse(&HeaderValue::from_bytes(bytes).unwrap(), max_len)
    }

    #[test]
    fn exactly_the_documented_bytes_are_allowed() {
        let documented = |b: u8| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b);
        for b in 0..=u8::MAX {
            let id = [b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b];
            assert_eq!(
                is_valid(&id, 64),
                documented(b),
                "byte {b:#04x} in the tail"
            );
            assert_eq!(is_valid(&id[8..], 64), documented(b), "byte {b:#04x} alone");
            let mut chunk = [b'a'; 16];
            chunk[3] = b;
            assert_eq!(
                is_valid(&chunk, 64),
                documented(b),
                "byte {b:#04x} in a chunk"
            );
        }
    }

    #[test]
    fn accepts_common_id_formats() {
        for id in [
            "0b8c7f3e-2f7a-4f4e-9a51-6a1f0c9e8d11",
            "Root=1-67891233-abcdef012345678912345678",
            "req_01HZX3K8Y5",
            "a",
            "span.id:42/7+x@edge",
        ] {
            assert_eq!(parse(id.as_bytes(), 64).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_ids_that_are_too_long_or_hold_other_characters() {
        assert!(parse(&[b'a'; 65], 64).is_none());
        assert!(parse(&[b'a'; 64], 64).is_some());
        for id in [
            &b"tab\there"[..],
            b"two words",
            b"quote\"d",
            b"back\\slash",
            b"semi;colon",
            b"caf\xc3\xa9",
            b"\xff",
        ] {
            assert!(parse(id, 64).is_none(), "{id:?}");
        }
    }
}

//! Why bytes on disk are not a valid segment or snapshot.

use super::frame::FrameError;

/// A segment or snapshot that does not decode: what is wrong and at which byte offset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file is shorter than its fixed header.
    #[error("file of {len} bytes is shorter than its header")]
    ShortHeader {
        /// The file's length.
        len: usize,
    },
    /// The file does not start with the expected magic bytes.
    #[error("magic bytes do not match: not a file of this kind")]
    BadMagic,
    /// The header names a format version this build cannot read.
    #[error("format version {version} is not supported")]
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
    /// The header's checksum does not match.
    #[error("header checksum mismatch")]
    HeaderChecksum,
    /// A frame is truncated, oversized or fails its checksum.
    #[error("invalid frame at byte {offset}: {source}")]
    Frame {
        /// Byte offset of the frame in the file.
        offset: usize,
        /// What is wrong with it.
        source: FrameError,
    },
    /// A frame passed its checksum but its payload is not a valid record.
    #[error("undecodable record at byte {offset}: {source}")]
    Payload {
        /// Byte offset of the frame in the file.
        offset: usize,
        /// The decoder's complaint.
        source: postcard::Error,
    },
    /// A snapshot record appears where another kind is required (e.g. two headers).
    #[error("unexpected snapshot record at byte {offset}: expected {expected}")]
    UnexpectedRecord {
        /// Byte offset of the frame in the file.
        offset: usize,
        /// What the format requires there.
        expected: &'static str,
    },
    /// A snapshot ends before its footer.
    #[error("snapshot ends without its footer after {entries} entries")]
    MissingFooter {
        /// Entries read before the end.
        entries: u64,
    },
    /// A snapshot footer counts another number of entries than the file holds.
    #[error("snapshot footer counts {expected} entries, the file holds {found}")]
    CountMismatch {
        /// The footer's count.
        expected: u64,
        /// Entries in the file.
        found: u64,
    },
}

impl FormatError {
    pub(crate) fn frame(source: FrameError) -> Self {
        FormatError::Frame { offset: 0, source }
    }

    pub(crate) fn payload(source: postcard::Error) -> Self {
        FormatError::Payload { offset: 0, source }
    }

    /// The same error, located at byte `at` of the file.
    pub(crate) fn at(self, at: usize) -> Self {
        match self {
            FormatError::Frame { source, .. } => FormatError::Frame { offset: at, source },
            FormatError::Payload { source, .. } => FormatError::Payload { offset: at, source },
            FormatError::UnexpectedRecord { expected, .. } => FormatError::UnexpectedRecord {
                offset: at,
                expected,
            },
            other => other,
        }
    }
}

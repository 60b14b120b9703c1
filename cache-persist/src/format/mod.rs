//! The on-disk formats: record framing, the record encoding, log segments and snapshot files,
//! with public checks that validate a file's bytes without opening a store.

pub(crate) mod frame;
pub(crate) mod record;
pub(crate) mod segment;
pub(crate) mod snapshot;

mod error;
mod verify;

pub use error::FormatError;
pub use frame::FrameError;
pub use verify::{SegmentSummary, SnapshotSummary, verify_segment, verify_snapshot};

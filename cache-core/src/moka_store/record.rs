//! What the store keeps per key, and how moka learns each record's TTL.

use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;

/// TTLs beyond this are kept as no TTL at all: moka's timer wheel spans about 584 years.
pub(super) const LONGEST_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A stored value, with the TTL moka gives it and an identity of the write that stored it.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) value: Bytes,
    pub(super) ttl: Option<Duration>,
    /// Unique per write to a bounded store, so that its capacity ledger can tell which write a
    /// removal concerns; zero in an unbounded store.
    pub(super) id: u64,
}

/// Per-record expiry: every write sets the record's TTL afresh; reads leave it alone.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordTtl;

impl Expiry<Bytes, Record> for RecordTtl {
    fn expire_after_create(&self, _: &Bytes, record: &Record, _: Instant) -> Option<Duration> {
        record.ttl
    }

    fn expire_after_update(
        &self,
        _: &Bytes,
        record: &Record,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        record.ttl
    }
}

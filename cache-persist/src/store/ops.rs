//! The [`Store`] primitives: each checks its input, applies to the cache and appends the outcome
//! to the log under its key's lane, then waits (outside the lane) until the log is durable.
//!
//! An answer that wrote nothing (a compare that failed, an insert that found a record) still
//! waits until the log is durable up to its tail: the record it saw may have been written by a
//! call not yet acknowledged, and no answer may rest on state a crash could take back.

use std::time::Duration;

use bytes::Bytes;
use cache_core::{InputError, Store, StoreError, StoreFuture, StoreOp, duration_nanos};

use super::{DurableStore, Inner};
use crate::format::record::WalRecord;
use crate::metrics;
use crate::wal::{LaneGuard, Ticket};

/// An answer, and the log position that must be durable before it is given.
type Logged<T> = Result<(T, Option<Ticket>), StoreError>;

impl Inner {
    fn check_key(&self, key: &[u8]) -> Result<(), StoreError> {
        let limit = self.limits.max_key_size;
        if key.len() > limit {
            return Err(InputError::KeyTooLarge {
                size: key.len(),
                limit,
            }
            .into());
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        match self.wal.failure() {
            Some(reason) => Err(StoreError::ReadOnly {
                reason: reason.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn check_write(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), StoreError> {
        self.check_key(key)?;
        let limit = self.limits.max_value_size;
        if value.len() > limit {
            return Err(InputError::ValueTooLarge {
                size: value.len(),
                limit,
            }
            .into());
        }
        if ttl.is_some_and(|ttl| ttl.is_zero()) {
            return Err(InputError::ZeroTtl.into());
        }
        self.check_writable()
    }

    fn expiry(&self, ttl: Option<Duration>) -> Option<u64> {
        let ttl = duration_nanos(ttl?);
        Some(
            self.cache
                .clock()
                .now()
                .saturating_add(ttl)
                .min(u64::MAX - 1),
        )
    }

    /// Stores `value` and logs it in the key's lane, which the caller holds.
    fn put(
        &self,
        lane: &mut LaneGuard<'_>,
        key: &Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> Result<Ticket, StoreError> {
        let expires_at = self.expiry(ttl);
        self.cache
            .insert_expiring_at(key.clone(), value.clone(), expires_at)
            .map_err(|full| StoreError::CapacityExceeded {
                capacity: full.capacity,
            })?;
        self.wal.append(
            lane,
            &WalRecord::Set {
                key,
                value: &value,
                expires_at,
            },
        )
    }

    fn set(&self, key: &Bytes, value: Bytes, ttl: Option<Duration>) -> Logged<()> {
        self.check_write(key, &value, ttl)?;
        let mut lane = self.wal.lock(key);
        Ok(((), Some(self.put(&mut lane, key, value, ttl)?)))
    }

    fn delete(&self, key: &Bytes) -> Logged<bool> {
        self.check_key(key)?;
        self.check_writable()?;
        let mut lane = self.wal.lock(key);
        if self.cache.remove(key).is_none() {
            return Ok((false, lane.tail()));
        }
        Ok((
            true,
            Some(self.wal.append(&mut lane, &WalRecord::Delete { key })?),
        ))
    }

    fn insert_if_absent(
        &self,
        key: &Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> Logged<Option<Bytes>> {
        self.check_write(key, &value, ttl)?;
        let mut lane = self.wal.lock(key);
        match self.cache.get(key) {
            Some(existing) => Ok((Some(existing), lane.tail())),
            None => Ok((None, Some(self.put(&mut lane, key, value, ttl)?))),
        }
    }

    fn compare_and_set(
        &self,
        key: &Bytes,
        expected: &[u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> Logged<bool> {
        self.check_write(key, &new, ttl)?;
        let mut lane = self.wal.lock(key);
        match self.cache.get(key) {
            Some(live) if live == expected => Ok((true, Some(self.put(&mut lane, key, new, ttl)?))),
            _ => Ok((false, lane.tail())),
        }
    }

    fn compare_and_delete(&self, key: &Bytes, expected: &[u8]) -> Logged<bool> {
        self.check_key(key)?;
        self.check_writable()?;
        let mut lane = self.wal.lock(key);
        match self.cache.get(key) {
            Some(live) if live == expected => {
                self.cache.remove(key);
                Ok((
                    true,
                    Some(self.wal.append(&mut lane, &WalRecord::Delete { key })?),
                ))
            }
            _ => Ok((false, lane.tail())),
        }
    }
}

impl DurableStore {
    /// Gives `answer` once the log is durable up to its position.
    async fn acknowledge<T>(
        &self,
        timer: metrics::OperationTimer,
        logged: Logged<T>,
    ) -> Result<T, StoreError> {
        let (answer, ticket) = logged?;
        if let Some(ticket) = ticket {
            self.inner.wal.durable(ticket).await?;
        }
        timer.finish(&self.inner.operations);
        Ok(answer)
    }
}

impl Store for DurableStore {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let timer = metrics::OperationTimer::start(StoreOp::Get);
            self.inner.check_key(key)?;
            let value = self.inner.cache.get(key);
            timer.finish(&self.inner.operations);
            Ok(value)
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        let timer = metrics::OperationTimer::start(StoreOp::Set);
        Box::pin(self.acknowledge(timer, self.inner.set(key, value, ttl)))
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        let timer = metrics::OperationTimer::start(StoreOp::Delete);
        Box::pin(self.acknowledge(timer, self.inner.delete(key)))
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        let timer = metrics::OperationTimer::start(StoreOp::InsertIfAbsent);
        let logged = self.inner.insert_if_absent(key, value, ttl);
        Box::pin(self.acknowledge(timer, logged))
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        let timer = metrics::OperationTimer::start(StoreOp::CompareAndSet);
        let logged = self.inner.compare_and_set(key, expected, new, ttl);
        Box::pin(self.acknowledge(timer, logged))
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        let timer = metrics::OperationTimer::start(StoreOp::CompareAndDelete);
        let logged = self.inner.compare_and_delete(key, expected);
        Box::pin(self.acknowledge(timer, logged))
    }
}

//! [`RedisStore`]: the [`Store`] primitives as single Redis round trips.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{InputError, Store, StoreError, StoreFuture, StoreOp};
use redis::RedisResult;

use crate::connection::Connection;
use crate::error::{BACKEND, CommandTimedOut, store_error};
use crate::key::KeyLayout;
use crate::scripts::Scripts;
use crate::{ConnectError, RedisConfig, connect};

/// Redis refuses a `PX` whose deadline overflows its clock; beyond this (about 146 million
/// years) a TTL is clamped.
const MAX_TTL_MILLIS: u64 = i64::MAX as u64 / 2;

/// A [`Store`] on Redis 7 or newer, shared by every replica of a service.
///
/// Every operation is one round trip: `GET`, `SET [PX]`, `DEL`, `SET NX GET [PX]` for
/// insert-if-absent, and one Lua script each (by `EVALSHA`) for compare-and-set and
/// compare-and-delete. TTLs are sent in milliseconds, a sub-millisecond TTL rounded up.
///
/// It holds one multiplexed connection that every clone and every concurrent caller pipelines
/// onto (see the crate docs for why not a pool). When the connection drops, it reconnects by
/// itself with exponential backoff; meanwhile operations fail with
/// [`StoreError::Unavailable`] after at most `command_timeout`.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use bytes::Bytes;
/// use cache_core::Store;
/// use cache_redis::{RedisConfig, RedisStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let mut config = RedisConfig::from_url("redis://127.0.0.1:6379/0")?;
/// config.key_prefix = "orders:".into();
/// let store = RedisStore::connect(&config).await?;
///
/// let key = Bytes::from_static(b"request-7");
/// let claim = Bytes::from_static(b"in-flight");
/// assert_eq!(store.insert_if_absent(&key, claim.clone(), Some(Duration::from_secs(60))).await?, None);
/// assert_eq!(store.insert_if_absent(&key, claim.clone(), None).await?, Some(claim));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    address: String,
    keys: KeyLayout,
    scripts: Scripts,
    command_timeout: Duration,
    max_key_size: usize,
    max_value_size: usize,
    /// `maxmemory` when connecting, reported by [`StoreError::CapacityExceeded`].
    maxmemory: u64,
    /// `cache.operation.duration` of each operation, registered on its first use (looking a
    /// handle up in the recorder's registry on every command cost more than recording).
    #[cfg(feature = "metrics")]
    operations: [std::sync::OnceLock<metrics::Histogram>; StoreOp::COUNT],
}

impl RedisStore {
    /// Validates `config`, connects, and checks the server: refuses one older than Redis 7.0, and
    /// warns (through `tracing`) when its `maxmemory-policy` may evict keys.
    pub async fn connect(config: &RedisConfig) -> Result<Self, ConnectError> {
        let connected = connect::connect(config).await?;
        let inner = Inner {
            address: connected.address,
            keys: KeyLayout::new(&config.key_prefix)?,
            scripts: Scripts::new(),
            command_timeout: config.command_timeout,
            max_key_size: byte_limit(config.max_key_size),
            max_value_size: byte_limit(config.max_value_size),
            maxmemory: connected.server.maxmemory,
            #[cfg(feature = "metrics")]
            operations: Default::default(),
        };
        Ok(Self {
            connection: connected.connection,
            inner: std::sync::Arc::new(inner),
        })
    }

    /// The server's address (host and port, or socket path).
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// The Redis key that holds the record of `key`: the prefix, and a hash tag.
    pub fn redis_key(&self, key: &[u8]) -> Vec<u8> {
        self.inner.keys.redis_key(key)
    }

    fn checked_key(&self, key: &[u8]) -> Result<Vec<u8>, StoreError> {
        if key.len() > self.inner.max_key_size {
            return Err(InputError::KeyTooLarge {
                size: key.len(),
                limit: self.inner.max_key_size,
            }
            .into());
        }
        Ok(self.inner.keys.redis_key(key))
    }

    fn check_value(&self, value: &[u8]) -> Result<(), StoreError> {
        if value.len() > self.inner.max_value_size {
            return Err(InputError::ValueTooLarge {
                size: value.len(),
                limit: self.inner.max_value_size,
            }
            .into());
        }
        Ok(())
    }

    /// Runs one round trip under the command timeout, mapping its failure to a `StoreError`.
    async fn round_trip<T>(
        &self,
        op: StoreOp,
        call: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        #[cfg(feature = "metrics")]
        let started = std::time::Instant::now();
        let after = self.inner.command_timeout;
        let outcome = match tokio::time::timeout(after, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(store_error(err, self.inner.maxmemory)),
            Err(_) => Err(StoreError::unavailable(
                BACKEND,
                CommandTimedOut {
                    op: op.as_str(),
                    after,
                },
            )),
        };
        #[cfg(feature = "metrics")]
        self.inner.operations[op.index()]
            .get_or_init(|| {
                metrics::histogram!("cache.operation.duration", "store" => BACKEND, "op" => op.as_str())
            })
            .record(started.elapsed().as_secs_f64());
        outcome
    }
}

/// A TTL in whole milliseconds: zero is refused, anything shorter than a millisecond becomes one.
fn ttl_millis(ttl: Duration) -> Result<u64, StoreError> {
    if ttl.is_zero() {
        return Err(InputError::ZeroTtl.into());
    }
    let millis = ttl.as_nanos().div_ceil(1_000_000);
    Ok(u64::try_from(millis).map_or(MAX_TTL_MILLIS, |ms| ms.min(MAX_TTL_MILLIS)))
}

fn byte_limit(size: bytesize::ByteSize) -> usize {
    usize::try_from(size.as_u64()).unwrap_or(usize::MAX)
}

/// A `PX` argument for the scripts: the milliseconds, or empty for no expiry.
fn ttl_arg(ttl: Option<u64>) -> Vec<u8> {
    ttl.map(|ms| ms.to_string().into_bytes())
        .unwrap_or_default()
}

fn with_ttl(mut cmd: redis::Cmd, ttl: Option<u64>) -> redis::Cmd {
    if let Some(ms) = ttl {
        cmd.arg("PX").arg(ms);
    }
    cmd
}

fn set_cmd(key: &[u8], value: &[u8]) -> redis::Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    cmd
}

impl Store for RedisStore {
    fn get<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            let mut conn = self.connection.clone();
            let cmd = redis::cmd("GET").arg(&key).to_owned();
            self.round_trip(StoreOp::Get, cmd.query_async(&mut conn))
                .await
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            self.check_value(&value)?;
            let ttl = ttl.map(ttl_millis).transpose()?;
            let mut conn = self.connection.clone();
            let cmd = with_ttl(set_cmd(&key, &value), ttl);
            self.round_trip(StoreOp::Set, cmd.exec_async(&mut conn))
                .await
        })
    }

    fn delete<'a>(&'a self, key: &'a Bytes) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            let mut conn = self.connection.clone();
            let cmd = redis::cmd("DEL").arg(&key).to_owned();
            let removed: u64 = self
                .round_trip(StoreOp::Delete, cmd.query_async(&mut conn))
                .await?;
            Ok(removed > 0)
        })
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a Bytes,
        value: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            self.check_value(&value)?;
            let ttl = ttl.map(ttl_millis).transpose()?;
            let mut conn = self.connection.clone();
            let mut cmd = set_cmd(&key, &value);
            cmd.arg("NX").arg("GET");
            let cmd = with_ttl(cmd, ttl);
            self.round_trip(StoreOp::InsertIfAbsent, cmd.query_async(&mut conn))
                .await
        })
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
        new: Bytes,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            self.check_value(&new)?;
            let ttl = ttl.map(ttl_millis).transpose()?;
            let mut conn = self.connection.clone();
            let mut call = self.inner.scripts.compare_and_set.key(&key);
            call.arg(expected).arg(new.as_ref()).arg(ttl_arg(ttl));
            self.round_trip(StoreOp::CompareAndSet, call.invoke_async(&mut conn))
                .await
        })
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a Bytes,
        expected: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let key = self.checked_key(key)?;
            let mut conn = self.connection.clone();
            let mut call = self.inner.scripts.compare_and_delete.key(&key);
            call.arg(expected);
            self.round_trip(StoreOp::CompareAndDelete, call.invoke_async(&mut conn))
                .await
        })
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.inner.address)
            .field("keys", &self.inner.keys)
            .field("command_timeout", &self.inner.command_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_whole_milliseconds_rounded_up_and_never_zero() {
        assert_eq!(ttl_millis(Duration::from_nanos(1)).unwrap(), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)).unwrap(), 2);
        assert_eq!(ttl_millis(Duration::from_millis(250)).unwrap(), 250);
        assert_eq!(ttl_millis(Duration::MAX).unwrap(), MAX_TTL_MILLIS);
        assert!(matches!(
            ttl_millis(Duration::ZERO),
            Err(StoreError::InvalidInput(InputError::ZeroTtl))
        ));
    }

    #[test]
    fn the_script_ttl_argument_is_empty_for_no_expiry() {
        assert_eq!(ttl_arg(None), b"");
        assert_eq!(ttl_arg(Some(1500)), b"1500");
    }

    #[test]
    fn set_commands_carry_px_only_with_a_ttl() {
        let with = with_ttl(set_cmd(b"k", b"v"), Some(7)).get_packed_command();
        assert!(with.ends_with(b"$2\r\nPX\r\n$1\r\n7\r\n"));
        let without = with_ttl(set_cmd(b"k", b"v"), None).get_packed_command();
        assert!(without.ends_with(b"$1\r\nv\r\n"));
    }
}

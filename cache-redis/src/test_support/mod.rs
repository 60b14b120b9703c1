//! A Redis for tests (feature `test-support`): the server named by `REDIS_URL`, or else a private
//! `redis-server`, so that this crate's tests and those of the crates above use one logic.
//!
//! `cargo xtask ci` sets `REDIS_URL` to a server it provisions for the whole test step. Under a
//! plain `cargo test`, each [`TestRedis`] starts its own `redis-server` when the binary is on the
//! `PATH`, and fails with a message saying what to install when it is not: a test that needs Redis
//! never passes without one.
//!
//! Tests never flush: every [`TestRedis::config`] carries a key prefix unique to the call, and on
//! a shared server the keys under those prefixes (and only those) are removed when the
//! [`TestRedis`] is dropped.

mod cleanup;
mod cluster;
mod commands;
mod server;
mod store;

use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

pub use cluster::PrivateCluster;
pub use commands::CommandCounter;
pub use server::PrivateRedis;
pub use store::{TestStore, connect_store};

use crate::RedisConfig;

/// The environment variable naming a Redis 7 server to test against.
pub const REDIS_URL: &str = "REDIS_URL";

/// Why no Redis could be had for a test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestRedisError {
    /// `REDIS_URL` is unset and `redis-server` is not on the `PATH`.
    #[error(
        "these tests need Redis 7: set REDIS_URL to a server (`cargo xtask ci` provisions one), \
         or install `redis-server` (Debian/Ubuntu: `apt-get install redis-server`)"
    )]
    NoServer,
    /// `REDIS_URL` is set but is not a usable Redis URL.
    #[error("REDIS_URL is invalid: {0}")]
    InvalidUrl(#[from] crate::ConfigError),
    /// A private server exited or did not answer.
    #[error("redis-server did not start ({status}); its log:\n{log}")]
    ServerExited {
        /// The exit status, or how long it was waited for.
        status: String,
        /// The server's log file.
        log: String,
    },
    /// An I/O step of starting a server failed.
    #[error("could not {action}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The server could not be connected to.
    #[error(transparent)]
    Connect(#[from] crate::ConnectError),
    /// A command sent to the server failed.
    #[error("Redis command failed: {0}")]
    Command(#[from] redis::RedisError),
}

/// A Redis to test against: `REDIS_URL`'s, or a [`PrivateRedis`] owned by this value.
///
/// ```no_run
/// use cache_redis::RedisStore;
/// use cache_redis::test_support::TestRedis;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = TestRedis::from_env()?;
/// let store = RedisStore::connect(&redis.config()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TestRedis {
    config: RedisConfig,
    owned: Owned,
    /// The prefixes handed out, whose keys are removed from a shared server on drop.
    prefixes: Mutex<Vec<String>>,
}

/// The server a [`TestRedis`] stops when dropped, if any.
#[derive(Debug)]
enum Owned {
    Nothing,
    Server(PrivateRedis),
    Cluster(PrivateCluster),
}

impl TestRedis {
    /// The server at `REDIS_URL` when it is set, else a private `redis-server`.
    pub fn from_env() -> Result<Self, TestRedisError> {
        match std::env::var(REDIS_URL) {
            Ok(url) if !url.trim().is_empty() => Self::shared(url.trim()),
            _ => Self::private(&[]),
        }
    }

    /// The server at `url`, owned by someone else: never stopped, never flushed; the keys under
    /// the prefixes [`TestRedis::config`] handed out are removed when this value is dropped.
    pub fn shared(url: &str) -> Result<Self, TestRedisError> {
        Ok(Self {
            config: RedisConfig::from_url(url)?,
            owned: Owned::Nothing,
            prefixes: Mutex::default(),
        })
    }

    /// Always a private `redis-server`, started with `args` (see [`PrivateRedis::start`]).
    pub fn private(args: &[&str]) -> Result<Self, TestRedisError> {
        let server = PrivateRedis::start(args)?;
        Ok(Self {
            config: RedisConfig::from_url(&server.url())?,
            owned: Owned::Server(server),
            prefixes: Mutex::default(),
        })
    }

    /// Always a private three-node Redis Cluster (see [`PrivateCluster`]); its configs set
    /// [`RedisConfig::cluster`].
    pub fn private_cluster() -> Result<Self, TestRedisError> {
        let cluster = PrivateCluster::start()?;
        let config = RedisConfig {
            cluster: true,
            ..RedisConfig::from_url(&cluster.url())?
        };
        Ok(Self {
            config,
            owned: Owned::Cluster(cluster),
            prefixes: Mutex::default(),
        })
    }

    /// A configuration for this server with a key prefix no other call returns, so concurrent
    /// tests (and runs) never see each other's keys.
    pub fn config(&self) -> RedisConfig {
        let key_prefix = unique_prefix("test");
        self.prefixes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(key_prefix.clone());
        RedisConfig {
            key_prefix,
            ..self.config.clone()
        }
    }

    /// The private server, when this value owns one (not when it uses `REDIS_URL`).
    pub fn server(&mut self) -> Option<&mut PrivateRedis> {
        match &mut self.owned {
            Owned::Server(server) => Some(server),
            Owned::Nothing | Owned::Cluster(_) => None,
        }
    }

    /// The private cluster, when this value owns one.
    pub fn cluster(&self) -> Option<&PrivateCluster> {
        match &self.owned {
            Owned::Cluster(cluster) => Some(cluster),
            Owned::Nothing | Owned::Server(_) => None,
        }
    }

    /// A [`CommandCounter`] on this server: what it executes between two readings.
    pub async fn command_counter(&self) -> Result<CommandCounter, TestRedisError> {
        CommandCounter::connect(&self.config).await
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let prefixes = std::mem::take(
            self.prefixes
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        // A private server goes away with its keys; a shared one keeps only what others wrote.
        if matches!(self.owned, Owned::Nothing)
            && !prefixes.is_empty()
            && let Err(err) = cleanup::remove_keys(&self.config, prefixes)
        {
            eprintln!("warning: could not remove this test's keys from REDIS_URL's server: {err}");
        }
    }
}

/// `<label>:<pid>:<random>:`, different at every call.
pub fn unique_prefix(label: &str) -> String {
    let random = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{label}:{}:{random:016x}:", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_differ_at_every_call() {
        let a = unique_prefix("t");
        assert!(a.starts_with("t:") && a.ends_with(':'));
        assert_ne!(a, unique_prefix("t"));
    }
}

//! Counting the commands a server executes, as the server counts them (`INFO commandstats`).

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use redis::{Client, ProtocolVersion};

use super::TestRedisError;
use crate::RedisConfig;

/// Reads `INFO commandstats` on a connection of its own, and reports what the server executed
/// between two readings: by lower-case command name (`set`, `evalsha`, `script|load`…), without
/// this counter's own `INFO` and connection setup.
///
/// Redis counts the commands a Lua script calls as well: a compare-and-set that swaps shows as
/// `evalsha`, `get` and `set`, though the client sent one command.
///
/// ```no_run
/// # async fn demo(redis: cache_redis::test_support::TestRedis) -> Result<(), Box<dyn std::error::Error>> {
/// let mut counter = redis.command_counter().await?;
/// // … a workload …
/// let executed = counter.executed().await?;
/// println!("{} SETs", executed.get("set").copied().unwrap_or(0));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CommandCounter {
    connection: MultiplexedConnection,
    last: BTreeMap<String, u64>,
}

impl CommandCounter {
    pub(super) async fn connect(config: &RedisConfig) -> Result<Self, TestRedisError> {
        let info = crate::connect::connection_info(config)?;
        // RESP2 and no client name: no `HELLO` or `CLIENT SETINFO` to count.
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP2)
            .set_skip_set_lib_name();
        let client = Client::open(info.set_redis_settings(settings))?;
        let mut counter = Self {
            connection: client.get_multiplexed_async_connection().await?,
            last: BTreeMap::new(),
        };
        counter.last = counter.read().await?;
        Ok(counter)
    }

    /// The commands executed since the previous reading (or since the counter was made).
    pub async fn executed(&mut self) -> Result<BTreeMap<String, u64>, TestRedisError> {
        let now = self.read().await?;
        let executed = since(&self.last, &now);
        self.last = now;
        Ok(executed)
    }

    async fn read(&mut self) -> Result<BTreeMap<String, u64>, TestRedisError> {
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.connection)
            .await?;
        Ok(parse(&stats))
    }
}

/// `now - before`, less the `INFO` that took `before` (a reading counts in the next one), without
/// zeros.
fn since(before: &BTreeMap<String, u64>, now: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    now.iter()
        .map(|(name, calls)| {
            let earlier = before.get(name).copied().unwrap_or(0) + u64::from(name == "info");
            (name.clone(), calls.saturating_sub(earlier))
        })
        .filter(|(_, calls)| *calls > 0)
        .collect()
}

fn parse(info: &str) -> BTreeMap<String, u64> {
    info.lines()
        .filter_map(|line| line.strip_prefix("cmdstat_"))
        .filter_map(|line| {
            let (name, fields) = line.split_once(':')?;
            let calls = fields
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commandstats() {
        let info = "# Commandstats\r\ncmdstat_set:calls=12,usec=40,usec_per_call=3.33,\
                    rejected_calls=0,failed_calls=0\r\ncmdstat_evalsha:calls=3,usec=9\r\n";
        let calls = parse(info);
        assert_eq!(calls["set"], 12);
        assert_eq!(calls["evalsha"], 3);
        assert_eq!(calls.len(), 2);
    }

    #[test]
    fn a_difference_leaves_out_the_previous_reading() {
        let before = parse("cmdstat_set:calls=1\ncmdstat_info:calls=4\n");
        let now = parse("cmdstat_set:calls=3\ncmdstat_info:calls=5\ncmdstat_get:calls=1\n");
        let executed = since(&before, &now);
        assert_eq!(executed.len(), 2);
        assert_eq!((executed["set"], executed["get"]), (2, 1));
    }
}

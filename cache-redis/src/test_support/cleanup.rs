//! Removing what tests wrote to a shared server: the keys under the prefixes they were given,
//! and nothing else (never a flush).

use redis::AsyncCommands;

use super::TestRedisError;
use crate::RedisConfig;

/// Keys removed per `UNLINK`.
const BATCH: usize = 1000;

/// Unlinks every key that starts with one of `prefixes`, on a thread and runtime of its own, so
/// that it can run from `Drop` inside or outside an async context.
pub(super) fn remove_keys(
    config: &RedisConfig,
    prefixes: Vec<String>,
) -> Result<(), TestRedisError> {
    let info = crate::connect::connection_info(config)?;
    let cleanup = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| TestRedisError::Io {
                action: "start a runtime to remove test keys",
                source,
            })?;
        runtime.block_on(async move {
            let client = redis::Client::open(info)?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            for prefix in prefixes {
                let pattern = format!("{}*", escape_glob(&prefix));
                let keys: Vec<Vec<u8>> = {
                    let mut scan = conn.clone();
                    let mut iter = scan.scan_match::<_, Vec<u8>>(&pattern).await?;
                    let mut keys = Vec::new();
                    while let Some(key) = iter.next_item().await {
                        keys.push(key?);
                    }
                    keys
                };
                for batch in keys.chunks(BATCH) {
                    let _: u64 = conn.unlink(batch).await?;
                }
            }
            Ok(())
        })
    });
    cleanup
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `pattern` with the glob characters of `SCAN MATCH` escaped.
fn escape_glob(pattern: &str) -> String {
    let mut escaped = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_glob_characters() {
        assert_eq!(escape_glob("test:1:ab:"), "test:1:ab:");
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}

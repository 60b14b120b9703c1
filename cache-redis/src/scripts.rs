//! The Lua scripts behind compare-and-set and compare-and-delete: one round trip each, atomic on
//! the server.
//!
//! [`redis::Script`] sends `EVALSHA` and, when the server answers `NOSCRIPT` (first use, or after
//! a restart or `SCRIPT FLUSH`), loads the script and sends it again.

use redis::Script;

/// `KEYS[1]`; `ARGV`: expected, new value, TTL in milliseconds or empty for none. Returns 1 when
/// the value was replaced.
const COMPARE_AND_SET: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
";

/// `KEYS[1]`; `ARGV`: expected. Returns 1 when the key was deleted.
const COMPARE_AND_DELETE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
return redis.call('DEL', KEYS[1])
";

/// Both scripts, hashed once.
#[derive(Debug)]
pub(crate) struct Scripts {
    pub(crate) compare_and_set: Script,
    pub(crate) compare_and_delete: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            compare_and_set: Script::new(COMPARE_AND_SET),
            compare_and_delete: Script::new(COMPARE_AND_DELETE),
        }
    }
}

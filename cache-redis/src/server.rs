//! What the store checks about the server when it connects: its version, and whether it may evict
//! keys.

use crate::ConnectError;

/// The oldest Redis that accepts `SET key value NX GET`.
pub(crate) const REQUIRED_VERSION: (u32, u32) = (7, 0);

/// The fields of `INFO server memory` the store cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerInfo {
    /// `redis_version`, as reported.
    pub(crate) version: String,
    /// `redis_mode`: `standalone`, `cluster` or `sentinel`.
    pub(crate) mode: String,
    /// `maxmemory` in bytes; 0 means no limit.
    pub(crate) maxmemory: u64,
    /// `maxmemory_policy`, e.g. `noeviction`.
    pub(crate) maxmemory_policy: String,
}

impl ServerInfo {
    /// Reads the fields out of an `INFO` reply (`name:value` lines).
    pub(crate) fn parse(info: &str) -> Self {
        let field = |name: &str| {
            info.lines()
                .filter_map(|line| line.trim_end().split_once(':'))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned())
        };
        Self {
            version: field("redis_version").unwrap_or_default(),
            mode: field("redis_mode").unwrap_or_default(),
            maxmemory: field("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0),
            maxmemory_policy: field("maxmemory_policy").unwrap_or_default(),
        }
    }

    /// Refuses a server older than [`REQUIRED_VERSION`] (or one that does not say).
    pub(crate) fn check_version(&self, address: &str) -> Result<(), ConnectError> {
        let mut parts = self.version.split('.').map(|p| p.parse::<u32>());
        let major_minor = match (parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor))) => Some((major, minor)),
            _ => None,
        };
        match major_minor {
            Some(found) if found >= REQUIRED_VERSION => Ok(()),
            _ => Err(ConnectError::ServerTooOld {
                address: address.to_owned(),
                found: if self.version.is_empty() {
                    "of unknown version".to_owned()
                } else {
                    self.version.clone()
                },
                required: "7.0",
            }),
        }
    }

    /// True when the server may evict keys that have a TTL (all of this store's records, in
    /// practice) to make room: anything but `noeviction`.
    pub(crate) fn may_evict(&self) -> bool {
        self.maxmemory_policy != "noeviction"
    }

    /// Logs a warning when [`ServerInfo::may_evict`]: an evicted idempotency record lets a
    /// retry run twice, silently.
    pub(crate) fn warn_if_evicting(&self, address: &str) {
        if self.may_evict() {
            tracing::warn!(
                address,
                maxmemory_policy = %self.maxmemory_policy,
                maxmemory = self.maxmemory,
                "Redis may evict keys under memory pressure, which silently breaks idempotency: \
                 set `maxmemory-policy noeviction` so a full server refuses writes instead"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n\
                        # Memory\r\nmaxmemory:1048576\r\nmaxmemory_human:1.00M\r\n\
                        maxmemory_policy:allkeys-lru\r\n";

    #[test]
    fn parses_the_fields_of_info() {
        let info = ServerInfo::parse(INFO);
        assert_eq!(info.version, "7.0.15");
        assert_eq!(info.mode, "standalone");
        assert_eq!(info.maxmemory, 1_048_576);
        assert_eq!(info.maxmemory_policy, "allkeys-lru");
        assert!(info.may_evict());
    }

    #[test]
    fn accepts_seven_and_later() {
        for version in ["7.0.0", "7.2.4", "8.0.1", "10.0.0"] {
            let info = ServerInfo::parse(&format!("redis_version:{version}\n"));
            info.check_version("h:1").unwrap();
        }
    }

    #[test]
    fn refuses_older_servers_naming_the_version_needed() {
        for (version, shown) in [("6.2.14", "6.2.14"), ("", "of unknown version"), ("x", "x")] {
            let info = ServerInfo::parse(&format!("redis_version:{version}\n"));
            let err = info.check_version("h:1").unwrap_err().to_string();
            assert!(err.contains("7.0"), "{err}");
            assert!(err.contains(shown), "{err}");
        }
    }

    #[test]
    fn only_noeviction_is_safe() {
        let info = ServerInfo::parse("maxmemory_policy:noeviction\n");
        assert!(!info.may_evict());
        for policy in ["volatile-lru", "allkeys-random", "volatile-ttl"] {
            assert!(ServerInfo::parse(&format!("maxmemory_policy:{policy}\n")).may_evict());
        }
    }
}

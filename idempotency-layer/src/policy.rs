//! Which responses are kept for replay.

use http::{HeaderMap, StatusCode};

use crate::config::KeepConfig;
use crate::error::ConfigError;

/// The validated form of [`KeepConfig`].
#[derive(Debug, Clone)]
pub(crate) struct KeepPolicy {
    ranges: Vec<(u16, u16)>,
    except: Vec<u16>,
    /// Bit `n` set when gRPC code `n` is kept.
    grpc_codes: u32,
}

impl KeepPolicy {
    pub(crate) fn new(config: &KeepConfig) -> Result<Self, ConfigError> {
        let ranges = config
            .statuses
            .iter()
            .map(|s| status_range(s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut grpc_codes = 0;
        for &code in &config.grpc_codes {
            if code > 16 {
                return Err(ConfigError::new(
                    "keep.grpc_codes",
                    format!("{code} is not a gRPC status code (0-16)"),
                ));
            }
            grpc_codes |= 1 << code;
        }
        Ok(Self {
            ranges,
            except: config.except.clone(),
            grpc_codes,
        })
    }

    /// True when a response with this status may be kept; the answer is final unless the
    /// response turns out to be gRPC (see [`KeepPolicy::keeps`]).
    pub(crate) fn keeps_status(&self, status: StatusCode) -> bool {
        let code = status.as_u16();
        self.ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&code))
            && !self.except.contains(&code)
    }

    /// True when the whole response is kept: a gRPC response by its `grpc-status` (in the
    /// trailers, or in the headers of a trailers-only response), any other by its status.
    pub(crate) fn keeps(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        trailers: Option<&HeaderMap>,
    ) -> bool {
        let grpc_status = trailers
            .and_then(|t| t.get("grpc-status"))
            .or_else(|| headers.get("grpc-status"));
        match grpc_status {
            Some(value) => std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|s| s.parse::<u8>().ok())
                .is_some_and(|code| code <= 16 && self.grpc_codes & (1 << code) != 0),
            None => self.keeps_status(status),
        }
    }
}

fn status_range(spec: &str) -> Result<(u16, u16), ConfigError> {
    let bad = || {
        ConfigError::new(
            "keep.statuses",
            format!("`{spec}` is not a status (100-599) or a range like 200-499"),
        )
    };
    let parse = |s: &str| {
        s.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(bad)
    };
    let (lo, hi) = match spec.split_once('-') {
        Some((lo, hi)) => (parse(lo)?, parse(hi)?),
        None => (parse(spec)?, parse(spec)?),
    };
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_keeps_2xx_to_4xx_but_transient_answers() {
        let policy = KeepPolicy::new(&KeepConfig::default()).unwrap();
        for kept in [200, 201, 302, 400, 406, 422] {
            assert!(
                policy.keeps_status(StatusCode::from_u16(kept).unwrap()),
                "{kept}"
            );
        }
        for released in [100, 408, 409, 425, 429, 500, 503] {
            assert!(
                !policy.keeps_status(StatusCode::from_u16(released).unwrap()),
                "{released}"
            );
        }
    }

    #[test]
    fn grpc_responses_are_judged_by_their_code() {
        let policy = KeepPolicy::new(&KeepConfig::default()).unwrap();
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().unwrap());
        assert!(policy.keeps(StatusCode::OK, &HeaderMap::new(), Some(&trailers)));
        trailers.insert("grpc-status", "14".parse().unwrap());
        assert!(!policy.keeps(StatusCode::OK, &HeaderMap::new(), Some(&trailers)));
        assert!(!policy.keeps(StatusCode::OK, &trailers, None));
        trailers.insert("grpc-status", "x".parse().unwrap());
        assert!(!policy.keeps(StatusCode::OK, &HeaderMap::new(), Some(&trailers)));
    }

    #[test]
    fn ranges_are_validated() {
        for bad in ["600", "abc", "499-200", "-1"] {
            let config = KeepConfig {
                statuses: vec![bad.into()],
                ..Default::default()
            };
            assert_eq!(
                KeepPolicy::new(&config).unwrap_err().field(),
                "keep.statuses",
                "{bad}"
            );
        }
        let config = KeepConfig {
            grpc_codes: vec![17],
            ..Default::default()
        };
        assert_eq!(
            KeepPolicy::new(&config).unwrap_err().field(),
            "keep.grpc_codes"
        );
    }
}

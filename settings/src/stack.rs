//! The whole stack's configuration: one section per crate, each crate's own type.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Table;

use cache_core::CacheConfig;
use cache_persist::DurableConfig;
use cache_redis::RedisConfig;
use circuit_breaker::CircuitBreakerConfig;
use error_mapping::ErrorMappingConfig;
use idempotency_layer::IdempotencyConfig;
use incidents::IncidentsConfig;
use profiling::ProfilingConfig;

use crate::{Configuration, Invalid, Profile};

/// Every option of every crate of the stack, one section each.
///
/// ```toml
/// [idempotency]
/// lease = "90s"
///
/// [persist]
/// dir = "/var/lib/orders/idempotency"
/// fsync = "always"
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StackConfig {
    /// The in-process cache (`cache-core`).
    pub cache: CacheConfig,
    /// The durable local store (`cache-persist`).
    pub persist: DurableConfig,
    /// The Redis store (`cache-redis`).
    pub redis: RedisConfig,
    /// The idempotency layer (`idempotency-layer`).
    pub idempotency: IdempotencyConfig,
    /// Request ids and problem responses (`error-mapping`).
    pub error_mapping: ErrorMappingConfig,
    /// The circuit breaker (`circuit-breaker`).
    pub circuit_breaker: CircuitBreakerConfig,
    /// Alerts to a person (`incidents`).
    pub incidents: IncidentsConfig,
    /// HTTP metrics and slow-operation warnings (`profiling`).
    pub profiling: ProfilingConfig,
}

/// The section names of [`StackConfig`], as written in a file.
pub const STACK_SECTIONS: [&str; 8] = [
    "cache",
    "persist",
    "redis",
    "idempotency",
    "error_mapping",
    "circuit_breaker",
    "incidents",
    "profiling",
];

/// What `test` changes: fast, and strict about keys so that a missing one surfaces in tests.
const TEST_DEFAULTS: &str = r#"
[idempotency]
require_key = true

[persist]
fsync = "never"
"#;

/// What `prod` changes: every covered request must carry a key, recovery refuses damage it
/// would otherwise repair by dropping records, and the idempotency layer fails closed.
const PROD_DEFAULTS: &str = r#"
[idempotency]
require_key = true
on_store_failure = "fail-closed"

[persist]
fsync = "always"
recovery = "strict"
"#;

impl Configuration for StackConfig {
    fn profile_defaults(profile: Profile) -> Table {
        let text = match profile {
            Profile::Dev => "",
            Profile::Test => TEST_DEFAULTS,
            Profile::Prod => PROD_DEFAULTS,
        };
        toml::from_str(text).expect("the built-in profile defaults are valid TOML")
    }

    fn validate(&self) -> Vec<Invalid> {
        let mut invalid = Vec::new();
        // Every crate's error names its field relative to its own section.
        macro_rules! validate_sections {
            ($($section:ident),*) => {$(
                if let Err(err) = self.$section.validate() {
                    invalid.push(Invalid::new(err.field(), err.reason()).within(stringify!($section)));
                }
            )*};
        }
        validate_sections!(
            cache,
            persist,
            redis,
            idempotency,
            error_mapping,
            circuit_breaker,
            incidents,
            profiling
        );
        if let Some(reason) = creatable(&self.persist.dir) {
            invalid.push(Invalid::new("persist.dir", reason));
        }
        invalid
    }
}

/// Why `dir` can neither be used nor created, if it cannot.
fn creatable(dir: &Path) -> Option<String> {
    let existing = dir
        .ancestors()
        .find(|a| a.as_os_str().is_empty() || a.exists())?;
    if existing.as_os_str().is_empty() {
        return None;
    }
    match std::fs::metadata(existing) {
        Ok(meta) if !meta.is_dir() => Some(format!("`{}` is not a directory", existing.display())),
        Ok(meta) if meta.permissions().readonly() => {
            Some(format!("`{}` is read-only", existing.display()))
        }
        Ok(_) => None,
        Err(err) => Some(format!("`{}` cannot be read: {err}", existing.display())),
    }
}

//! What a type provides to be loaded: profile defaults and validation beyond types.

use serde::Serialize;
use serde::de::DeserializeOwned;
use toml::Table;

use crate::Profile;

/// A configuration document the [`Loader`](crate::Loader) can load.
///
/// The type gives its built-in defaults through `Default` and `#[serde(default)]` (so that any
/// key may be left out), may change them per [`Profile`], and checks what types cannot.
pub trait Configuration: DeserializeOwned + Serialize {
    /// The defaults a profile changes, as a TOML table laid over the type's `Default`.
    fn profile_defaults(profile: Profile) -> Table {
        let _ = profile;
        Table::new()
    }

    /// Checks beyond types (ranges, relations between fields, paths); every problem found.
    fn validate(&self) -> Vec<Invalid> {
        Vec::new()
    }
}

/// A value that deserialized but is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The dotted key path of the offending value (`idempotency.lease`).
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl Invalid {
    /// An invalid value at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same problem, with its path placed under `section` (`lease` → `idempotency.lease`).
    pub fn within(mut self, section: &str) -> Self {
        self.path = if self.path.is_empty() {
            section.to_owned()
        } else {
            format!("{section}.{}", self.path)
        };
        self
    }
}

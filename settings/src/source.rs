//! Where a configuration value came from.

use std::fmt;
use std::path::PathBuf;

use crate::Profile;

/// The layer that gave a value its final say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The type's built-in default.
    Default,
    /// The built-in defaults of a profile.
    Profile(Profile),
    /// A TOML file, at a line.
    File {
        /// The file's path as given.
        path: PathBuf,
        /// The 1-based line of the value.
        line: usize,
    },
    /// An environment variable, by its literal name.
    Env {
        /// The variable's name, e.g. `RESYNC_SERVER__PORT`.
        var: String,
    },
    /// A command-line flag.
    Flag {
        /// The flag as typed, e.g. `--port`.
        flag: String,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("built-in default"),
            Source::Profile(profile) => write!(f, "profile `{profile}` default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Env { var } => write!(f, "environment variable {var}"),
            Source::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

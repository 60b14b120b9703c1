//! Loading a configuration from its layers: defaults < profile < file < environment < flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_path_to_error::Segment;
use toml::Value;

use crate::env::{self, CONFIG_VAR, PROFILE_VAR};
use crate::error::Issue;
use crate::layers::{KeyPath, Layer, Merged, dotted};
use crate::redact::{display_value, is_secret};
use crate::{Configuration, Loaded, Profile, SettingsError, Source, file};

/// How many distinct problems one load reports at most before it stops looking for more.
const MAX_ISSUES: usize = 64;

/// Loads a [`Configuration`] from built-in defaults, the profile's defaults, an optional TOML
/// file and the environment, the later winning.
///
/// The environment is handed in as a map (the process environment by default), so tests never
/// mutate the process.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde::{Deserialize, Serialize};
/// use settings::{Configuration, Loader};
///
/// #[derive(Debug, Default, Deserialize, Serialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Server { port: u16 }
///
/// #[derive(Debug, Default, Deserialize, Serialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct App { server: Server }
/// impl Configuration for App {}
///
/// let env = BTreeMap::from([("RESYNC_SERVER__PORT".to_owned(), "8080".to_owned())]);
/// let loaded = Loader::with_env(env.clone()).load::<App>().unwrap();
/// assert_eq!(loaded.config().server.port, 8080);
///
/// let bad = BTreeMap::from([("RESYNC_SERVER__PORT".to_owned(), "abc".to_owned())]);
/// let err = Loader::with_env(bad).load::<App>().unwrap_err();
/// assert!(err.to_string().contains("RESYNC_SERVER__PORT"));
/// assert!(err.to_string().contains("server.port"));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Loader {
    env: BTreeMap<String, String>,
    file: Option<PathBuf>,
    profile: Option<Profile>,
    flags: Layer,
}

impl Default for Loader {
    fn default() -> Self {
        Self::from_process_env()
    }
}

impl Loader {
    /// A loader reading the process environment.
    pub fn from_process_env() -> Self {
        Self::with_env(std::env::vars().collect())
    }

    /// A loader reading `env` in place of the process environment.
    pub fn with_env(env: BTreeMap<String, String>) -> Self {
        Self {
            env,
            file: None,
            profile: None,
            flags: Layer::default(),
        }
    }

    /// Reads this TOML file, in place of the one `RESYNC_CONFIG` names (a command-line flag
    /// wins over the environment).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Uses this profile, in place of the one `RESYNC_PROFILE` names.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// Sets the value at a dotted key path from a command-line flag: the last layer, over the
    /// environment. `flag` is how the source is named in errors and `--print-config`.
    ///
    /// # Panics
    ///
    /// When `dotted_path` is empty or crosses a value set by an earlier flag.
    pub fn flag(mut self, dotted_path: &str, flag: &str, value: impl Into<toml::Value>) -> Self {
        let path: KeyPath = dotted_path.split('.').map(str::to_owned).collect();
        let (last, parents) = path.split_last().expect("a key path has at least one key");
        let mut table = &mut self.flags.table;
        for key in parents {
            table = table
                .entry(key.clone())
                .or_insert_with(|| Value::Table(toml::Table::new()))
                .as_table_mut()
                .unwrap_or_else(|| panic!("`{key}` is set by a flag as a value, not a section"));
        }
        table.insert(last.clone(), value.into());
        self.flags.sources.insert(
            path,
            Source::Flag {
                flag: flag.to_owned(),
            },
        );
        self
    }

    /// The profile this loader uses: the one set, else `RESYNC_PROFILE`, else `dev`.
    pub fn resolved_profile(&self) -> Result<Profile, SettingsError> {
        match (self.profile, self.env.get(PROFILE_VAR)) {
            (Some(profile), _) => Ok(profile),
            (None, Some(name)) => name.parse().map_err(|err: crate::UnknownProfile| {
                Issue {
                    source: Source::Env {
                        var: PROFILE_VAR.to_owned(),
                    },
                    path: String::new(),
                    value: Some(format!("{name:?}")),
                    message: err.to_string(),
                }
                .into()
            }),
            (None, None) => Ok(Profile::default()),
        }
    }

    /// Loads, validates and returns the configuration, or every problem found.
    pub fn load<T: Configuration>(&self) -> Result<Loaded<T>, SettingsError> {
        let profile = self.resolved_profile()?;
        let mut merged = Merged::default();
        merged.overlay(Layer::uniform(
            T::profile_defaults(profile),
            Source::Profile(profile),
        ));
        let file = self
            .file
            .clone()
            .or_else(|| self.env.get(CONFIG_VAR).map(PathBuf::from));
        let mut issues = Vec::new();
        if let Some(path) = file {
            match file::read(&path) {
                Ok(layer) => merged.overlay(layer),
                Err(err) => issues.extend(err.issues().iter().cloned()),
            }
        }
        let mut env_raw = BTreeMap::new();
        match env::layer(&self.env) {
            Ok(env_layer) => {
                merged.overlay(env_layer.layer);
                env_raw = env_layer.raw;
            }
            Err(err) => issues.extend(err.issues().iter().cloned()),
        }
        merged.overlay(self.flags.clone());
        let config = deserialize::<T>(&mut merged, &env_raw, &mut issues);
        if let Some(config) = &config {
            for invalid in config.validate() {
                let path: KeyPath = invalid.path.split('.').map(str::to_owned).collect();
                issues.push(issue_at(&merged, &path, invalid.message));
            }
        }
        match config {
            Some(config) if issues.is_empty() => Ok(Loaded::new(config, profile, merged)),
            _ => Err(SettingsError::new(issues)),
        }
    }
}

/// Deserializes the merged document, collecting every type error: each offending value is
/// reported, then removed so that the next pass can find the next one.
fn deserialize<T: Configuration>(
    merged: &mut Merged,
    env_raw: &BTreeMap<KeyPath, String>,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    for _ in 0..MAX_ISSUES {
        let document = Value::Table(merged.table().clone());
        let err = match serde_path_to_error::deserialize::<_, T>(document) {
            Ok(config) => return Some(config),
            Err(err) => err,
        };
        let path = key_path(err.path());
        // A variable like RESYNC_REDIS__PASSWORD=1234 reads as a number; a string field takes
        // the text verbatim.
        if let Some(raw) = env_raw.get(&path)
            && merged.get(&path).is_some_and(|v| !v.is_str())
        {
            merged.replace(&path, Value::String(raw.clone()));
            continue;
        }
        let message = err.into_inner().to_string();
        let message = message
            .split("\nin `")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        issues.push(issue_at(merged, &path, message));
        if !merged.remove(&path) {
            return None;
        }
    }
    None
}

fn issue_at(merged: &Merged, path: &[String], message: String) -> Issue {
    let value = merged.get(path);
    let issue = Issue {
        source: merged.source_of(path),
        path: dotted(path),
        value: value.map(|value| display_value(path, value)),
        message,
    };
    match value {
        Some(value) if is_secret(path) => issue.redacted(&plain_text(value)),
        _ => issue,
    }
}

/// A value as a message would quote it: a string without its quotes.
fn plain_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn key_path(path: &serde_path_to_error::Path) -> KeyPath {
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } => Some(key.clone()),
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect()
}

//! A loaded configuration, with the source of every value and a printable form.

use std::fmt::Write as _;

use toml::{Table, Value};

use crate::layers::{KeyPath, Merged, dotted};
use crate::redact::display_value;
use crate::{Configuration, Profile, Source};

/// A configuration that loaded and validated, with where each value came from.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    config: T,
    profile: Profile,
    merged: Merged,
}

impl<T: Configuration> Loaded<T> {
    pub(crate) fn new(config: T, profile: Profile, merged: Merged) -> Self {
        Self {
            config,
            profile,
            merged,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &T {
        &self.config
    }

    /// Takes the configuration out.
    pub fn into_config(self) -> T {
        self.config
    }

    /// The profile it was loaded with.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Where the value at a dotted key path (`idempotency.lease`) came from.
    pub fn source_of(&self, dotted_path: &str) -> Source {
        let path: KeyPath = dotted_path.split('.').map(str::to_owned).collect();
        self.merged.source_of(&path)
    }

    /// The effective configuration as TOML, each value followed by its source, secrets
    /// redacted: what `--print-config` shows.
    pub fn render(&self) -> String {
        let table = match Value::try_from(&self.config) {
            Ok(Value::Table(table)) => table,
            Ok(other) => return format!("{other}\n"),
            Err(err) => return format!("# the configuration cannot be shown as TOML: {err}\n"),
        };
        let mut out = format!("# profile: {}\n", self.profile);
        render_table(&table, &mut Vec::new(), &self.merged, &mut out);
        out
    }
}

fn render_table(table: &Table, path: &mut KeyPath, merged: &Merged, out: &mut String) {
    let (leaves, sections): (Vec<_>, Vec<_>) = table.iter().partition(|(_, v)| !v.is_table());
    if !leaves.is_empty() && !path.is_empty() {
        let _ = writeln!(out, "\n[{}]", dotted(path));
    }
    for (key, value) in leaves {
        path.push(key.clone());
        let shown = display_value(path, value);
        let _ = writeln!(out, "{key} = {shown}  # {}", merged.source_of(path));
        path.pop();
    }
    for (key, value) in sections {
        path.push(key.clone());
        if let Value::Table(inner) = value {
            render_table(inner, path, merged, out);
        }
        path.pop();
    }
}

//! The environment layer: `RESYNC_`-prefixed variables, `__` for nesting.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::error::Issue;
use crate::layers::{KeyPath, Layer, dotted};
use crate::{SettingsError, Source};

/// The prefix of every variable read.
pub const PREFIX: &str = "RESYNC_";
/// The variable naming the profile.
pub const PROFILE_VAR: &str = "RESYNC_PROFILE";
/// The variable naming the configuration file.
pub const CONFIG_VAR: &str = "RESYNC_CONFIG";
/// The separator between nesting levels in a variable's name.
const NESTING: &str = "__";

/// The environment's values, and the raw text of each, which a string field takes verbatim when
/// the text also reads as a number or a boolean (`RESYNC_REDIS__PASSWORD=1234`).
#[derive(Debug, Default)]
pub(crate) struct EnvLayer {
    pub(crate) layer: Layer,
    pub(crate) raw: BTreeMap<KeyPath, String>,
}

/// Builds the layer from `env`, reading only the `RESYNC_` variables other than the profile and
/// file selectors.
pub(crate) fn layer(env: &BTreeMap<String, String>) -> Result<EnvLayer, SettingsError> {
    let mut out = EnvLayer::default();
    let mut issues = Vec::new();
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix(PREFIX) else {
            continue;
        };
        if var == PROFILE_VAR || var == CONFIG_VAR {
            continue;
        }
        let source = Source::Env { var: var.clone() };
        let path: KeyPath = rest.split(NESTING).map(str::to_ascii_lowercase).collect();
        if path.iter().any(String::is_empty) {
            issues.push(Issue::at_root(
                source,
                "the variable's name has an empty key between `__`",
            ));
            continue;
        }
        if let Err(clash) = insert(&mut out.layer.table, &path, parse_value(raw)) {
            issues.push(Issue::at_root(
                source,
                format!(
                    "`{}` is set both as a value and as a section",
                    dotted(&clash)
                ),
            ));
            continue;
        }
        out.layer.sources.insert(path.clone(), source);
        out.raw.insert(path, raw.clone());
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(SettingsError::new(issues))
    }
}

/// Reads `raw` as a TOML value (`8080`, `true`, `["POST"]`, `"quoted"`), or else as a string
/// (`90s`, `redis://host`).
fn parse_value(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut table| table.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

fn insert(table: &mut Table, path: &[String], value: Value) -> Result<(), KeyPath> {
    let (last, parents) = path
        .split_last()
        .expect("a variable names at least one key");
    let mut current = table;
    for (depth, key) in parents.iter().enumerate() {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| path[..=depth].to_vec())?;
    }
    if matches!(current.get(last), Some(Value::Table(_))) {
        return Err(path.to_vec());
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nesting_case_and_types() {
        let out = layer(&env(&[
            ("RESYNC_IDEMPOTENCY__LEASE", "90s"),
            ("RESYNC_SERVER__PORT", "8080"),
            ("RESYNC_IDEMPOTENCY__FAIL_OPEN", "true"),
            ("RESYNC_PROFILE", "prod"),
            ("HOME", "/root"),
        ]))
        .unwrap();
        let table = &out.layer.table;
        assert_eq!(table["idempotency"]["lease"], Value::String("90s".into()));
        assert_eq!(table["idempotency"]["fail_open"], Value::Boolean(true));
        assert_eq!(table["server"]["port"], Value::Integer(8080));
        assert!(!table.contains_key("profile"));
        assert_eq!(out.layer.sources.len(), 3);
    }

    #[test]
    fn malformed_names_are_reported_with_the_variable() {
        let err = layer(&env(&[
            ("RESYNC_A____B", "1"),
            ("RESYNC_X", "1"),
            ("RESYNC_X__Y", "2"),
        ]))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("RESYNC_A____B"), "{text}");
        assert!(text.contains("RESYNC_X__Y"), "{text}");
    }
}

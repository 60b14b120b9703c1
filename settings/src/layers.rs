//! The merged document, and for every value the layer that set it.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::Source;

/// A key path, outermost first: `["idempotency", "lease"]`.
pub(crate) type KeyPath = Vec<String>;

/// Renders a key path the way users write it: `idempotency.lease`.
pub(crate) fn dotted(path: &[String]) -> String {
    path.join(".")
}

/// One layer: a table of values, where each of its leaves came from, and where each of its
/// sections was opened (a file's `[section]` line), for errors about a section as a whole.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layer {
    pub(crate) table: Table,
    pub(crate) sources: BTreeMap<KeyPath, Source>,
    pub(crate) sections: BTreeMap<KeyPath, Source>,
}

impl Layer {
    /// A layer whose every leaf has the same source.
    pub(crate) fn uniform(table: Table, source: Source) -> Self {
        let mut sources = BTreeMap::new();
        for_each_leaf(&table, &mut Vec::new(), &mut |path, _| {
            sources.insert(path.to_vec(), source.clone());
        });
        Self {
            table,
            sources,
            sections: BTreeMap::new(),
        }
    }
}

/// The layers merged so far, the later winning.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    table: Table,
    sources: BTreeMap<KeyPath, Source>,
    sections: BTreeMap<KeyPath, Source>,
}

impl Merged {
    /// Lays `layer` over what is merged: tables merge key by key, anything else replaces.
    pub(crate) fn overlay(&mut self, layer: Layer) {
        merge_tables(&mut self.table, layer.table);
        for (path, source) in layer.sources {
            self.sources
                .retain(|old, _| !old.starts_with(&path) || old == &path);
            self.sources.insert(path, source);
        }
        self.sections.extend(layer.sections);
    }

    /// The merged document.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    /// The value at `path`, if the document has one.
    pub(crate) fn get(&self, path: &[String]) -> Option<&Value> {
        let (last, parents) = path.split_last()?;
        let mut table = &self.table;
        for key in parents {
            table = table.get(key)?.as_table()?;
        }
        table.get(last)
    }

    /// Replaces the value at `path`, keeping its source.
    pub(crate) fn replace(&mut self, path: &[String], value: Value) {
        if let Some(slot) = self.get_mut(path) {
            *slot = value;
        }
    }

    /// Removes the value at `path`, so that the type's default applies there.
    pub(crate) fn remove(&mut self, path: &[String]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut table = &mut self.table;
        for key in parents {
            match table.get_mut(key).and_then(Value::as_table_mut) {
                Some(inner) => table = inner,
                None => return false,
            }
        }
        table.remove(last).is_some()
    }

    /// The layer that set the value at `path`: its own source, else that of an enclosing value
    /// set whole, else (for a section) where the section was opened, else the default.
    pub(crate) fn source_of(&self, path: &[String]) -> Source {
        (0..=path.len())
            .rev()
            .find_map(|len| self.sources.get(&path[..len]))
            .or_else(|| self.sections.get(path))
            .cloned()
            .unwrap_or(Source::Default)
    }

    fn get_mut(&mut self, path: &[String]) -> Option<&mut Value> {
        let (last, parents) = path.split_last()?;
        let mut table = &mut self.table;
        for key in parents {
            table = table.get_mut(key)?.as_table_mut()?;
        }
        table.get_mut(last)
    }
}

/// Lays `over` onto `base`: tables merge key by key, anything else replaces.
pub(crate) fn merge_tables(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_inner)), Value::Table(over_inner)) => {
                merge_tables(base_inner, over_inner)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Calls `f` with the path and value of every leaf (a value that is not a table).
pub(crate) fn for_each_leaf(
    table: &Table,
    path: &mut KeyPath,
    f: &mut impl FnMut(&[String], &Value),
) {
    for (key, value) in table {
        path.push(key.clone());
        match value {
            Value::Table(inner) => for_each_leaf(inner, path, f),
            leaf => f(path, leaf),
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(dotted: &str) -> KeyPath {
        dotted.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn later_layers_win_and_keep_their_sources() {
        let mut merged = Merged::default();
        let defaults: Table = toml::from_str("[a]\nx = 1\ny = 2").unwrap();
        merged.overlay(Layer::uniform(defaults, Source::Default));
        let env = Source::Env {
            var: "RESYNC_A__X".into(),
        };
        merged.overlay(Layer::uniform(
            toml::from_str("[a]\nx = 3").unwrap(),
            env.clone(),
        ));

        assert_eq!(merged.get(&path("a.x")), Some(&Value::Integer(3)));
        assert_eq!(merged.get(&path("a.y")), Some(&Value::Integer(2)));
        assert_eq!(merged.source_of(&path("a.x")), env);
        assert_eq!(merged.source_of(&path("a.y")), Source::Default);
        assert_eq!(merged.source_of(&path("a.missing")), Source::Default);
    }

    #[test]
    fn a_leaf_replacing_a_table_drops_the_table_sources() {
        let mut merged = Merged::default();
        let file = Source::File {
            path: "c.toml".into(),
            line: 2,
        };
        merged.overlay(Layer::uniform(toml::from_str("[a]\nx = 1").unwrap(), file));
        let env = Source::Env {
            var: "RESYNC_A".into(),
        };
        merged.overlay(Layer::uniform(
            toml::from_str("a = 5").unwrap(),
            env.clone(),
        ));
        assert_eq!(merged.source_of(&path("a.x")), env);
        assert!(merged.remove(&path("a")));
        assert_eq!(merged.get(&path("a")), None);
    }
}

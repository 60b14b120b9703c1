//! The file layer: a TOML document, with the line of every value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::{Spanned, Table};

use crate::error::Issue;
use crate::layers::{KeyPath, Layer};
use crate::{SettingsError, Source};

/// Reads and parses the TOML file at `path`; a file that cannot be read or parsed is an error
/// naming the file (and the line, for a syntax error).
pub(crate) fn read(path: &Path) -> Result<Layer, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        SettingsError::from(Issue::at_root(
            Source::File {
                path: path.to_owned(),
                line: 0,
            },
            format!("cannot read the configuration file: {err}"),
        ))
    })?;
    parse(path, &text)
}

/// Parses `text`, the contents of the file at `path`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Layer, SettingsError> {
    let syntax_error = |err: toml::de::Error| {
        let line = err.span().map_or(0, |span| line_of(text, span.start));
        let message = err.message().to_owned();
        SettingsError::from(Issue::at_root(
            Source::File {
                path: path.to_owned(),
                line,
            },
            message,
        ))
    };
    let table: Table = toml::from_str(text).map_err(syntax_error)?;
    let spans: Spanned<Node> = toml::from_str(text).map_err(syntax_error)?;
    let (mut sources, mut sections) = (BTreeMap::new(), BTreeMap::new());
    collect_lines(
        spans.into_inner(),
        &mut Vec::new(),
        &mut |key_path, start, is_section| {
            let source = Source::File {
                path: path.to_owned(),
                line: line_of(text, start),
            };
            let map = if is_section {
                &mut sections
            } else {
                &mut sources
            };
            map.insert(key_path.to_vec(), source);
        },
    );
    Ok(Layer {
        table,
        sources,
        sections,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The shape of a TOML document with the span of every value, and nothing else.
enum Node {
    Leaf,
    Table(BTreeMap<String, Spanned<Node>>),
}

/// Calls `f` with the path, starting offset and kind (section or not) of every value.
/// Calls `f` with the path, starting offset and kind (section or not) of every value.
fn collect_lines(node: Node, path: &mut KeyPath, f: &mut impl FnMut(&[String], usize, bool)) {
    if let Node::Table(entries) = node {
        for (key, value) in entries {
            path.push(key);
            let start = value.span().start;
            match value.into_inner() {
                Node::Leaf => f(path, start, false),
                table => {
                    f(path, start, true);
                    collect_lines(table, path, f);
                }
            }
            path.pop();
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_str<E>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Leaf)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Spanned<Node>>()? {
            entries.insert(key, value);
        }
        Ok(Node::Table(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_knows_its_line() {
        let text = "# comment\n[server]\nport = 80\n\n[idempotency]\nlease = \"90s\"\nmethods = [\"POST\"]\n";
        let layer = parse(Path::new("svc.toml"), text).unwrap();
        let line =
            |p: &str| match &layer.sources[&p.split('.').map(str::to_owned).collect::<Vec<_>>()] {
                Source::File { line, .. } => *line,
                other => panic!("unexpected source {other:?}"),
            };
        assert_eq!(line("server.port"), 3);
        assert_eq!(line("idempotency.lease"), 6);
        assert_eq!(line("idempotency.methods"), 7);
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let err = parse(Path::new("svc.toml"), "[server]\nport = = 80\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("svc.toml:2"), "{text}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = read(Path::new("/nonexistent/resync.toml")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/resync.toml"),
            "{err}"
        );
    }
}

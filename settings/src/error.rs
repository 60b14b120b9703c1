//! Configuration errors: every problem found, each naming its source, key path and value.

use std::fmt;

use crate::Source;
use crate::redact::REDACTED;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where the offending value came from.
    pub source: Source,
    /// The dotted key path (`idempotency.lease`); empty for the document as a whole.
    pub path: String,
    /// The offending value as written, or `[redacted]` for a secret.
    pub value: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl Issue {
    /// An issue about a whole source rather than one key.
    pub(crate) fn at_root(source: Source, message: impl Into<String>) -> Self {
        Self {
            source,
            path: String::new(),
            value: None,
            message: message.into(),
        }
    }

    /// Hides the secret `text`: the value is shown as `[redacted]`, and so is every place the
    /// message repeats it.
    pub(crate) fn redacted(mut self, text: &str) -> Self {
        self.value = Some(REDACTED.to_owned());
        if !text.is_empty() {
            self.message = self.message.replace(text, REDACTED);
        }
        self
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if !self.path.is_empty() {
            write!(f, ": `{}`", self.path)?;
        }
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The configuration could not be loaded; every issue found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    issues: Vec<Issue>,
}

impl SettingsError {
    pub(crate) fn new(issues: Vec<Issue>) -> Self {
        debug_assert!(!issues.is_empty(), "an error lists at least one issue");
        Self { issues }
    }

    /// Every issue found, in the order found.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }
}

impl From<Issue> for SettingsError {
    fn from(issue: Issue) -> Self {
        Self::new(vec![issue])
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issues.as_slice() {
            [one] => write!(f, "invalid configuration: {one}"),
            many => {
                write!(f, "invalid configuration ({} problems):", many.len())?;
                for issue in many {
                    write!(f, "\n  - {issue}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SettingsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_source_path_and_value() {
        let issue = Issue {
            source: Source::Env {
                var: "RESYNC_SERVER__PORT".into(),
            },
            path: "server.port".into(),
            value: Some("\"abc\"".into()),
            message: "invalid type: string \"abc\", expected u16".into(),
        };
        assert_eq!(
            issue.to_string(),
            "environment variable RESYNC_SERVER__PORT: `server.port` = \"abc\": invalid type: \
             string \"abc\", expected u16"
        );
        let secret = Issue {
            value: Some("hunter2".into()),
            message: "bad hunter2".into(),
            ..issue
        };
        let shown = secret.redacted("hunter2").to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

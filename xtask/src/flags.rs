//! The tasks and their flags, with the help text, in one place.

/// What `cargo xtask --help` prints.
pub(crate) const HELP: &str = "\
usage: cargo xtask <task> [flags]

tasks:
  ci      the whole gate, in order: fmt check, clippy (warnings denied), every test, docs
          (warnings denied); stops at the first failing step
  help    this text";

/// One parsed invocation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Task {
    Ci,
    Help,
}

impl Task {
    /// Parses the arguments that follow `cargo xtask`.
    pub(crate) fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        let (task, rest) = match args.split_first() {
            None => return Ok(Task::Help),
            Some((task, rest)) => (task.as_str(), rest),
        };
        let task = match task {
            "ci" => Task::Ci,
            "help" | "--help" | "-h" => Task::Help,
            other => return Err(format!("unknown task `{other}`")),
        };
        if let Some(extra) = rest.first() {
            return Err(format!("unexpected argument `{extra}`"));
        }
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Task, String> {
        Task::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn parses_tasks_and_rejects_unknown_input() {
        assert_eq!(parse(&["ci"]), Ok(Task::Ci));
        assert_eq!(parse(&[]), Ok(Task::Help));
        assert!(parse(&["deploy"]).unwrap_err().contains("deploy"));
        assert!(parse(&["ci", "--fast"]).unwrap_err().contains("--fast"));
    }
}

//! The tasks and their flags, with the help text, in one place.

use crate::bench;

/// What `cargo xtask --help` prints.
pub(crate) const HELP: &str = "\
usage: cargo xtask <task> [flags]

tasks:
  ci                      the whole gate, in order: fmt check, clippy (warnings denied), every
                          test, docs (warnings denied), every bench in smoke mode; stops at the
                          first failing step
  bench [NAME] [--quick]  release-mode benchmarks side by side with their peers; each prints a
                          table and writes target/bench/NAME.json. Without NAME, all of them.
                          --quick shrinks the workloads to seconds
  help                    this text";

/// One parsed invocation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Task {
    Ci,
    Bench {
        name: Option<String>,
        mode: bench::Mode,
    },
    Help,
}

impl Task {
    /// Parses the arguments that follow `cargo xtask`.
    pub(crate) fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        let Some((task, rest)) = args.split_first() else {
            return Ok(Task::Help);
        };
        match task.as_str() {
            "ci" => no_more(rest).map(|()| Task::Ci),
            "help" | "--help" | "-h" => no_more(rest).map(|()| Task::Help),
            "bench" => {
                let mut name = None;
                let mut mode = bench::Mode::Full;
                for arg in rest {
                    match arg.as_str() {
                        "--quick" => mode = bench::Mode::Quick,
                        flag if flag.starts_with('-') => {
                            return Err(format!("unknown flag `{flag}` for `bench`"));
                        }
                        _ if name.is_some() => return Err(format!("unexpected argument `{arg}`")),
                        _ => name = Some(arg.clone()),
                    }
                }
                Ok(Task::Bench { name, mode })
            }
            other => Err(format!("unknown task `{other}`")),
        }
    }
}

fn no_more(rest: &[String]) -> Result<(), String> {
    match rest.first() {
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
        None => Ok(()),
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

    #[test]
    fn parses_bench_name_and_quick() {
        assert_eq!(
            parse(&["bench", "cache", "--quick"]),
            Ok(Task::Bench {
                name: Some("cache".into()),
                mode: bench::Mode::Quick
            })
        );
        assert_eq!(
            parse(&["bench"]),
            Ok(Task::Bench {
                name: None,
                mode: bench::Mode::Full
            })
        );
        assert!(parse(&["bench", "--fast"]).unwrap_err().contains("--fast"));
        assert!(parse(&["bench", "a", "b"]).unwrap_err().contains('b'));
    }
}

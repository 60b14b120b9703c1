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
  demo [--store URL]      builds the demo server and plays the scripted scenario against it:
                          create, replay, 409 in flight, 422, 400, SIGKILL and restart. On the
                          durable local store, or on Redis with --store redis://HOST:PORT
  crash [--rounds N]      the cache-persist kill test in release mode: a child writing with
                          fsync `always` is SIGKILLed at random moments, N times (default 500),
                          and every acknowledged write must survive recovery
  fuzz TARGET [--seconds N]
                          cargo-fuzz (`-s none`: stable Rust) on TARGET for N seconds (default
                          60); targets: persist (the WAL segment and snapshot decoders)
  load [--store URL] [--clients N] [--seconds S]
                          a release build of the demo under N concurrent clients (default 64,
                          10 s per workload), with and without the idempotency layer, distinct
                          keys and replays; writes target/bench/load.json
  help                    this text";

/// One parsed invocation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Task {
    Ci,
    Demo {
        store: Option<String>,
    },
    Load {
        args: Vec<String>,
    },
    Fuzz {
        target: String,
        seconds: u64,
    },
    Bench {
        name: Option<String>,
        mode: bench::Mode,
    },
    Crash {
        rounds: u64,
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
            "fuzz" => match rest {
                [target] => Ok(Task::Fuzz {
                    target: target.clone(),
                    seconds: 60,
                }),
                [target, flag, seconds] if flag == "--seconds" => Ok(Task::Fuzz {
                    target: target.clone(),
                    seconds: seconds
                        .parse()
                        .map_err(|_| format!("`--seconds {seconds}` is not a number"))?,
                }),
                _ => Err("usage: cargo xtask fuzz TARGET [--seconds N]".to_owned()),
            },
            "load" => Ok(Task::Load {
                args: rest.to_vec(),
            }),
            "demo" => match rest {
                [] => Ok(Task::Demo { store: None }),
                [flag, url] if flag == "--store" => Ok(Task::Demo {
                    store: Some(url.clone()),
                }),
                _ => Err("usage: cargo xtask demo [--store URL]".to_owned()),
            },
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
            "crash" => match rest {
                [] => Ok(Task::Crash { rounds: 500 }),
                [flag, n] if flag == "--rounds" => n
                    .parse()
                    .map(|rounds| Task::Crash { rounds })
                    .map_err(|_| format!("`--rounds` takes a number, not `{n}`")),
                _ => Err("usage: cargo xtask crash [--rounds N]".to_owned()),
            },
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
        assert_eq!(parse(&["demo"]), Ok(Task::Demo { store: None }));
        let fuzz = Task::Fuzz {
            target: "persist".into(),
            seconds: 5,
        };
        assert_eq!(parse(&["fuzz", "persist", "--seconds", "5"]), Ok(fuzz));
        assert!(
            parse(&["fuzz", "persist", "--seconds", "x"])
                .unwrap_err()
                .contains("x")
        );
        let redis = Task::Demo {
            store: Some("redis://127.0.0.1".into()),
        };
        assert_eq!(parse(&["demo", "--store", "redis://127.0.0.1"]), Ok(redis));
        assert!(parse(&["demo", "--fast"]).is_err());
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

    #[test]
    fn parses_crash_rounds() {
        assert_eq!(parse(&["crash"]), Ok(Task::Crash { rounds: 500 }));
        assert_eq!(
            parse(&["crash", "--rounds", "20"]),
            Ok(Task::Crash { rounds: 20 })
        );
        assert!(
            parse(&["crash", "--rounds", "many"])
                .unwrap_err()
                .contains("many")
        );
    }
}

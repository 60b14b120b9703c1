//! Running child processes with the step printed first and failures named.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// One step of a task: a titled command, run from the workspace root.
#[derive(Debug)]
pub(crate) struct Step<'a> {
    title: &'a str,
    command: Command,
}

impl<'a> Step<'a> {
    /// A step that runs `program` with `args`.
    pub(crate) fn new(title: &'a str, program: &str, args: &[&str]) -> Self {
        let mut command = Command::new(program);
        command.args(args).current_dir(workspace_root());
        Self { title, command }
    }

    /// Sets an environment variable for this step's process only.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Prints `==> title: command`, runs it, and fails unless it exits successfully.
    pub(crate) fn run(mut self) -> anyhow::Result<()> {
        let program = self.command.get_program().to_string_lossy().into_owned();
        let args: Vec<_> = self
            .command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect();
        println!("\n==> {}: {program} {}", self.title, args.join(" "));
        let status = self
            .command
            .status()
            .with_context(|| format!("could not start `{program}`"))?;
        if !status.success() {
            bail!("step `{}` failed ({status})", self.title);
        }
        Ok(())
    }
}

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits one level below the workspace root")
        .to_path_buf()
}

/// Where cargo puts its builds: `CARGO_TARGET_DIR`, else `target/` in the workspace root.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

//! The demo server as a child process, so the scenario can kill it with SIGKILL and restart it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// A running demo server.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    /// Starts `exe` on a free port with its data in `data_dir`, and waits until it listens.
    pub fn start(exe: &Path, data_dir: &Path, store: &str) -> anyhow::Result<Self> {
        Self::start_with(exe, data_dir, store, &[])
    }

    /// As [`ServerProcess::start`], with more flags for the server.
    pub fn start_with(
        exe: &Path,
        data_dir: &Path,
        store: &str,
        flags: &[&str],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .args(["--port", "0", "--store", store, "--data-dir"])
            .arg(data_dir)
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(line) => {
                    let line = line?;
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_owned();
                    }
                }
                None => bail!(
                    "{} exited before it listened ({:?})",
                    exe.display(),
                    child.wait()?
                ),
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child, base })
    }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().context("SIGKILL")?;
        self.child.wait().context("reaping the killed server")?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo server binary beside the running executable (`target/<profile>/demo-server`).
///
/// # Errors
///
/// When it has not been built.
pub fn sibling_server_exe() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating this executable")?;
    let dir = me.parent().context("this executable has no directory")?;
    let exe = dir.join("demo-server");
    if !exe.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p demo-server`",
            exe.display()
        );
    }
    Ok(exe)
}

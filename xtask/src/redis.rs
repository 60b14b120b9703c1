//! The Redis that the test step runs against, handed to it as `REDIS_URL`.
//!
//! `REDIS_URL` when it is set; otherwise a private `redis-server` on a free loopback port, in a
//! temporary directory, killed when the returned value is dropped. When `redis-server` is missing
//! it is installed from the distribution (`apt-get`) if that can be done, and otherwise the task
//! stops saying what to install. Tests never flush a database: they write under unique prefixes.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cmd::Step;

/// Where to point the tests, and the private server to stop afterwards, if any.
#[derive(Debug)]
pub(crate) struct Redis {
    url: String,
    server: Option<(Child, PathBuf)>,
}

/// The oldest Redis the workspace supports (`SET … NX GET`).
const REQUIRED_MAJOR: u32 = 7;

const INSTALL_HINT: &str = "install Redis 7 or newer (Debian/Ubuntu: `apt-get install \
                            redis-server`), or set REDIS_URL to a Redis 7 server";

impl Redis {
    /// The URL to export as `REDIS_URL`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some((mut child, dir)) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `REDIS_URL`'s server, or a private one started (and installed) here.
pub(crate) fn provision() -> anyhow::Result<Redis> {
    if let Some(url) = std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        println!("\n==> redis: using the server named by REDIS_URL");
        return Ok(Redis { url, server: None });
    }
    ensure_installed()?;
    start_private()
}

/// Checks `redis-server` is there and new enough, installing it with `apt-get` when it is not.
fn ensure_installed() -> anyhow::Result<()> {
    if installed_major().is_none() {
        if Command::new("apt-get").arg("--version").output().is_err() {
            bail!("redis-server is not installed: {INSTALL_HINT}");
        }
        let install = Step::new("redis: apt-get update", "apt-get", &["update", "-q"])
            .run()
            .and_then(|()| {
                Step::new(
                    "redis: install redis-server",
                    "apt-get",
                    &[
                        "install",
                        "-y",
                        "-q",
                        "--no-install-recommends",
                        "redis-server",
                    ],
                )
                .env("DEBIAN_FRONTEND", "noninteractive")
                .run()
            });
        install.with_context(|| format!("redis-server could not be installed: {INSTALL_HINT}"))?;
    }
    match installed_major() {
        Some(major) if major >= REQUIRED_MAJOR => Ok(()),
        Some(major) => bail!("redis-server {major}.x is too old: {INSTALL_HINT}"),
        None => bail!("redis-server does not run: {INSTALL_HINT}"),
    }
}

/// The major version of the `redis-server` on the `PATH`.
fn installed_major() -> Option<u32> {
    let output = Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()?;
    major_version(&String::from_utf8_lossy(&output.stdout))
}

/// `Redis server v=7.0.15 sha=… malloc=…` → 7.
fn major_version(version_output: &str) -> Option<u32> {
    let version = version_output
        .split_whitespace()
        .find_map(|word| word.strip_prefix("v="))?;
    version.split('.').next()?.parse().ok()
}

fn start_private() -> anyhow::Result<Redis> {
    let dir = std::env::temp_dir().join(format!("resync-xtask-redis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .context("could not find a free port for redis-server")?
        .port();
    let socket = dir.join("redis.sock");
    let log = dir.join("redis.log");
    println!("\n==> redis: starting a private redis-server on 127.0.0.1:{port}");
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(&dir)
        .arg("--unixsocket")
        .arg(&socket)
        .arg("--logfile")
        .arg(&log)
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .args(["--maxmemory-policy", "noeviction"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start redis-server")?;
    let mut redis = Redis {
        url: format!("redis://127.0.0.1:{port}"),
        server: Some((child, dir)),
    };
    wait_until_ready(&mut redis, &socket, &log)?;
    Ok(redis)
}

/// Waits for `PONG` on the server's own socket, which it opens only once its port is bound.
fn wait_until_ready(redis: &mut Redis, socket: &Path, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if answers_ping(socket) {
            return Ok(());
        }
        if let Some((child, _)) = redis.server.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            bail!("redis-server exited ({status}); its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("redis-server did not answer within 10 s")
}

fn answers_ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 8];
    stream.write_all(b"PING\r\n").is_ok()
        && stream
            .read(&mut reply)
            .is_ok_and(|n| reply[..n].starts_with(b"+PONG"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_major_version() {
        let output = "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64";
        assert_eq!(major_version(output), Some(7));
        assert_eq!(major_version("Redis server v=6.2.14 sha=0"), Some(6));
        assert_eq!(major_version("command not found"), None);
    }

    #[test]
    fn a_private_server_answers_until_dropped() {
        let redis = start_private().expect("redis-server is installed where xtask runs");
        let port = redis
            .url()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap();
        let mut stream = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        stream.write_all(b"PING\r\n").unwrap();
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"+PONG\r\n");
        let Some((_, dir)) = &redis.server else {
            panic!("a private server has a directory");
        };
        let dir = dir.clone();
        drop(redis);
        assert!(std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
        assert!(!dir.exists());
    }
}

//! A private `redis-server`: a child process on a free loopback port, in a temporary directory,
//! killed when dropped.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::TestRedisError;

/// How long a fresh server may take to answer its first `PING`.
const STARTUP: Duration = Duration::from_secs(10);

/// A `redis-server` of its own, for a test that must stop and restart it or configure it.
///
/// It listens on `127.0.0.1` only, keeps nothing on disk beyond its temporary directory, and is
/// killed (with its directory removed) when dropped.
///
/// ```no_run
/// use cache_redis::test_support::PrivateRedis;
///
/// let mut redis = PrivateRedis::start(&["--maxmemory-policy", "allkeys-lru"])?;
/// println!("listening at {}", redis.url());
/// redis.stop();
/// redis.restart()?;
/// # Ok::<(), cache_redis::test_support::TestRedisError>(())
/// ```
#[derive(Debug)]
pub struct PrivateRedis {
    dir: TempDir,
    port: u16,
    args: Vec<String>,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` with `args` appended to its command line (`["--requirepass", "pw"]`,
    /// say), and waits until it answers.
    pub fn start(args: &[&str]) -> Result<Self, TestRedisError> {
        let dir = tempfile::Builder::new()
            .prefix("resync-redis-")
            .tempdir()
            .map_err(|source| TestRedisError::Io {
                action: "create a temporary directory",
                source,
            })?;
        let mut server = Self {
            dir,
            port: 0,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        // A port found free may be taken before the server binds it: try a few.
        let mut attempts = 0;
        loop {
            server.port = free_port()?;
            match server.restart() {
                Err(TestRedisError::ServerExited { log, .. })
                    if attempts < 4 && log.contains("already in use") =>
                {
                    attempts += 1;
                }
                outcome => return outcome.map(|()| server),
            }
        }
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (`SIGKILL`: no shutdown, no save), as a crash would.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // It may have exited already; either way it is gone once `wait` returns.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (`SIGSTOP`): connections stay open but nothing answers, as with a
    /// server stuck or a network partition. [`PrivateRedis::thaw`] resumes it.
    pub fn freeze(&self) -> Result<(), TestRedisError> {
        self.signal("-STOP")
    }

    /// Resumes a frozen server (`SIGCONT`).
    pub fn thaw(&self) -> Result<(), TestRedisError> {
        self.signal("-CONT")
    }

    fn signal(&self, signal: &str) -> Result<(), TestRedisError> {
        let io = |source| TestRedisError::Io {
            action: "signal redis-server",
            source,
        };
        let Some(child) = &self.child else {
            return Err(io(std::io::Error::other("the server is stopped")));
        };
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .map_err(io)?;
        if !status.success() {
            return Err(io(std::io::Error::other(format!(
                "kill {signal}: {status}"
            ))));
        }
        Ok(())
    }

    /// Starts the server again on the same port (stopping it first if it runs), and waits until
    /// it answers.
    pub fn restart(&mut self) -> Result<(), TestRedisError> {
        self.stop();
        let log = self.dir.path().join("redis.log");
        let socket = self.dir.path().join("redis.sock");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--maxmemory-policy", "noeviction"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => TestRedisError::NoServer,
                _ => TestRedisError::Io {
                    action: "start redis-server",
                    source,
                },
            })?;
        self.child = Some(child);
        self.wait_until_ready(&socket, &log)
    }

    /// Waits for an answer on the server's own socket, which it opens only after binding its port:
    /// another process on the port cannot be taken for it.
    fn wait_until_ready(&mut self, socket: &Path, log: &Path) -> Result<(), TestRedisError> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if answers_ping(socket) {
                return Ok(());
            }
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                _ => None,
            };
            if exited.is_some() || Instant::now() > deadline {
                self.stop();
                return Err(TestRedisError::ServerExited {
                    status: exited.unwrap_or_else(|| format!("no answer within {STARTUP:?}")),
                    log: std::fs::read_to_string(log).unwrap_or_default(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(super) fn free_port() -> Result<u16, TestRedisError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|source| TestRedisError::Io {
            action: "find a free port",
            source,
        })
}

/// True once a server on `socket` answers `PING` as Redis does (`+PONG`, or `-NOAUTH` when a
/// password is required).
fn answers_ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 16];
    stream.write_all(b"PING\r\n").is_ok()
        && stream
            .read(&mut reply)
            .is_ok_and(|n| reply[..n].starts_with(b"+PONG") || reply[..n].starts_with(b"-NOAUTH"))
}

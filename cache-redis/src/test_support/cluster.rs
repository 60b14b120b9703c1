//! A private three-node Redis Cluster, assembled with `CLUSTER ADDSLOTSRANGE` and `CLUSTER MEET`.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use super::server::free_port;
use super::{PrivateRedis, TestRedisError};

/// How long the nodes may take to agree that every slot is served.
const CONVERGENCE: Duration = Duration::from_secs(20);

/// Three `redis-server`s in cluster mode, each owning a third of the slots, no replicas.
///
/// ```no_run
/// let cluster = cache_redis::test_support::PrivateCluster::start()?;
/// println!("a node: {}", cluster.url());
/// # Ok::<(), cache_redis::test_support::TestRedisError>(())
/// ```
#[derive(Debug)]
pub struct PrivateCluster {
    nodes: Vec<PrivateRedis>,
}

impl PrivateCluster {
    /// Starts the nodes, joins them into one cluster, and waits until it serves every slot.
    pub fn start() -> Result<Self, TestRedisError> {
        let nodes = (0..3)
            .map(|_| {
                let bus_port = free_port()?;
                let node = PrivateRedis::start(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    &bus_port.to_string(),
                ])?;
                Ok((node, bus_port))
            })
            .collect::<Result<Vec<_>, TestRedisError>>()?;
        // Each node serves a third of the slots; the first introduces itself to the others.
        let slots = 16384 / nodes.len();
        for (i, (node, bus_port)) in nodes.iter().enumerate() {
            let last = if i + 1 == nodes.len() {
                16383
            } else {
                (i + 1) * slots - 1
            };
            command(
                node.port(),
                &format!("CLUSTER ADDSLOTSRANGE {} {last}", i * slots),
            )?;
            if i > 0 {
                let meet = format!("CLUSTER MEET 127.0.0.1 {} {bus_port}", node.port());
                command(nodes[0].0.port(), &meet)?;
            }
        }
        let cluster = Self {
            nodes: nodes.into_iter().map(|(node, _)| node).collect(),
        };
        cluster.wait_until_served()?;
        Ok(cluster)
    }

    /// The URL of the first node, from which a client discovers the others.
    pub fn url(&self) -> String {
        self.nodes[0].url()
    }

    fn wait_until_served(&self) -> Result<(), TestRedisError> {
        let deadline = Instant::now() + CONVERGENCE;
        while Instant::now() < deadline {
            if self.nodes.iter().all(|node| cluster_state_ok(node.port())) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(TestRedisError::ServerExited {
            status: format!("the cluster did not serve every slot within {CONVERGENCE:?}"),
            log: String::new(),
        })
    }
}

/// Sends one inline command and expects `+OK`.
fn command(port: u16, line: &str) -> Result<(), TestRedisError> {
    let io = |source| TestRedisError::Io {
        action: "set up the cluster",
        source,
    };
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(io)?;
    stream
        .write_all(format!("{line}\r\n").as_bytes())
        .map_err(io)?;
    let mut reply = [0u8; 256];
    let n = stream.read(&mut reply).map_err(io)?;
    if reply[..n].starts_with(b"+OK") {
        return Ok(());
    }
    Err(TestRedisError::ServerExited {
        status: format!("`{line}` was refused"),
        log: String::from_utf8_lossy(&reply[..n]).into_owned(),
    })
}

fn cluster_state_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = vec![0u8; 4096];
    stream.write_all(b"CLUSTER INFO\r\n").is_ok()
        && stream
            .read(&mut reply)
            .is_ok_and(|n| String::from_utf8_lossy(&reply[..n]).contains("cluster_state:ok"))
}

//! The connection a store sends its commands on: one node, or a Redis Cluster.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// One multiplexed connection to a single server, or the cluster client's set of connections
/// (one per node, routed by each key's slot). Both reconnect by themselves.
#[derive(Clone)]
pub(crate) enum Connection {
    /// A standalone server (or a primary behind a proxy).
    Single(ConnectionManager),
    /// A Redis Cluster, discovered from the configured node.
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(single) => single.req_packed_command(cmd),
            #[cfg(feature = "cluster")]
            Connection::Cluster(cluster) => cluster.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(single) => single.req_packed_commands(pipeline, offset, count),
            #[cfg(feature = "cluster")]
            Connection::Cluster(cluster) => cluster.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(single) => single.get_db(),
            #[cfg(feature = "cluster")]
            Connection::Cluster(cluster) => cluster.get_db(),
        }
    }
}

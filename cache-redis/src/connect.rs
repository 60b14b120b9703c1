//! Opening the connection: credentials, timeouts, the reconnect policy and the server checks.

use redis::AsyncConnectionConfig;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionInfo, ProtocolVersion, RedisError};
use secrecy::ExposeSecret;

use crate::ConfigError;
use crate::connection::Connection;
use crate::server::ServerInfo;
use crate::{ConnectError, RedisConfig};

/// Reconnection attempts in one round, each after a doubling delay; a command issued once a round
/// has failed starts the next one.
const RECONNECT_ATTEMPTS: usize = 6;

/// A live connection and what was learnt about the server while opening it.
pub(crate) struct Connected {
    pub(crate) connection: Connection,
    pub(crate) address: String,
    pub(crate) server: ServerInfo,
}

/// Connects as `config` says, then checks the server's version and eviction policy.
pub(crate) async fn connect(config: &RedisConfig) -> Result<Connected, ConnectError> {
    config.validate()?;
    let info = connection_info(config)?;
    let address = info.addr().to_string();
    let unreachable = |source: RedisError| match source.kind() {
        redis::ErrorKind::RESP3NotSupported => ConnectError::ServerTooOld {
            address: address.clone(),
            found: "older than 6.0".to_owned(),
            required: "7.0",
        },
        _ => ConnectError::Unreachable {
            address: address.clone(),
            source,
        },
    };
    let client = open_client(config, info)?;
    // One plain attempt first, so that a wrong address or password fails at once with its own
    // cause rather than after a round of reconnection attempts.
    let probe_config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.command_timeout));
    let mut probe = client
        .get_multiplexed_async_connection_with_config(&probe_config)
        .await
        .map_err(unreachable)?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .arg("memory")
        .query_async(&mut probe)
        .await
        .map_err(unreachable)?;
    let server = ServerInfo::parse(&info);
    server.check_version(&address)?;
    server.warn_if_evicting(&address);
    check_topology(config, &server)?;
    // Without the `cluster` feature, `validate` has refused `cluster = true`.
    let connection = match config.cluster {
        #[cfg(feature = "cluster")]
        true => open_cluster(config, &client).await,
        _ => open_single(config, client).await,
    };
    let connection = connection.map_err(unreachable)?;
    tracing::debug!(%address, version = %server.version, "connected to Redis");
    Ok(Connected {
        connection,
        address,
        server,
    })
}

/// The client, trusting the authorities of `tls_ca_file` when it is set (validation has made
/// sure the URL is `rediss://` then, and so that the `tls` feature is on).
fn open_client(config: &RedisConfig, info: ConnectionInfo) -> Result<redis::Client, ConnectError> {
    let address = info.addr().to_string();
    let opened = match read_ca_file(config)? {
        #[cfg(feature = "tls")]
        Some(pem) => redis::Client::build_with_tls(info, certificates(pem)),
        _ => redis::Client::open(info),
    };
    opened.map_err(|source| ConnectError::Unreachable { address, source })
}

/// The PEM of `tls_ca_file`, if set.
fn read_ca_file(config: &RedisConfig) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(path) = &config.tls_ca_file else {
        return Ok(None);
    };
    std::fs::read(path).map(Some).map_err(|err| {
        ConfigError::invalid(
            "tls_ca_file",
            format!("cannot read {}: {err}", path.display()),
        )
    })
}

#[cfg(feature = "tls")]
fn certificates(root_pem: Vec<u8>) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_pem),
    }
}

/// Refuses a cluster node addressed as a single server, and the converse: either would fail on
/// the first key that lives elsewhere, or on every key.
fn check_topology(config: &RedisConfig, server: &ServerInfo) -> Result<(), ConfigError> {
    match (config.cluster, server.mode.as_str()) {
        (false, "cluster") => Err(ConfigError::invalid(
            "cluster",
            "the server at `url` is a Redis Cluster node: set `cluster` to true",
        )),
        (true, mode) if mode != "cluster" => Err(ConfigError::invalid(
            "cluster",
            format!("the server at `url` is not a Redis Cluster node (its mode is `{mode}`)"),
        )),
        _ => Ok(()),
    }
}

async fn open_single(
    config: &RedisConfig,
    client: redis::Client,
) -> Result<Connection, RedisError> {
    let manager = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.command_timeout))
        .set_min_delay(config.reconnect_min_delay)
        .set_max_delay(config.reconnect_max_delay)
        .set_exponent_base(2.0)
        .set_number_of_retries(RECONNECT_ATTEMPTS);
    let manager = ConnectionManager::new_with_config(client, manager).await?;
    Ok(Connection::Single(manager))
}

#[cfg(feature = "cluster")]
async fn open_cluster(
    config: &RedisConfig,
    client: &redis::Client,
) -> Result<Connection, RedisError> {
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let cluster = redis::cluster::ClusterClient::builder([client.get_connection_info().clone()])
        .connection_timeout(config.connect_timeout)
        .response_timeout(config.command_timeout)
        .min_retry_wait(millis(config.reconnect_min_delay))
        .max_retry_wait(millis(config.reconnect_max_delay));
    #[cfg(feature = "tls")]
    let cluster = match read_ca_file(config) {
        Ok(Some(pem)) => cluster.certs(certificates(pem)),
        _ => cluster,
    };
    let cluster = cluster.build()?;
    Ok(Connection::Cluster(cluster.get_async_connection().await?))
}

/// The client's connection settings: the URL's, plus the password kept apart from it, and RESP3
/// so that a dropped connection is noticed (and re-opened) before a command fails on it.
pub(crate) fn connection_info(config: &RedisConfig) -> Result<ConnectionInfo, ConnectError> {
    let info = config.url.connection_info("url")?;
    let mut settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    if let Some(password) = &config.password {
        settings = settings.set_password(password.expose_secret());
    }
    Ok(info.set_redis_settings(settings))
}

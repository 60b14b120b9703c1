//! The demo's configuration: its own `[server]` section beside every section of the stack,
//! loaded through `settings` (defaults < profile < file < `RESYNC_…` variables < flags).

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use settings::{Configuration, Loaded, Loader, Profile, SettingsError, WithStack};

use crate::cli::{Flags, StoreChoice};

/// Which store the idempotency layer runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The sharded cache with a write-ahead log and snapshots in `persist.dir`.
    #[default]
    Durable,
    /// The sharded cache alone (`cache` section); records are lost on restart.
    Memory,
    /// The Redis at `redis.url`, shared by every replica.
    Redis,
}

/// The `[server]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// The address to listen on.
    pub bind: IpAddr,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// Where the orders journal lives.
    pub data_dir: PathBuf,
    /// The idempotency layer's store.
    pub store: StoreKind,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            data_dir: PathBuf::from("data"),
            store: StoreKind::Durable,
        }
    }
}

/// The demo's own sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// How and where the server runs.
    pub server: ServerConfig,
}

impl Configuration for DemoConfig {
    fn profile_defaults(_: Profile) -> toml::Table {
        toml::from_str("[persist]\ndir = \"data/idempotency\"").expect("valid TOML")
    }
}

/// The whole document: `[server]` and every section of the stack.
pub type Config = WithStack<DemoConfig>;

/// Loads the configuration from the process environment, the file `--config` or
/// `RESYNC_CONFIG` names, and the flags given.
pub fn load(flags: &Flags) -> Result<Loaded<Config>, SettingsError> {
    let mut loader = Loader::from_process_env();
    if let Some(file) = &flags.config {
        loader = loader.file(file);
    }
    if let Some(bind) = flags.bind {
        loader = loader.flag("server.bind", "--bind", bind.to_string());
    }
    if let Some(port) = flags.port {
        loader = loader.flag("server.port", "--port", i64::from(port));
    }
    if let Some(dir) = &flags.data_dir {
        let journal = dir.to_string_lossy().into_owned();
        let store = dir.join("idempotency").to_string_lossy().into_owned();
        loader = loader.flag("server.data_dir", "--data-dir", journal);
        loader = loader.flag("persist.dir", "--data-dir", store);
    }
    match &flags.store {
        Some(StoreChoice::Durable) => loader = loader.flag("server.store", "--store", "durable"),
        Some(StoreChoice::Memory) => loader = loader.flag("server.store", "--store", "memory"),
        Some(StoreChoice::Redis(url)) => {
            loader = loader.flag("server.store", "--store", "redis");
            loader = loader.flag("redis.url", "--store", url.as_str());
        }
        None => {}
    }
    loader.load()
}

//! The command line: `demo-server [--bind ADDR] [--port N] [--data-dir DIR] [--store STORE]
//! [--config FILE] [--print-config]`.

use std::net::IpAddr;
use std::path::PathBuf;

use std::str::FromStr;

/// What `demo-server --help` prints.
pub const HELP: &str = "\
usage: demo-server [flags]

flags (each also settable in the config file or as RESYNC_SERVER__<NAME>):
  --bind ADDR        address to listen on (default 127.0.0.1)
  --port N           port to listen on; 0 picks a free one (default 3000)
  --data-dir DIR     where the durable store and the orders journal live (default ./data)
  --store STORE      durable (default), memory, or a redis:// URL
  --config FILE      a TOML configuration file (else RESYNC_CONFIG)
  --without-idempotency
                     serve without the idempotency layer (for load comparisons)
  --print-config     print the effective configuration with each value's source, and exit
  --help             this text";

/// Which store to run on, as the `--store` flag names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// `durable`: the sharded cache with a write-ahead log and snapshots under the data directory.
    Durable,
    /// `memory`: the sharded cache alone; records are lost on restart.
    Memory,
    /// `redis://…` or `rediss://…`: a Redis shared by every replica.
    Redis(String),
}

impl FromStr for StoreChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "durable" => Ok(StoreChoice::Durable),
            "memory" => Ok(StoreChoice::Memory),
            url if url.starts_with("redis://") || url.starts_with("rediss://") => {
                Ok(StoreChoice::Redis(url.to_owned()))
            }
            other => Err(format!(
                "unknown store `{other}`: expected `durable`, `memory`, or a redis:// URL"
            )),
        }
    }
}

/// The flags given; each overrides the configuration file and the environment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--bind`.
    pub bind: Option<IpAddr>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--store`.
    pub store: Option<StoreChoice>,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--without-idempotency`.
    pub without_idempotency: bool,
    /// `--print-config`.
    pub print_config: bool,
    /// `--help`.
    pub help: bool,
}

impl Flags {
    /// Parses the arguments after the program name; the error names the flag at fault.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value =
                |name: &str| args.next().ok_or_else(|| format!("`{name}` needs a value"));
            match flag.as_str() {
                "--bind" => flags.bind = Some(parse("--bind", &value("--bind")?)?),
                "--port" => flags.port = Some(parse("--port", &value("--port")?)?),
                "--data-dir" => flags.data_dir = Some(PathBuf::from(value("--data-dir")?)),
                "--store" => flags.store = Some(value("--store")?.parse()?),
                "--config" => flags.config = Some(PathBuf::from(value("--config")?)),
                "--without-idempotency" => flags.without_idempotency = true,
                "--print-config" => flags.print_config = true,
                "--help" | "-h" => flags.help = true,
                other => return Err(format!("unknown flag `{other}`")),
            }
        }
        Ok(flags)
    }
}

fn parse<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|err| format!("`{flag} {text}`: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Result<Flags, String> {
        Flags::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn parses_every_flag_and_names_the_bad_one() {
        let parsed = flags(&["--port", "0", "--store", "memory", "--data-dir", "/tmp/d"]).unwrap();
        assert_eq!(parsed.port, Some(0));
        assert_eq!(parsed.store, Some(StoreChoice::Memory));
        assert_eq!(parsed.data_dir, Some(PathBuf::from("/tmp/d")));
        assert!(
            flags(&["--port", "http"])
                .unwrap_err()
                .contains("--port http")
        );
        assert!(flags(&["--store", "s3"]).unwrap_err().contains("s3"));
        assert!(flags(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(flags(&["--verbose"]).unwrap_err().contains("--verbose"));
    }
}

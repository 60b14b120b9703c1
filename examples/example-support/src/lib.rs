//! What the minimal examples (axum, hyper, tonic) share: the [`Ledger`] their handlers charge,
//! the address they listen on (taken from the `PORT` environment variable) and, with the `client`
//! feature, the HTTP client and contract their tests hold the payments API to.
//!
//! ```
//! let addr = example_support::listen_addr().unwrap();
//! assert!(addr.ip().is_loopback());
//! ```

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub mod contract;
mod ledger;

use std::env::{self, VarError};
use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{Context as _, bail};

#[cfg(feature = "client")]
pub use client::{PaymentsClient, Reply};
pub use ledger::Ledger;

/// The environment variable naming the port to listen on; a free port when it is unset.
pub const PORT_VAR: &str = "PORT";

/// 127.0.0.1 and the port in [`PORT_VAR`], or port 0 (any free port) when it is unset.
pub fn listen_addr() -> anyhow::Result<SocketAddr> {
    let port = match env::var(PORT_VAR) {
        Ok(value) => parse_port(&value)?,
        Err(VarError::NotPresent) => 0,
        Err(VarError::NotUnicode(value)) => bail!("{PORT_VAR}={value:?} is not a port number"),
    };
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

fn parse_port(value: &str) -> anyhow::Result<u16> {
    value
        .parse()
        .with_context(|| format!("{PORT_VAR}={value:?} is not a port number (0 to 65535)"))
}

#[cfg(test)]
mod tests {
    use super::parse_port;

    #[test]
    fn ports_are_validated() {
        assert_eq!(parse_port("8080").unwrap(), 8080);
        assert_eq!(parse_port("0").unwrap(), 0);
        for bad in ["", "http", "65536", "-1", " 80"] {
            let error = parse_port(bad).unwrap_err().to_string();
            assert!(error.contains("PORT="), "{bad:?}: {error}");
        }
    }
}

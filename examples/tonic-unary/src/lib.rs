//! A tonic unary service, `payments.Payments/Create`, safe to retry: the idempotency key travels
//! in the `idempotency-key` metadata entry.
//!
//! The messages and the service are written by hand as tonic's code generator would emit them
//! from `proto/payments.proto`, so building needs no `protoc`. [`serve`] puts them behind,
//! outermost first, [`ErrorMappingLayer`] (a rejection becomes a trailers-only gRPC status, e.g.
//! a malformed key is INVALID_ARGUMENT) and [`IdempotencyLayer`] on the in-memory store of
//! cache-core. A retry with the same key and message gets the first response again, with
//! `idempotent-replayed: true` in its metadata, and the handler charges once.

mod messages;
mod payments;

use std::env::{self, VarError};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ErrorMappingLayer;
use idempotency_layer::IdempotencyLayer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

pub use messages::{CreatePayment, Payment};
pub use payments::{CREATE_PATH, Ledger, Payments};

/// The environment variable naming the port to listen on; a free port when it is unset.
pub const PORT_VAR: &str = "PORT";

/// Serves `payments` over gRPC on `listener`, under idempotency and error mapping.
pub async fn serve(listener: TcpListener, payments: Payments) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(
        ShardedCache::<Bytes, Bytes>::builder()
            .max_capacity(100_000)
            .build_store(),
    );
    let idempotency = IdempotencyLayer::builder(store)
        .configure(|config| config.require_key = true)
        .build()?;
    Server::builder()
        .layer(ErrorMappingLayer::new())
        .layer(idempotency)
        .serve_with_incoming(payments, TcpIncoming::from(listener))
        .await?;
    Ok(())
}

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

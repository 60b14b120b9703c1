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

use std::sync::Arc;

use bytes::Bytes;
use cache_core::{ShardedCache, Store};
use error_mapping::ErrorMappingLayer;
use idempotency_layer::IdempotencyLayer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

pub use example_support::Ledger;
pub use messages::{CreatePayment, Payment};
pub use payments::{CREATE_PATH, Payments};

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

//! Run with cargo run -p tonic-unary
//!
//! Then, with the port it prints (twice: the second answer is the first one replayed):
//!
//! ```text
//! grpcurl -plaintext -import-path examples/tonic-unary/proto -proto payments.proto \
//!     -H 'idempotency-key: "pay-1"' -d '{"amount_cents": 1250}' \
//!     127.0.0.1:PORT payments.Payments/Create
//! ```

use example_support::listen_addr;
use tokio::net::TcpListener;
use tonic_unary::{Ledger, Payments, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen_addr()?).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, Payments::new(Ledger::default())).await
}

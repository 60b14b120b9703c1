//! Run with cargo run -p hyper-minimal
//!
//! Then, with the port it prints:
//!
//! ```text
//! curl -i -X POST localhost:PORT/payments -H 'Idempotency-Key: "pay-1"' -d '{"cents":1250}'
//! ```
//!
//! Send it twice: the second answer is the first one replayed (`idempotent-replayed: true`).

use example_support::listen_addr;
use hyper_minimal::{Ledger, serve, service};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen_addr()?).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, service(Ledger::default())?).await?;
    Ok(())
}

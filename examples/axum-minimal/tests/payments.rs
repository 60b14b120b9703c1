//! The example served on a free port, held to the payments contract by a real HTTP client.

use axum_minimal::{Ledger, app};
use example_support::PaymentsClient;
use tokio::net::TcpListener;

/// Serves the example on a free port: a client of it, and its ledger.
async fn start() -> (PaymentsClient, Ledger) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = PaymentsClient::new(listener.local_addr().unwrap());
    let ledger = Ledger::default();
    let app = app(ledger.clone()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (client, ledger)
}

example_support::payments_contract_tests!(start);

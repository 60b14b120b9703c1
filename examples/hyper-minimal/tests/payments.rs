//! The example served on a free port, held to the payments contract by a real HTTP client.

use example_support::PaymentsClient;
use hyper_minimal::{Ledger, serve, service};
use tokio::net::TcpListener;

/// Serves the example on a free port: a client of it, and its ledger.
async fn start() -> (PaymentsClient, Ledger) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = PaymentsClient::new(listener.local_addr().unwrap());
    let ledger = Ledger::default();
    let service = service(ledger.clone()).unwrap();
    tokio::spawn(async move { serve(listener, service).await.unwrap() });
    (client, ledger)
}

example_support::payments_contract_tests!(start);

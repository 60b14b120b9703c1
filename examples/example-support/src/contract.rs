//! The behaviour every payments example promises, checked against a running server: each check
//! takes a client of the server and a reading of how many times its handler has charged.

use http::{Method, StatusCode};

use crate::PaymentsClient;

/// A retry with the same key and body replays the first response, and the handler charges once.
///
/// # Panics
///
/// When the server breaks the promise.
pub async fn a_retried_payment_is_replayed_and_charged_once(
    client: &PaymentsClient,
    payments: impl Fn() -> u64,
) {
    let first = client.pay(Some("\"pay-1\""), "{\"cents\":1250}").await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(!first.headers.contains_key("idempotent-replayed"));
    assert_eq!(&first.body[..], b"{\"payment\":1,\"request_bytes\":14}");

    let retry = client.pay(Some("\"pay-1\""), "{\"cents\":1250}").await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, first.body);
    assert_eq!(payments(), 1, "the retry did not charge again");

    let other = client.pay(Some("\"pay-2\""), "{\"cents\":1250}").await;
    assert_eq!(&other.body[..], b"{\"payment\":2,\"request_bytes\":14}");
    assert_eq!(payments(), 2);
}

/// A malformed key is a 400 problem carrying the request id, and nothing is charged.
///
/// # Panics
///
/// When the server breaks the promise.
pub async fn a_malformed_key_is_a_400_problem(client: &PaymentsClient, payments: impl Fn() -> u64) {
    let reply = client.pay(Some("\"unterminated"), "{\"cents\":1}").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let problem = reply.problem();
    assert_eq!(problem["status"], 400);
    assert_eq!(
        problem["type"],
        "https://resync.dev/problems/idempotency/key-malformed"
    );
    assert_eq!(
        problem["request_id"],
        reply.headers["x-request-id"].to_str().unwrap()
    );
    assert_eq!(payments(), 0);
}

/// A payment without a key is refused with a 400 problem, and nothing is charged.
///
/// # Panics
///
/// When the server breaks the promise.
pub async fn a_payment_without_a_key_is_refused(
    client: &PaymentsClient,
    payments: impl Fn() -> u64,
) {
    let reply = client.pay(None, "{\"cents\":1}").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.problem()["type"],
        "https://resync.dev/problems/idempotency/key-missing"
    );
    assert_eq!(payments(), 0);
}

/// An unknown route is a 404 problem, a wrong method a 405 problem naming the allowed one.
///
/// # Panics
///
/// When the server breaks the promise.
pub async fn unknown_routes_are_problems_too(client: &PaymentsClient) {
    let reply = client
        .send(Method::GET, "/refunds", Some("\"r\""), "")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.problem()["status"], 404);
    let reply = client
        .send(Method::GET, "/payments", Some("\"r\""), "")
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "POST");
    assert_eq!(reply.problem()["status"], 405);
}

/// Defines one `#[tokio::test]` per check of this module, each on a fresh server: `$start` is an
/// async function that serves the example on a free port and returns a [`PaymentsClient`] of it
/// and its ledger (whose `payments()` counts the charges).
#[macro_export]
macro_rules! payments_contract_tests {
    ($start:path) => {
        #[tokio::test]
        async fn a_retried_payment_is_replayed_and_charged_once() {
            let (client, ledger) = $start().await;
            let payments = || ledger.payments();
            $crate::contract::a_retried_payment_is_replayed_and_charged_once(&client, payments)
                .await;
        }

        #[tokio::test]
        async fn a_malformed_key_is_a_400_problem() {
            let (client, ledger) = $start().await;
            $crate::contract::a_malformed_key_is_a_400_problem(&client, || ledger.payments()).await;
        }

        #[tokio::test]
        async fn a_payment_without_a_key_is_refused() {
            let (client, ledger) = $start().await;
            $crate::contract::a_payment_without_a_key_is_refused(&client, || ledger.payments())
                .await;
        }

        #[tokio::test]
        async fn unknown_routes_are_problems_too() {
            let (client, _ledger) = $start().await;
            $crate::contract::unknown_routes_are_problems_too(&client).await;
        }
    };
}

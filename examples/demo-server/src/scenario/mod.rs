//! The scripted scenario `cargo xtask demo` plays against a real server process: every step
//! prints what it sent and what came back, and the run fails at the first step that differs
//! from what the stack promises.

mod http;
mod server;

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, ensure};

pub use http::{Http, Reply};
pub use server::{ServerProcess, sibling_server_exe};

use crate::orders::Summary;

const ESPRESSO: &str = r#"{"item":"espresso","quantity":2}"#;
const CROISSANT: &str = r#"{"item":"croissant","quantity":1}"#;

/// Plays the scenario against `exe`, keeping the server's data in `data_dir` (which should be
/// empty), on the given store (`durable`, or a `redis://` URL).
pub async fn run(exe: &Path, data_dir: &Path, store: &str) -> anyhow::Result<()> {
    let server = ServerProcess::start(exe, data_dir, store)?;
    let http = Http::new(server.base());
    println!("server listening on {} (store: {store})\n", server.base());
    // Keys unique to this run, so that a shared Redis holding an earlier run's records
    // replays nothing by accident.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let espresso_key = format!("order-1-{run_id}");
    let croissant_key = format!("order-2-{run_id}");

    step(1, "the first POST runs the handler");
    let first = http.post("/orders", Some(&espresso_key), ESPRESSO).await?;
    show(&first);
    expect_status(&first, 201)?;
    ensure!(
        first.header("idempotent-replayed").is_empty(),
        "a first execution is no replay"
    );

    step(
        2,
        "a retry with the same key and body replays the first response",
    );
    let retry = http.post("/orders", Some(&espresso_key), ESPRESSO).await?;
    show(&retry);
    expect_replay_of(&retry, &first)?;

    step(3, "a duplicate sent while the first is in flight gets 409");
    let slow = {
        let (http, key) = (http.clone(), croissant_key.clone());
        tokio::spawn(async move {
            http.post("/orders?delay_ms=3000", Some(&key), CROISSANT)
                .await
        })
    };
    wait_until_in_progress(&http).await?;
    let duplicate = http
        .post("/orders", Some(&croissant_key), CROISSANT)
        .await?;
    show(&duplicate);
    expect_status(&duplicate, 409)?;
    ensure!(
        !duplicate.header("retry-after").is_empty(),
        "a 409 says when to retry"
    );
    let slow = slow.await??;
    println!("   the held request then finished:");
    show(&slow);
    expect_status(&slow, 201)?;

    step(4, "the same key with another body is refused with 422");
    let mismatch = http.post("/orders", Some(&espresso_key), CROISSANT).await?;
    show(&mismatch);
    expect_problem(&mismatch, 422)?;

    step(5, "a malformed key is refused with a 400 problem");
    let malformed = http
        .post("/orders", Some("\"unterminated"), ESPRESSO)
        .await?;
    show(&malformed);
    expect_problem(&malformed, 400)?;

    step(6, "after SIGKILL and a restart, the retry still replays");
    server.kill()?;
    println!("   killed the server with SIGKILL; restarting on the same data");
    let server = ServerProcess::start(exe, data_dir, store)?;
    let http = Http::new(server.base());
    let after_crash = http.post("/orders", Some(&espresso_key), ESPRESSO).await?;
    show(&after_crash);
    expect_replay_of(&after_crash, &first)?;

    step(7, "every order ran exactly once");
    let summary: Summary = serde_json::from_str(&http.get("/orders").await?.body)?;
    println!(
        "   executions: {} (orders: {})",
        summary.executions,
        summary.orders.len()
    );
    ensure!(
        summary.executions == 2,
        "expected 2 executions, found {}",
        summary.executions
    );

    println!("\nevery step behaved as promised");
    Ok(())
}

fn step(number: usize, title: &str) {
    println!("{number}. {title}");
}

fn show(reply: &Reply) {
    let replayed = match reply.header("idempotent-replayed") {
        "" => String::new(),
        value => format!("  Idempotent-Replayed: {value}"),
    };
    println!(
        "   -> {}{replayed}  x-request-id: {}",
        reply.status,
        reply.header("x-request-id")
    );
    println!("      {}", reply.body);
}

fn expect_status(reply: &Reply, status: u16) -> anyhow::Result<()> {
    if reply.status.as_u16() != status {
        bail!(
            "expected status {status}, got {}: {}",
            reply.status,
            reply.body
        );
    }
    Ok(())
}

fn expect_replay_of(reply: &Reply, original: &Reply) -> anyhow::Result<()> {
    expect_status(reply, original.status.as_u16())?;
    ensure!(
        reply.body == original.body,
        "the replay's body differs from the original's"
    );
    ensure!(
        reply.header("idempotent-replayed") == "true",
        "a replay carries Idempotent-Replayed: true"
    );
    Ok(())
}

fn expect_problem(reply: &Reply, status: u16) -> anyhow::Result<()> {
    expect_status(reply, status)?;
    ensure!(
        reply.header("content-type") == "application/problem+json",
        "expected application/problem+json, got {:?}",
        reply.header("content-type")
    );
    let body: serde_json::Value = serde_json::from_str(&reply.body)?;
    ensure!(
        body["status"] == status,
        "the problem's status member is {}",
        body["status"]
    );
    Ok(())
}

/// Waits until the server reports a create handler running, so that the duplicate is sent
/// while the first request holds its key: never by luck of timing.
async fn wait_until_in_progress(http: &Http) -> anyhow::Result<()> {
    for _ in 0..500 {
        let summary: Summary = serde_json::from_str(&http.get("/orders").await?.body)?;
        if summary.in_progress > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the slow request never reached its handler")
}

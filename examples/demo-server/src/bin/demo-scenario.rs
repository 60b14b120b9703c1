//! Plays the demo scenario against the `demo-server` binary built beside this one.
//!
//! Run with `cargo xtask demo` (or `cargo run -p demo-server --bin demo-scenario` after
//! `cargo build -p demo-server`). `--store redis://…` plays it on Redis instead of the durable
//! local store.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let store = match (args.next().as_deref(), args.next()) {
        (None, _) => "durable".to_owned(),
        (Some("--store"), Some(store)) => store,
        _ => {
            eprintln!("usage: demo-scenario [--store durable|redis://…]");
            return ExitCode::from(2);
        }
    };
    let outcome = async {
        let exe = demo_server::scenario::sibling_server_exe()?;
        let data = tempfile::tempdir()?;
        demo_server::scenario::run(&exe, data.path(), &store).await
    };
    match outcome.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nscenario failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! Run with `cargo run -p demo-server` (or `cargo xtask demo` for the guided scenario).
//!
//! An orders API whose `POST /orders` is safe to retry: send the same `Idempotency-Key` twice
//! and the second gets the first's response, with the handler run once.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use circuit_breaker::CircuitBreakerLayer;
use demo_server::app::{self, Layers, Parts};
use demo_server::backend::Backend;
use demo_server::cli::{Flags, HELP};
use demo_server::config::{self, Config};
use demo_server::orders::OrderBook;
use error_mapping::ErrorMappingLayer;
use idempotency_layer::IdempotencyLayer;
use incidents::{ConfiguredSink, Delivery, IncidentLayer};
use profiling::HttpMetricsLayer;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Layer as _, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> ExitCode {
    let flags = match Flags::parse(std::env::args().skip(1)) {
        Ok(flags) => flags,
        Err(message) => {
            eprintln!("error: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    if flags.help {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let loaded = match config::load(&flags) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if flags.print_config {
        print!("{}", loaded.render());
        return ExitCode::SUCCESS;
    }
    let config = loaded.into_config();
    let delivery = match install_tracing(&config) {
        Ok(delivery) => delivery,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    tokio::spawn(delivery.run());
    match serve(config, flags.without_idempotency).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr (filtered by `RUST_LOG`, default `info`), and turns incident events into
/// alerts through the sink the `[incidents]` section names.
fn install_tracing(config: &Config) -> anyhow::Result<Delivery<ConfiguredSink>> {
    let (incidents, delivery) =
        IncidentLayer::from_config(&config.stack.incidents).context("the [incidents] section")?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(filter))
        .with(incidents)
        .init();
    Ok(delivery)
}

async fn serve(config: Config, without_idempotency: bool) -> anyhow::Result<()> {
    let (server, stack) = (&config.app.server, &config.stack);
    let metrics =
        profiling::prometheus::install(&stack.profiling).context("installing /metrics")?;
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let backend = Arc::new(Backend::open(server.store, stack).await?);
    let book = Arc::new(OrderBook::open(&server.data_dir).context("opening the orders journal")?);
    let breaker = CircuitBreakerLayer::new(stack.circuit_breaker.clone())?;
    let idempotency = if without_idempotency {
        None
    } else {
        let layer = IdempotencyLayer::builder(backend.store()).config(stack.idempotency.clone());
        Some(layer.build()?)
    };
    let layers = Layers {
        errors: ErrorMappingLayer::from_config(&stack.error_mapping)?,
        metrics: HttpMetricsLayer::from_config(&stack.profiling)?,
        breaker,
        idempotency,
    };
    let parts = Parts {
        book,
        backend: Arc::clone(&backend),
        metrics,
    };
    let router = app::router(parts, layers);

    let address = std::net::SocketAddr::new(server.bind, server.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    tracing::info!(store = ?server.store, data_dir = %server.data_dir.display(), "serving");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    backend.flush()?;
    tracing::info!("store flushed; bye");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

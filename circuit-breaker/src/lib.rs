//! A tower circuit breaker: stops calling a failing dependency, and tells a person.
//!
//! A [`CircuitBreakerLayer`] watches the outcomes of the calls through it in a sliding window
//! (the last N calls, or the last N seconds in buckets). Once the window holds
//! [`minimum_calls`](CircuitBreakerConfig::minimum_calls), a failure rate or slow-call rate at or
//! above its threshold opens the breaker: calls are then rejected at once with [`CircuitOpen`]
//! (a `503` with `Retry-After` through `error-mapping`) without polling or calling the inner
//! service. After the wait (fixed or exponential), the breaker is half-open: exactly
//! [`half_open_probes`](CircuitBreakerConfig::half_open_probes) calls go through, and their
//! outcomes close it or open it again.
//!
//! # Example
//!
//! ```
//! use circuit_breaker::{CircuitBreakerConfig, CircuitBreakerLayer, CircuitOpen, ErrorsAsFailures, State};
//! use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), circuit_breaker::error::BoxError> {
//! let config = CircuitBreakerConfig { name: "inventory".into(), ..Default::default() };
//! let layer = CircuitBreakerLayer::builder(config).classify(ErrorsAsFailures).build()?;
//! let handle = layer.handle();
//!
//! let mut inventory = ServiceBuilder::new()
//!     .layer(layer)
//!     .service(service_fn(|sku: u32| async move { Ok::<_, std::io::Error>(sku * 2) }));
//! assert_eq!(inventory.ready().await?.call(21).await?, 42);
//!
//! handle.force_open();
//! let error = inventory.ready().await?.call(21).await.unwrap_err();
//! assert_eq!(CircuitOpen::find(&*error).unwrap().state(), State::ForcedOpen);
//! # Ok(())
//! # }
//! ```
//!
//! # In a stack
//!
//! Put the error-mapping layer outside the breaker, so a rejection reaches the client as a
//! `503 application/problem+json` with `Retry-After`; [`ServiceBuilderExt::circuit_breaker`]
//! shows the breaker's place among the other layers. In axum, apply the stack with
//! `Router::layer`.
//!
//! A [`BreakerHandle`] reads and forces the state from outside: an admin route reports
//! [`state`](BreakerHandle::state) and [`retry_after`](BreakerHandle::retry_after), a
//! readiness probe answers not ready while [`is_open`](BreakerHandle::is_open).
//!
//! # One layer value per dependency
//!
//! Every clone of a layer value, and every service built from it, shares one breaker. Build one
//! layer per dependency you guard and clone it wherever that dependency is called; two layers
//! built from the same configuration are two independent breakers.
//!
//! # Concurrency
//!
//! A half-open probe slot is reserved in `poll_ready`, the way tower's `ConcurrencyLimit`
//! reserves a permit, so clones called concurrently can never admit more probes than
//! configured. A caller that gets no slot is answered `Ready` and rejected at once (never left
//! pending); `call` re-checks the state, which may have changed since `poll_ready`; a slot
//! reserved by a clone that is dropped before calling, or by a call whose future is dropped,
//! is freed without recording an outcome. The service is `Clone + Send + Sync`, as axum's
//! `Router::layer` requires.
//!
//! In the closed state, a call costs one atomic load in `poll_ready`, one in `call`, a reference
//! count on the shared breaker, and a short critical section to record its outcome, skipped
//! while a count window holds only fast successes (one more changes nothing). No clock is read
//! unless the window is time-based (a coarse reading) or slow-call detection is on.
//!
//! # What the world sees
//!
//! Every transition is reported once: a `tracing` event, a [`Listener`] call, and metrics (see
//! the names below). Opening (or forcing open) raises an incident: a `WARN` event with
//! `incident = "breaker_open"` and `source` = the breaker's name; leaving an open or half-open
//! state for one that lets calls through emits the same fields plus `resolves = true`. The
//! `incidents` crate turns those into alerts; this crate does not depend on it.
//!
//! Metrics, each labelled `breaker`: `circuit_breaker.state` (gauge: 0 closed, 1 open,
//! 2 half-open, 3 forced-open, 4 disabled, 5 metrics-only), `circuit_breaker.calls` (counter;
//! label `outcome`: success, failure, ignored), `circuit_breaker.slow_calls`,
//! `circuit_breaker.rejected` and `circuit_breaker.transitions` (labels `from`, `to`).

#![forbid(unsafe_code)]

mod breaker;
mod builder;
mod classify;
mod clock;
mod config;
pub mod error;
pub mod future;
mod handle;
mod layer;
mod listener;
mod service;
mod service_builder;
mod signals;
mod state;
mod window;

pub use builder::Builder;
pub use classify::{Classify, ErrorsAsFailures, Outcome, ServerErrorsAsFailures};
pub use clock::{Clock, SystemClock, TokioClock};
pub use config::{CircuitBreakerConfig, ConfigError, WaitConfig, WindowConfig};
pub use error::CircuitOpen;
pub use handle::BreakerHandle;
pub use layer::CircuitBreakerLayer;
pub use listener::{Listener, Transition};
pub use service::CircuitBreaker;
pub use service_builder::ServiceBuilderExt;
pub use signals::INCIDENT_KIND;
pub use state::State;
pub use window::Tally;

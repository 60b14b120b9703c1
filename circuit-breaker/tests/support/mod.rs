//! Shared helpers: a breaker over a tower-test mock, and a recorder of incident events.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

use circuit_breaker::error::BoxError;
use circuit_breaker::{
    CircuitBreakerConfig, CircuitBreakerLayer, Outcome, TokioClock, Transition, WaitConfig,
    WindowConfig,
};
use futures_util::FutureExt;
use tower_test::mock::{self, Handle, Spawn};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

/// A reply the mock sends: `Ok(status)` or an error.
pub type Reply = Result<u16, &'static str>;

/// The classification the tests use: errors and 5xx fail, 404 is ignored.
pub fn classify(result: Result<&u16, &BoxError>) -> Outcome {
    match result {
        Ok(404) => Outcome::Ignored,
        Ok(status) if *status < 500 => Outcome::Success,
        _ => Outcome::Failure,
    }
}

/// The classifier's type, named so services can be named.
pub type Classifier = fn(Result<&u16, &BoxError>) -> Outcome;
/// The breaker over the mock.
pub type Breaker = circuit_breaker::CircuitBreaker<mock::Mock<&'static str, u16>, Classifier>;

/// Window 10, minimum 10, 50%, 10s fixed wait, `probes` half-open probes.
pub fn config(probes: u32) -> CircuitBreakerConfig {
    CircuitBreakerConfig {
        name: "dependency".into(),
        window: WindowConfig::Count { size: 10 },
        minimum_calls: 10,
        failure_rate_threshold: 50.0,
        wait: WaitConfig::Fixed {
            duration: std::time::Duration::from_secs(10),
        },
        half_open_probes: probes,
        ..Default::default()
    }
}

/// A layer over paused tokio time that logs every transition into the returned list.
pub fn layer(
    config: CircuitBreakerConfig,
) -> (CircuitBreakerLayer<Classifier>, Arc<Mutex<Vec<Transition>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let layer = CircuitBreakerLayer::builder(config)
        .classify(classify as Classifier)
        .clock(TokioClock::new())
        .listener(move |t: &Transition| log.lock().unwrap().push(t.clone()))
        .build()
        .unwrap();
    (layer, seen)
}

/// A breaker service from `layer` over a fresh mock, and the mock's handle.
pub fn spawn(
    layer: &CircuitBreakerLayer<Classifier>,
) -> (Spawn<Breaker>, Handle<&'static str, u16>) {
    let (service, handle) = mock::pair();
    (
        Spawn::new(tower_layer::Layer::layer(layer, service)),
        handle,
    )
}

/// One full call: ready, call, answer with `reply` (when the call reaches the mock).
pub async fn run(
    service: &mut Spawn<Breaker>,
    handle: &mut Handle<&'static str, u16>,
    reply: Reply,
) -> Result<u16, BoxError> {
    tokio_test::assert_ready_ok!(service.poll_ready());
    let response = service.call("request");
    if let Some(Some((_, send))) = handle.next_request().now_or_never() {
        match reply {
            Ok(status) => send.send_response(status),
            Err(error) => send.send_error(error),
        }
    }
    response.await
}

/// One event's fields, as `(name, value)` text.
pub type EventFields = Vec<(String, String)>;

/// The fields of each event carrying `incident`, in order.
///
/// One global subscriber serves every test of the binary and hands each event to the recorder of
/// the thread that emitted it. A subscriber set per test (`set_default`) would make `tracing`
/// recompute its callsite interest whenever a test starts or ends, and a test running beside
/// another one's start or end could then miss its own events.
#[derive(Debug, Clone, Default)]
pub struct Incidents(Arc<Mutex<Vec<EventFields>>>);

thread_local! {
    /// Where the incident events of this thread go while a test records them.
    static RECORDING: RefCell<Option<Incidents>> = const { RefCell::new(None) };
}

/// Records the events of one thread until dropped.
#[must_use = "the recording ends when this is dropped"]
pub struct Recording(());

impl Drop for Recording {
    fn drop(&mut self) {
        RECORDING.with(|recording| recording.borrow_mut().take());
    }
}

impl Incidents {
    /// The incident events seen so far.
    pub fn events(&self) -> Vec<EventFields> {
        self.0.lock().unwrap().clone()
    }

    /// Installs the recorder for the current thread.
    pub fn install(&self) -> Recording {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::registry().with(ThreadRecorder);
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in the tests");
        });
        RECORDING.with(|recording| *recording.borrow_mut() = Some(self.clone()));
        Recording(())
    }
}

/// The global subscriber's layer: incident events to the recorder of the emitting thread.
struct ThreadRecorder;

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ThreadRecorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        RECORDING.with(|recording| {
            let Some(incidents) = recording.borrow().clone() else {
                return;
            };
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            if fields.0.iter().any(|(name, _)| name == "incident") {
                incidents.0.lock().unwrap().push(fields.0);
            }
        });
    }
}

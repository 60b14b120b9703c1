//! Shared by the integration tests: a tracing layer that keeps WARN events, and a reader of the
//! Prometheus exposition.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// One captured event: its message and fields, rendered as text.
pub type Fields = BTreeMap<String, String>;

/// Keeps every WARN event.
///
/// One global subscriber serves every test of the binary and hands each event to the capture of
/// the thread that emitted it. A subscriber set per test (`set_default`) would make `tracing`
/// recompute its callsite interest whenever a test starts or ends, and a test running beside
/// another one's start or end could then miss its own events.
#[derive(Clone, Default)]
pub struct Warnings(Arc<Mutex<Vec<Fields>>>);

thread_local! {
    /// Where the WARN events of this thread go while a test captures them.
    static CAPTURING: RefCell<Option<Warnings>> = const { RefCell::new(None) };
}

/// Captures the events of one thread until dropped.
#[must_use = "the capture ends when this is dropped"]
pub struct Capture(());

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| capturing.borrow_mut().take());
    }
}

impl Warnings {
    /// Captures WARN events on this thread until the guard drops.
    pub fn capture() -> (Self, Capture) {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(ThreadCapture),
            )
            .expect("no other global subscriber in the tests");
        });
        let warnings = Self::default();
        CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(warnings.clone()));
        (warnings, Capture(()))
    }

    pub fn take(&self) -> Vec<Fields> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// The global subscriber's layer: WARN events to the capture of the emitting thread.
struct ThreadCapture;

impl<S: Subscriber> Layer<S> for ThreadCapture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() != Level::WARN {
            return;
        }
        CAPTURING.with(|capturing| {
            if let Some(warnings) = capturing.borrow().as_ref() {
                let mut fields = Fields::new();
                event.record(&mut Collect(&mut fields));
                warnings.0.lock().unwrap().push(fields);
            }
        });
    }
}

/// One series line of an exposition: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Every sample line of a text exposition.
pub fn samples(exposition: &str) -> Vec<Sample> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(parse_line)
        .collect()
}

/// The samples of metric `name`.
pub fn named(exposition: &str, name: &str) -> Vec<Sample> {
    samples(exposition)
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

fn parse_line(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
    let value = value.parse().expect("a sample value is a number");
    let Some((name, rest)) = series.split_once('{') else {
        return Sample {
            name: series.to_owned(),
            labels: BTreeMap::new(),
            value,
        };
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.strip_suffix('}').expect("labels close").chars();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().expect("escaped char")),
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_owned(), value);
        if chars.clone().next() == Some(',') {
            chars.next();
        }
    }
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// `pairs` as a label map.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

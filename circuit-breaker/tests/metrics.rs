//! The breaker's metrics through a recorder installed for this test binary alone: calls by
//! outcome, rejections, transitions, and the state gauge following the state.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use circuit_breaker::State;
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use support::{config, layer, run, spawn};

/// The last value of every series, keyed `name{label=value,...}`.
#[derive(Debug, Clone, Default)]
struct Values(Arc<Mutex<BTreeMap<String, f64>>>);

impl Values {
    fn get(&self, series: &str) -> f64 {
        self.0.lock().unwrap().get(series).copied().unwrap_or(0.0)
    }

    fn series(&self, key: &Key) -> Series {
        let labels: Vec<_> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        Series {
            name: format!("{}{{{}}}", key.name(), labels.join(",")),
            values: self.clone(),
        }
    }
}

/// One series' handle.
struct Series {
    name: String,
    values: Values,
}

impl Series {
    fn update(&self, change: impl FnOnce(&mut f64)) {
        change(
            self.values
                .0
                .lock()
                .unwrap()
                .entry(self.name.clone())
                .or_default(),
        );
    }
}

impl CounterFn for Series {
    fn increment(&self, value: u64) {
        self.update(|total| *total += value as f64);
    }

    fn absolute(&self, value: u64) {
        self.update(|total| *total = value as f64);
    }
}

impl GaugeFn for Series {
    fn increment(&self, value: f64) {
        self.update(|gauge| *gauge += value);
    }

    fn decrement(&self, value: f64) {
        self.update(|gauge| *gauge -= value);
    }

    fn set(&self, value: f64) {
        self.update(|gauge| *gauge = value);
    }
}

impl HistogramFn for Series {
    fn record(&self, _: f64) {}
}

impl Recorder for Values {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(Arc::new(self.series(key)))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::new(self.series(key)))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::new(self.series(key)))
    }
}

const STATE: &str = "circuit_breaker.state{breaker=dependency}";

fn calls(outcome: &str) -> String {
    format!("circuit_breaker.calls{{breaker=dependency,outcome={outcome}}}")
}

fn transitions(from: State, to: State) -> String {
    format!("circuit_breaker.transitions{{breaker=dependency,from={from},to={to}}}")
}

#[tokio::test(start_paused = true)]
async fn outcomes_rejections_transitions_and_the_state_gauge_are_recorded() {
    let values = Values::default();
    metrics::set_global_recorder(values.clone()).expect("the only recorder of this binary");
    let (layer, _) = layer(config(1));
    let (mut service, mut mock) = spawn(&layer);
    assert_eq!(values.get(STATE), 0.0, "closed");

    run(&mut service, &mut mock, Ok(404)).await.unwrap();
    for _ in 0..2 {
        run(&mut service, &mut mock, Ok(200)).await.unwrap();
    }
    for _ in 0..8 {
        let _ = run(&mut service, &mut mock, Err("boom")).await;
    }
    assert_eq!(values.get(STATE), 1.0, "open");
    for _ in 0..2 {
        assert!(run(&mut service, &mut mock, Ok(200)).await.is_err());
    }
    assert_eq!(values.get(&calls("ignored")), 1.0);
    assert_eq!(values.get(&calls("success")), 2.0);
    assert_eq!(values.get(&calls("failure")), 8.0);
    assert_eq!(
        values.get("circuit_breaker.rejected{breaker=dependency}"),
        2.0
    );
    assert_eq!(values.get(&transitions(State::Closed, State::Open)), 1.0);

    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(layer.handle().state(), State::HalfOpen);
    assert_eq!(values.get(STATE), 2.0, "half-open");
    run(&mut service, &mut mock, Ok(200)).await.unwrap();
    assert_eq!(values.get(STATE), 0.0, "closed again");
    assert_eq!(
        values.get(&transitions(State::HalfOpen, State::Closed)),
        1.0
    );
    assert_eq!(values.get(&calls("success")), 3.0, "the probe counts");
}

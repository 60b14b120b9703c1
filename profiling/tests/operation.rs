//! Operations timed by guard and by future, observed through a Prometheus recorder installed on
//! the test's thread only.

mod support;

use std::time::Duration;

use profiling::{Operations, ProfilingConfig};

use support::{Warnings, labels, named};

#[tokio::test(flavor = "current_thread")]
async fn guards_and_futures_record_with_labels_and_warn_when_slow() {
    let config = ProfilingConfig::default();
    let recorder = profiling::prometheus::builder(&config)
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let (warnings, _tracing) = Warnings::capture();
    let (clock, mock) = quanta::Clock::mock();
    let operations = Operations::from_config(&config).unwrap().with_clock(clock);
    let import = operations.operation("import", &[("source", "s3")]);

    {
        let _timer = import.start();
        mock.increment(Duration::from_millis(50));
    }
    assert_eq!(warnings.take(), vec![]);
    let rows = import
        .instrument(async {
            mock.increment(Duration::from_millis(150));
            7
        })
        .await;
    assert_eq!(rows, 7);
    let timer = import.start();
    mock.increment(Duration::from_millis(20));
    assert_eq!(timer.finish(), Duration::from_millis(20));

    let logged = warnings.take();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["message"], "slow operation");
    assert_eq!(logged[0]["operation"], "import");
    assert_eq!(logged[0]["labels"], "source=s3");
    assert_eq!(logged[0]["latency_ms"], "150.0");

    let exposition = handle.render();
    let count = named(&exposition, "operation_duration_seconds_count");
    let expected = labels(&[("operation", "import"), ("source", "s3")]);
    assert_eq!(count.len(), 1, "{exposition}");
    assert_eq!((count[0].labels.clone(), count[0].value), (expected, 3.0));
    let sum = named(&exposition, "operation_duration_seconds_sum");
    assert!((sum[0].value - 0.22).abs() < 1e-9, "{sum:?}");
}

#[test]
fn an_invalid_config_is_rejected_by_field() {
    let config = ProfilingConfig {
        slow_threshold: Duration::ZERO,
        ..Default::default()
    };
    let error = Operations::from_config(&config).unwrap_err();
    assert!(error.to_string().contains("slow_threshold"), "{error}");
}

#[test]
fn a_future_dropped_unfinished_is_recorded_up_to_the_drop() {
    let config = ProfilingConfig::default();
    let recorder = profiling::prometheus::builder(&config)
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    let _metrics = metrics::set_default_local_recorder(&recorder);
    let (clock, mock) = quanta::Clock::mock();
    let operations = Operations::from_config(&config).unwrap().with_clock(clock);
    let export = operations.operation("export", &[] as &[(&str, &str)]);

    let mut never = tokio_test::task::spawn(export.instrument(std::future::pending::<()>()));
    mock.increment(Duration::from_millis(5));
    assert!(never.poll().is_pending(), "timing starts at the first poll");
    mock.increment(Duration::from_millis(30));
    drop(never);

    let exposition = handle.render();
    let count = named(&exposition, "operation_duration_seconds_count");
    assert_eq!(count[0].value, 1.0, "{exposition}");
    let sum = named(&exposition, "operation_duration_seconds_sum");
    assert!((sum[0].value - 0.03).abs() < 1e-9, "{sum:?}");
}

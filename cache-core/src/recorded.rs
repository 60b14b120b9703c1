//! For tests of the `metrics` instrumentation: what a debugging recorder saw.

use metrics_util::debugging::DebuggingRecorder;

/// Runs `work` under a recorder of its own; returns each metric it registered, as its name and
/// its labels written `key=value`, sorted.
pub(crate) fn metrics_of(work: impl FnOnce()) -> Vec<(String, Vec<String>)> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, work);
    let mut seen: Vec<(String, Vec<String>)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, ..)| {
            let key = key.key();
            let labels = key.labels().map(|l| format!("{}={}", l.key(), l.value()));
            (key.name().to_owned(), labels.collect())
        })
        .collect();
    seen.sort();
    seen
}

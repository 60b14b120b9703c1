//! Latency percentiles from every sample of a run.

use std::time::Duration;

use serde::Serialize;

/// p50, p99 and p999 in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// The median.
    pub p50: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The 99.9th percentile.
    pub p999: f64,
}

impl Percentiles {
    /// The percentiles of `samples` (zero when there are none).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let at = |quantile: f64| {
            let index = ((samples.len() as f64 * quantile).ceil() as usize).saturating_sub(1);
            samples.get(index).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        Self {
            p50: at(0.5),
            p99: at(0.99),
            p999: at(0.999),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples = (1..=1000).map(Duration::from_millis).collect();
        assert_eq!(
            Percentiles::of(samples),
            Percentiles {
                p50: 500.0,
                p99: 990.0,
                p999: 999.0
            }
        );
        assert_eq!(
            Percentiles::of(Vec::new()),
            Percentiles {
                p50: 0.0,
                p99: 0.0,
                p999: 0.0
            }
        );
    }
}

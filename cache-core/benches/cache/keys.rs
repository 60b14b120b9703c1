//! Key streams: a Zipf distribution with scrambled ids, and the ARC OLTP trace.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// SplitMix64: a tiny, fast, well-mixed generator and hash, so no RNG dependency is needed.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A seeded stream of uniform numbers.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        splitmix64(self.0)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf over `n` items with exponent `s`, sampled by inverting its cumulative distribution.
pub(crate) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub(crate) fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 1..=n {
            total += 1.0 / (rank as f64).powf(s);
            cdf.push(total);
        }
        for p in &mut cdf {
            *p /= total;
        }
        Self { cdf }
    }

    /// A rank in `0..n`, rank 0 the most popular.
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.next_f64();
        self.cdf.partition_point(|&p| p < u).min(self.cdf.len() - 1)
    }
}

/// Where the shared traces live: `BENCH_TRACES_DIR` (not under `RESYNC_`, the prefix of the
/// settings read from the environment), else `../shared/traces` beside the workspace.
pub(crate) fn traces_dir() -> PathBuf {
    match std::env::var_os("BENCH_TRACES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces"),
    }
}

/// The block ids the OLTP trace asks for, in order: a line `start nblocks _ _` asks for
/// `start .. start + nblocks`.
pub(crate) fn oltp_blocks(path: &Path) -> Result<Vec<u64>, String> {
    let file = std::fs::File::open(path)
        .map_err(|err| format!("cannot open the OLTP trace at {}: {err}", path.display()))?;
    let decoder = ruzstd::decoding::StreamingDecoder::new(file)
        .map_err(|err| format!("{} is not a zstd stream: {err}", path.display()))?;
    let mut blocks = Vec::new();
    for (index, line) in BufReader::new(decoder).lines().enumerate() {
        let line = line.map_err(|err| format!("{}: cannot read: {err}", path.display()))?;
        let mut fields = line.split_ascii_whitespace();
        let mut number = |what: &str| -> Result<u64, String> {
            let field = fields.next().ok_or_else(|| {
                format!("{}:{}: missing field `{what}`", path.display(), index + 1)
            })?;
            field.parse().map_err(|_| {
                format!(
                    "{}:{}: `{what}` is not a number: {field:?}",
                    path.display(),
                    index + 1
                )
            })
        };
        let start = number("start")?;
        let count = number("nblocks")?;
        blocks.extend(start..start + count);
    }
    Ok(blocks)
}

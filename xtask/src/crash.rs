//! `cargo xtask crash [--rounds N]`: the durable store's kill test, with many more rounds than CI
//! runs, in release mode.

use crate::cmd::Step;

/// Runs cache-persist's SIGKILL test for `rounds` rounds.
pub(crate) fn run(rounds: u64) -> anyhow::Result<()> {
    let args = ["test", "--release", "-p", "cache-persist", "--test", "kill"];
    Step::new("crash", "cargo", &args)
        .env("CACHE_PERSIST_KILL_ROUNDS", &rounds.to_string())
        .run()
}
